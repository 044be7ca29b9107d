"""Shared fixtures: the tiny model, real arXiv data (skips when absent), local servers, PostgreSQL."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from arxiv_labeler.devstack.demo import DEMO_REPLAY_DATA

from tests.support.tiny_model import build_tiny_model

# py4j logs from __del__ at interpreter exit, after pytest closed the streams.
logging.getLogger("py4j").setLevel(logging.WARNING)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARXIV_LABELER_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
SHARED_DATA = SHARED / "data"
SAMPLE_JSONL = SHARED_DATA / "arxiv-metadata-sample.jsonl"
LABELED_CSV = SHARED_DATA / "arxiv-labeled-abstracts.csv"
JVM_FIXTURES = SHARED / "fixtures" / "sparknlp-fields-jvm"
DEMO_JSONL = DEMO_REPLAY_DATA
POSTGRES_BASE = os.environ.get("ARXIV_LABELER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-model")
    build_tiny_model(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_zip(tiny_dir: Path) -> Path:
    return tiny_dir / "tiny.zip"


@pytest.fixture(scope="session")
def sample_jsonl() -> Path:
    if not SAMPLE_JSONL.exists():
        pytest.skip(f"real arXiv metadata not found at {SAMPLE_JSONL} (shared data is only present in CI and dev machines)")
    return SAMPLE_JSONL


@pytest.fixture(scope="session")
def jvm_fixtures() -> Path:
    if not JVM_FIXTURES.exists():
        pytest.skip(f"JVM-written golden files not found at {JVM_FIXTURES}")
    return JVM_FIXTURES


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (a real S3 API over HTTP), for one test module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    from arxiv_labeler.spark.session import SparkSettings, start_session

    session = start_session(SparkSettings(master="local[2]", app_name="arxiv-labeler-tests", shuffle_partitions=2))
    yield session
    session.stop()


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES_BASE}/postgres", connect_timeout=3):
            return None
    except Exception as exc:  # any connection failure means "not available here"
        return f"PostgreSQL not reachable at {POSTGRES_BASE} ({type(exc).__name__}); .ci/run starts it"


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A fresh database per test, dropped afterwards."""
    reason = _postgres_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"arxiv_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{POSTGRES_BASE}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
