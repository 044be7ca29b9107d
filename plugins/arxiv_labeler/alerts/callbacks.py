"""The DAG's callbacks: a task that failed for good, and ``check_labels`` passing with warnings."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from arxiv_labeler.alerts.messages import quality_warning_alert, task_failure_alert
from arxiv_labeler.alerts.notify import send

log = logging.getLogger(__name__)
RESOLVE_TASK = "resolve_run"  # its XCom is the run config: the days every alert names


def _pull(context: Mapping[str, Any], task_id: str) -> Any:
    """A task's return value in this run, or None: an alert goes out even when a detail cannot be read."""
    try:
        return context["ti"].xcom_pull(task_ids=task_id)
    except Exception:  # the execution API down, no such XCom: the alert says less, but is sent
        log.warning("could not read the XCom of %s for the alert", task_id, exc_info=True)
        return None


def on_task_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of every task: Airflow calls it once the task's retries are spent (or on a permanent error)."""
    run_config = None if context["ti"].task_id == RESOLVE_TASK else _pull(context, RESOLVE_TASK)
    send(task_failure_alert(context, run_config), context)


def on_labels_checked(context: Mapping[str, Any]) -> None:
    """``check_labels``' ``on_success_callback``: an alert when its checks passed with warnings."""
    alert = quality_warning_alert(context, _pull(context, context["ti"].task_id), _pull(context, RESOLVE_TASK))
    if alert is not None:
        send(alert, context)
