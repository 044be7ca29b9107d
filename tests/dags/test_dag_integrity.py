"""The DAG as Airflow parses it, in an isolated AIRFLOW_HOME."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dag(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("airflow-home")
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        }
    )
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT / "dags"))
    assert bag.import_errors == {}
    return bag.dags["arxiv_labeling"]


def test_tasks_and_order(dag) -> None:  # type: ignore[no-untyped-def]
    assert set(dag.task_ids) == {"resolve_run", "fetch_model", "harvest", "classify", "load_warehouse", "check_labels"}
    assert dag.get_task("resolve_run").downstream_task_ids == {"fetch_model", "harvest"}
    assert dag.get_task("classify").upstream_task_ids == {"fetch_model", "harvest"}
    assert dag.get_task("load_warehouse").upstream_task_ids == {"classify"}
    assert dag.get_task("check_labels").upstream_task_ids == {"load_warehouse"}


def test_schedule_has_real_daily_intervals(dag) -> None:  # type: ignore[no-untyped-def]
    import pendulum
    from airflow.timetables.interval import CronDataIntervalTimetable as SchedulerTimetable

    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert dag.timetable.expression == "0 6 * * *"
    # What the scheduler computes from that expression: a 24 h interval ending at the run.
    core = SchedulerTimetable(dag.timetable.expression, dag.timetable.timezone)
    interval = core.infer_manual_data_interval(run_after=pendulum.datetime(2026, 11, 21, 6, 0, tz="UTC"))
    assert (interval.start, interval.end - interval.start) == (pendulum.datetime(2026, 11, 20, 6, tz="UTC"), dt.timedelta(days=1))
    assert dag.catchup is False


def test_params_are_typed_and_validated(dag) -> None:  # type: ignore[no-untyped-def]
    params = dag.params
    assert set(params.keys()) == {
        "from_date",
        "until_date",
        "sets",
        "model_uri",
        "engine",
        "reclassify",
        "quantize",
        "min_score",
        "label_thresholds",
        "drift_warn",
        "drift_fail",
        "category_agreement_warn",
        "category_agreement_fail",
    }
    from arxiv_labeler.run.config import KNOWN_PARAMS

    assert set(params.keys()) == KNOWN_PARAMS  # resolve_run knows every param the form offers
    assert params.get_param("engine").schema["enum"] == ["auto", "onnx", "sparknlp"]
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        params.get_param("model_uri").resolve("https://not-s3/model.zip")
    with pytest.raises(ParamValidationError):
        params.get_param("sets").resolve(["compsci"])


def test_the_trigger_form_offers_sets_as_a_multi_select_and_marks_only_what_must_be_set(dag) -> None:  # type: ignore[no-untyped-def]
    from arxiv_labeler.harvest.taxonomy import arxiv_sets

    sets = dag.params.get_param("sets").schema
    # Airflow's form draws an array with "examples" as a multi-select, and a field whose type admits null as optional
    assert sets["examples"] == sorted(arxiv_sets()) and "null" in sets["type"] and "array" in sets["type"]
    assert dag.params.get_param("sets").resolve(None) is None  # nothing selected: every set
    optional = ["from_date", "until_date", "sets", "min_score", "label_thresholds", "drift_warn", "drift_fail"]
    assert [name for name in optional if "null" not in dag.params.get_param(name).schema["type"]] == []


def test_pool_retries_outlets_and_docs(dag) -> None:  # type: ignore[no-untyped-def]
    harvest = dag.get_task("harvest")
    assert harvest.pool == "arxiv_oai"
    assert harvest.retries >= 1 and harvest.retry_exponential_backoff
    assert dag.get_task("fetch_model").retries >= 1
    assert {a.name for a in dag.get_task("load_warehouse").outlets} == {
        "arxiv_papers",
        "arxiv_paper_labels",
        "arxiv_pipeline_runs",
    }
    assert dag.doc_md and all(task.doc_md for task in dag.tasks)
