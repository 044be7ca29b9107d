"""The DAG as Airflow parses it carries the alerts: every task's failure callback, check_labels' warning, the deadline."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from arxiv_labeler.alerts import ScheduledRunDay, on_labels_checked, on_task_failure

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dag(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    os.environ.update(
        {
            "AIRFLOW_HOME": str(tmp_path_factory.mktemp("airflow-home")),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        }
    )
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT / "dags"))
    assert bag.import_errors == {}
    return bag.dags["arxiv_labeling"]


def test_every_task_alerts_when_it_fails_for_good(dag) -> None:  # type: ignore[no-untyped-def]
    for task in dag.tasks:
        assert task.on_failure_callback == [on_task_failure], task.task_id
        assert not task.on_retry_callback  # a retry is not an alert: only the last failure is
    assert dag.get_task("check_labels").on_success_callback == [on_labels_checked]


def test_the_dag_has_the_labels_deadline(dag) -> None:  # type: ignore[no-untyped-def]
    (alert,) = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]
    assert isinstance(alert.reference, ScheduledRunDay) and alert.interval == dt.timedelta(hours=9)
    assert alert.callback.path == "arxiv_labeler.alerts.deadline.on_deadline_missed"
