"""The deployment for real: the image builds and the docker-compose stack runs the DAG end to end.

docker-compose.yaml with docker-compose.standins.yaml (the images no registry serves here are
built locally by include/docker/standin_images.py; every service on host networking, on
127.0.0.1). Phases, in order, on one stack (project ``arxiv-labeler-deploy-test``):

1. up: the init services complete, every long-running service's healthcheck turns healthy;
2. a run triggered through the REST API labels 2008-11-26 (the OAI replay, 276 papers) into
   the PostgreSQL warehouse; the labels page answers a signed-in user and refuses others;
3. down and up with the same volumes: the metadata database, the warehouse and the model cache
   survive, and a second run of the day changes no label row;
4. the scheduler container killed while classify runs, then started again: the run completes,
   nothing duplicated;
5. down -v leaves no container, volume or network of the project.

Asserts on the API's states and the warehouse's rows, never on log text. Prints each phase's
wall time (``-s``) and writes them to data/deploy-test/timings.json. Starts Docker Engine when
it is not running and stops it again afterwards.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from include.docker import dockerd, standin_images
from include.docker.compose_stack import (
    ADMIN_USER,
    API_URL,
    PROJECT_ROOT,
    WAREHOUSE_DSN,
    ComposeStack,
    ensure_demo_model,
)
from tests.deploy.airflow_client import AirflowClient

pytestmark = [pytest.mark.slow, pytest.mark.deploy, pytest.mark.timeout(5400)]

PROJECT = "arxiv-labeler-deploy-test"
DAY = "2008-11-26"
PAPERS_OF_THE_DAY = 276
DAY_CONF = {"from_date": DAY, "until_date": DAY}
MODEL_CACHE = "/opt/airflow/data/models"
TIMINGS_FILE = PROJECT_ROOT / "data" / "deploy-test" / "timings.json"
TIMINGS: dict[str, Any] = {}
REQUIRED_TOOLS = ("docker", "dockerd", "docker-compose", "debootstrap")


class Phase:
    """Times a ``with`` block into TIMINGS under its name and prints it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = 0.0

    def __enter__(self) -> Phase:
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        TIMINGS[self.name] = round(time.monotonic() - self.started, 1)
        print(f"\n[deploy] {self.name}: {TIMINGS[self.name]} s", flush=True)


@pytest.fixture(scope="module")
def docker_engine() -> Iterator[None]:
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install docker.io docker-compose debootstrap; .ci/run does)")
    started_here = dockerd.start()
    TIMINGS["dockerd started by the test"] = started_here
    try:
        yield
    finally:
        if started_here:
            dockerd.stop()


@pytest.fixture(scope="module")
def stack(docker_engine: None) -> Iterator[ComposeStack]:
    log = PROJECT_ROOT / "data" / "deploy-test" / "images.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with Phase("images"), log.open("a") as output:
        results = standin_images.build_all(output)
    TIMINGS["images detail"] = {r.image: {"seconds": round(r.seconds, 1), "cached": r.cached} for r in results}
    with Phase("demo model"):
        model_zip = ensure_demo_model(python=sys.executable)
    deployment = ComposeStack.prepare(PROJECT, env={"ARXIV_LABELER_COMPOSE_MODEL_DIR": str(model_zip.parent)})
    deployment.down(volumes=True)  # leftovers of an interrupted earlier run
    try:
        yield deployment
    finally:
        if any(deployment.resources().values()):
            deployment.down(volumes=True)
        TIMINGS_FILE.write_text(json.dumps(TIMINGS, indent=2) + "\n")
        print("\n[deploy] timings (s):", json.dumps(TIMINGS, indent=2), flush=True)


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """What one phase leaves for the next (run ids, the admin client)."""
    return {}


def warehouse_counts() -> dict[str, tuple[int, int]]:
    """(rows, distinct keys) of the papers and the labels tables."""
    with psycopg.connect(WAREHOUSE_DSN, connect_timeout=10) as connection:
        papers = connection.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM arxiv_papers").fetchone()
        labels = connection.execute("SELECT count(*), count(DISTINCT (arxiv_id, model_id)) FROM arxiv_paper_labels").fetchone()
    assert papers is not None and labels is not None
    return {"papers": (papers[0], papers[1]), "labels": (labels[0], labels[1])}


def label_rows() -> list[tuple[Any, ...]]:
    """Every label row as a rerun must leave it."""
    with psycopg.connect(WAREHOUSE_DSN, connect_timeout=10) as connection:
        return connection.execute(
            "SELECT arxiv_id, model_id, label, score, labeled_at, run_id FROM arxiv_paper_labels ORDER BY arxiv_id, model_id"
        ).fetchall()


