"""The classify stage on a Spark standalone cluster (master + worker from PySpark's distribution, 127.0.0.1).

The master URL comes from an Airflow Spark connection, as in a deployment; the
model reaches the executor through SparkFiles. Results must equal the local run's.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pyspark
import pytest
from arxiv_labeler.classify.stage import classify_records
from arxiv_labeler.engines.onnx_engine import OnnxEngine
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record
from arxiv_labeler.harvest.models import records_table
from arxiv_labeler.model.archive import ModelArchive
from arxiv_labeler.spark.session import start_session, with_task_retries

from tests.conftest import DEMO_JSONL

pytestmark = [pytest.mark.slow, pytest.mark.spark]
SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def standalone_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("spark-standalone")
    port = free_port()
    env = {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(logs), "PATH": "/usr/bin:/bin"}
    master = subprocess.Popen(
        [
            str(SPARK_CLASS),
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            "0",
        ],
        stdout=(logs / "master.log").open("w"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    worker = None
    try:
        wait_for_port(port)
        worker = subprocess.Popen(
            [
                str(SPARK_CLASS),
                "org.apache.spark.deploy.worker.Worker",
                f"spark://127.0.0.1:{port}",
                "--host",
                "127.0.0.1",
                "--cores",
                "2",
                "--memory",
                "2g",
                "--webui-port",
                "0",
                "--work-dir",
                str(logs / "work"),
            ],
            stdout=(logs / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while "Successfully registered with master" not in (logs / "worker.log").read_text():
            if time.monotonic() > deadline:
                raise TimeoutError((logs / "worker.log").read_text()[-2000:])
            time.sleep(0.5)
        yield f"spark://127.0.0.1:{port}"
    finally:
        for process in (worker, master):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def test_cluster_run_equals_local_run(
    standalone_master: str, tiny_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arxiv_labeler.hooks.spark import SparkHook

    host, port = standalone_master.removeprefix("spark://").split(":")
    monkeypatch.setenv(
        "AIRFLOW_CONN_ARXIV_SPARK",
        json.dumps(
            {
                "conn_type": "spark",
                "host": f"spark://{host}",
                "port": int(port),
                "extra": {
                    "driver_memory": "1g",
                    "executor_memory": "1g",
                    "conf": {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"},
                },
            }
        ),
    )
    settings = SparkHook("arxiv_spark").get_settings()
    assert settings.master == standalone_master

    records = [to_record(entry) for entry in read_snapshot(DEMO_JSONL)]
    day = dt.date(2026, 11, 20)
    source = tmp_path / "records.parquet"
    pq.write_table(records_table(records, day, day, day), source)
    archive = ModelArchive.open(tiny_zip)

    def run(session_settings: object, name: str) -> dict[str, tuple[str, dict[str, float]]]:
        spark = start_session(session_settings)  # type: ignore[arg-type]
        try:
            engine = OnnxEngine(tiny_zip, archive.sha256, threads_per_task=1)
            result = classify_records(
                spark, spark.read.parquet(str(source)), engine, archive, str(tmp_path / name), "2026-11-21T06:00:00"
            )
            assert result.classified == 24 and result.title_only == 1
            # local masters gain task retries (local[2] runs as local[2,4]); a cluster master is used as given
            assert spark.sparkContext.master == with_task_retries(session_settings.master)  # type: ignore[attr-defined]
            return {r.arxiv_id: (r.label, dict(r.scores)) for r in spark.read.parquet(str(tmp_path / name)).collect()}
        finally:
            spark.stop()

    cluster = run(settings, "cluster")
    from arxiv_labeler.spark.session import SparkSettings

    local = run(SparkSettings(master="local[2]"), "local")
    assert cluster.keys() == local.keys()
    for key, (label, scores) in local.items():
        assert cluster[key][0] == label
        assert cluster[key][1] == pytest.approx(scores, abs=1e-6)
