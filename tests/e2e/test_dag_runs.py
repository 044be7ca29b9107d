"""The whole DAG through Airflow itself (`airflow dags test`) on the local stack: moto S3, OAI replay, DuckDB."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arxiv_labeler.devstack.dag_runs import airflow_env, prepare_airflow_home, run_dag
from arxiv_labeler.devstack.local_stack import LocalStack
from arxiv_labeler.warehouse import open_warehouse

from tests.conftest import DEMO_JSONL

pytestmark = [pytest.mark.slow, pytest.mark.spark]
DAYS = [dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)]


@pytest.fixture(scope="module")
def stack(tiny_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("e2e")
    with LocalStack(tiny_zip, DEMO_JSONL, page_size=5) as local:
        lineage = {  # Airflow's OpenLineage provider, writing events to a file the lineage test reads
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
                {"type": "file", "log_file_path": str(root / "lineage.jsonl"), "append": True}
            ),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "arxiv-labeler-e2e",
            "AIRFLOW__OPENLINEAGE__DISABLED": "False",
        }
        env = airflow_env(root / "airflow", local.env(root / "data") | lineage)
        prepare_airflow_home(env)
        yield {"env": env, "root": root, "warehouse": open_warehouse(f"duckdb://{root / 'data' / 'warehouse.duckdb'}")}


def dag_run(stack: dict[str, Any], name: str, **kwargs: Any) -> str:
    log = stack["root"] / f"{name}.log"
    result = run_dag(stack["env"], log_file=log, **kwargs)
    return f"{result.returncode}\n{result.stdout}"


def succeeded(output: str) -> bool:
    """The run succeeded and ``airflow dags test`` exited 0 (it can fail after the run's last task)."""
    return output.startswith("0\n") and "state=success" in output


def rows(stack: dict[str, Any]) -> tuple[list[tuple], list[tuple]]:
    warehouse = stack["warehouse"]
    _, papers = warehouse.query("SELECT * FROM arxiv_papers ORDER BY arxiv_id")
    _, labels = warehouse.query("SELECT * FROM arxiv_paper_labels ORDER BY arxiv_id, model_id")
    return papers, labels


def test_three_days_then_a_rerun_changes_no_row(stack: dict[str, Any]) -> None:
    for day in DAYS:
        output = dag_run(stack, f"day-{day}", day=day)
        assert succeeded(output), output[-3000:]
    papers, labels = rows(stack)
    assert len(papers) == 24
    # every paper with text labeled once per model; ids like math/0601001 stay strings
    assert len(labels) == 24 and len({(r[0], r[1]) for r in labels}) == 24
    assert "math/0601001" in {p[0] for p in papers}
    _, runs = stack["warehouse"].query("SELECT interval_start, harvested, classified, status FROM arxiv_pipeline_runs ORDER BY 1")
    assert [r[0] for r in runs] == DAYS and sum(r[1] for r in runs) == 24 and all(r[3] == "success" for r in runs)

    output = dag_run(stack, "rerun", day=DAYS[1])
    assert succeeded(output), output[-3000:]
    assert rows(stack) == (papers, labels)  # the rerun changed nothing
    _, last = stack["warehouse"].query(
        "SELECT classified, skipped_unchanged FROM arxiv_pipeline_runs WHERE interval_start = ? ORDER BY finished_at DESC LIMIT 1",
        (DAYS[1],),
    )
    assert last == [(0, 8)]  # unchanged text is not classified again


def test_manual_run_with_dates_in_params(stack: dict[str, Any]) -> None:
    output = dag_run(stack, "manual-params", conf={"from_date": "2026-11-18", "until_date": "2026-11-20", "reclassify": True})
    assert succeeded(output), output[-3000:]
    assert "covers 2026-11-18..2026-11-20 (from params)" in output
    assert "quantize=auto: the onnx engine runs none: int8 changes the label of" in output  # decided at fetch, logged
    _, runs = stack["warehouse"].query("SELECT classified FROM arxiv_pipeline_runs WHERE interval_end > interval_start")
    assert runs == [(24,)]  # reclassify: every paper with text


def test_manual_run_with_bad_param_fails_before_any_work(stack: dict[str, Any]) -> None:
    output = dag_run(stack, "bad-param", conf={"from_date": "2026-11-20", "until_date": "2026-11-18"})
    assert "state=failed" in output
    assert "until_date 2026-11-18 is before from_date 2026-11-20" in output
    assert "Harvested" not in output and "harvested 2026" not in output


def test_lineage_events_name_the_model_the_oai_set_and_the_tables(stack: dict[str, Any]) -> None:
    path = stack["root"] / "lineage.jsonl"
    if not path.exists():
        dag_run(stack, "lineage", day=DAYS[0])
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    complete = [e for e in events if e.get("eventType") == "COMPLETE"]
    by_task = {e["job"]["name"].split(".")[-1]: e for e in complete}
    model_inputs = {(d["namespace"], d["name"]) for d in by_task["fetch_model"]["inputs"]}
    assert model_inputs == {("s3://arxiv-models", "tiny.zip")}
    (oai,) = by_task["harvest"]["inputs"]
    assert oai["namespace"].startswith("http://127.0.0.1:") and oai["name"] == "all"
    outputs = {d["name"]: d for d in by_task["load_warehouse"]["outputs"]}
    assert set(outputs) == {"arxiv_papers", "arxiv_paper_labels", "arxiv_pipeline_runs"}
    labels = outputs["arxiv_paper_labels"]
    assert {"arxiv_id", "model_id", "label", "score"} <= {f["name"] for f in labels["facets"]["schema"]["fields"]}
    assert labels["outputFacets"]["outputStatistics"]["rowCount"] >= 0
    assert outputs["arxiv_pipeline_runs"]["outputFacets"]["outputStatistics"]["rowCount"] == 1
    assert labels["namespace"].startswith("duckdb://")


def test_classify_killed_by_its_execution_timeout_publishes_nothing(stack: dict[str, Any]) -> None:
    env = dict(stack["env"], ARXIV_LABELER_CLASSIFY_TIMEOUT_MINUTES="0.05")  # 3 s: the timeout fires mid-stage
    stack["warehouse"].migrate()  # also when this test runs alone
    _, runs_before = stack["warehouse"].query("SELECT count(*) FROM arxiv_pipeline_runs")
    papers_before = rows(stack)
    log = stack["root"] / "timeout.log"
    result = run_dag(env, conf={"from_date": "2026-11-19", "until_date": "2026-11-20", "reclassify": True}, log_file=log)
    output = f"{result.returncode}\n{result.stdout}"
    assert "state=failed" in output, output[-3000:]
    assert "AirflowTaskTimeout" in output or "Timeout" in output, output[-3000:]
    labeled = stack["root"] / "data" / "labeled" / "2026-11-19_2026-11-20"
    assert not list(labeled.glob("model=*"))  # nothing published for a later load to pick up
    assert stack["warehouse"].query("SELECT count(*) FROM arxiv_pipeline_runs")[1] == runs_before  # load never ran
    assert rows(stack) == papers_before