def model_cache_listing(deployment: ComposeStack) -> list[str]:
    """Path, size and mtime of every entry of the model cache in the data volume."""
    listing = deployment.exec(
        "airflow-scheduler", "find", MODEL_CACHE, "-mindepth", "1", "-maxdepth", "2", "-printf", "%P %s %T@\n"
    )
    return sorted(listing.splitlines())


def signed_in(deployment: ComposeStack) -> AirflowClient:
    return AirflowClient(API_URL, ADMIN_USER, deployment.admin_password())


def run_the_day(client: AirflowClient, conf: dict[str, Any] | None = None) -> str:
    run_id = client.trigger({**DAY_CONF, **(conf or {})})
    run = client.wait_run(run_id)
    assert run["state"] == "success", client.task_states(run_id)
    return run_id


def test_1_the_stack_starts_and_every_service_turns_healthy(stack: ComposeStack, state: dict[str, Any]) -> None:
    with Phase("1 stack start (up to all healthy)"):
        stack.up()
        stack.assert_completed()  # minio-init (bucket + demo model), airflow-init (migrations, pool)
        stack.wait_healthy()
    client = signed_in(stack)
    pool = client.api("GET", "/api/v2/pools/arxiv_oai")
    assert pool["slots"] == 1
    assert client.api("GET", "/api/v2/monitor/health")["scheduler"]["status"] == "healthy"
    state["client"] = client


def test_2_a_run_triggered_through_the_api_labels_the_day_into_the_warehouse(stack: ComposeStack, state: dict[str, Any]) -> None:
    client: AirflowClient = state["client"]
    with Phase("2 first run of the day"):
        client.unpause()
        state["first_run"] = run_the_day(client)
    assert warehouse_counts() == {
        "papers": (PAPERS_OF_THE_DAY, PAPERS_OF_THE_DAY),
        "labels": (PAPERS_OF_THE_DAY, PAPERS_OF_THE_DAY),
    }
    summary = f"/arxiv-labeler/api/summary?from={DAY}&until={DAY}"
    assert client.get(summary).status_code == 200
    assert client.get(summary, authenticated=False).status_code == 401


def test_3_down_and_up_keeps_metadata_warehouse_and_model_cache_and_a_rerun_changes_no_label(
    stack: ComposeStack, state: dict[str, Any]
) -> None:
    labels_before = label_rows()
    cache_before = model_cache_listing(stack)
    assert cache_before, "the first run left no model cache entry"
    with Phase("3a down and up with the same volumes"):
        stack.down()
        stack.up()
        stack.assert_completed()
        stack.wait_healthy()
    client = signed_in(stack)  # the same password: it lives in the data volume
    state["client"] = client
    assert client.run(state["first_run"])["state"] == "success"
    assert label_rows() == labels_before
    assert model_cache_listing(stack) == cache_before
    with Phase("3b second run of the day"):
        run_the_day(client)
    assert label_rows() == labels_before
    assert model_cache_listing(stack) == cache_before  # same ETag: nothing downloaded or extracted again


def test_4_the_scheduler_killed_mid_classify_and_started_again_completes_the_run(
    stack: ComposeStack, state: dict[str, Any]
) -> None:
    client: AirflowClient = state["client"]
    with Phase("4 run with the scheduler killed mid-classify"):
        run_id = client.trigger({**DAY_CONF, "reclassify": True})  # classify does real work again
        client.wait_task_state(run_id, "classify", {"running"})
        subprocess.run(["docker", "kill", stack.container_id("airflow-scheduler")], check=True, capture_output=True)
        stack.up("airflow-scheduler")
        stack.wait_healthy(["airflow-scheduler"])
        run = client.wait_run(run_id)
    assert run["state"] == "success", client.task_states(run_id)
    assert len(client.tries(run_id, "classify")) >= 2  # the killed try, then the one that finished
    assert warehouse_counts() == {
        "papers": (PAPERS_OF_THE_DAY, PAPERS_OF_THE_DAY),
        "labels": (PAPERS_OF_THE_DAY, PAPERS_OF_THE_DAY),
    }


def test_5_down_with_volumes_leaves_nothing_of_the_project(stack: ComposeStack) -> None:
    with Phase("5 down -v"):
        stack.down(volumes=True)
    assert stack.resources() == {"containers": [], "volumes": [], "networks": []}
