"""The deadline alert: a scheduled day's labels must be loaded by ``ARXIV_LABELER_DEADLINE_UTC`` (09:00) the next day.

Airflow's ``DeadlineAlert`` on the DAG, with this package's own reference: the built-in
``DAGRUN_LOGICAL_DATE`` would also give manual runs and backfills (days long past) a deadline
that passes the moment they are created, one false alert per backfilled day. The reference is
registered by the plugin (``deadline_references``), so the scheduler can evaluate it; the
callback runs in the triggerer.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import BaseDeadlineReference, DeadlineAlert

from arxiv_labeler import settings
from arxiv_labeler.alerts.messages import deadline_missed_alert
from arxiv_labeler.alerts.notify import asend

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
LOAD_TASK = "load_warehouse"  # the labels are loaded when it succeeded (check_labels may still fail the run)


def scheduled_day_start(run_type: str | None, data_interval_end: dt.datetime | None) -> dt.datetime | None:
    """00:00 UTC of the day a scheduled run's interval ends (the day after the day it labels); None for other runs."""
    if run_type != "scheduled" or data_interval_end is None:
        return None  # manual runs, backfills, asset-triggered runs: nobody waits for them at a fixed time
    return dt.datetime.combine(data_interval_end.astimezone(dt.UTC).date(), dt.time(0), dt.UTC)


class ScheduledRunDay(BaseDeadlineReference):
    """A deadline reference: :func:`scheduled_day_start` of the run (the alert's interval adds the time of day)."""

    required_kwargs = {"dag_id", "run_id"}

    def _evaluate_with(self, *, session: Session, **kwargs: Any) -> dt.datetime | None:
        """Evaluated by the scheduler when it creates a run (core models are importable there)."""
        from airflow.models import DagRun
        from sqlalchemy import select

        row = session.execute(
            select(DagRun.run_type, DagRun.data_interval_end).where(
                DagRun.dag_id == kwargs["dag_id"], DagRun.run_id == kwargs["run_id"]
            )
        ).one_or_none()
        return None if row is None else scheduled_day_start(str(row[0]), row[1])


def labels_deadline() -> DeadlineAlert | None:
    """The DAG's deadline: alert when a scheduled day is not loaded by ``ARXIV_LABELER_DEADLINE_UTC``; None when off.

    Raises:
        ValueError: a deadline that is not ``HH:MM`` or not after the run's 06:00 start (the DAG fails to import,
            naming the variable).
    """
    due = settings.deadline_utc()
    if due is None:
        return None
    return DeadlineAlert(
        reference=ScheduledRunDay(),
        interval=dt.timedelta(hours=due.hour, minutes=due.minute),
        callback=AsyncCallback(on_deadline_missed, kwargs={"due": due.strftime("%H:%M")}),
        name="labels_loaded",
    )


async def _task_state(dag_id: str, run_id: str, task_id: str) -> str | None:
    """A task's state in a run (``not started`` before it is queued), read through the triggerer's execution API.

    None when it cannot be read.
    """
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
    from asgiref.sync import sync_to_async

    try:
        states = await sync_to_async(RuntimeTaskInstance.get_task_states)(dag_id=dag_id, task_ids=[task_id], run_ids=[run_id])
    except Exception:  # the API unreachable or changed: the alert goes out without the task's state
        log.warning("could not read the state of %s in %s", task_id, run_id, exc_info=True)
        return None
    run_states = states.get(run_id) or {}
    if task_id not in run_states:
        return None
    return "not started" if run_states[task_id] is None else str(run_states[task_id])


async def on_deadline_missed(context: dict[str, Any] | None = None, due: str = "") -> None:
    """The deadline's callback (triggerer): alert unless ``load_warehouse`` succeeded meanwhile.

    The run counts as done for Airflow only when every task succeeded; a run whose load committed but
    whose ``check_labels`` failed has its labels, and its failure alert said so already.
    """
    context = context or {}
    dag_run = context.get("dag_run") or {}
    dag_id, run_id = str(dag_run.get("dag_id", "")), str(dag_run.get("dag_run_id", ""))
    load_state = await _task_state(dag_id, run_id, LOAD_TASK) if dag_id and run_id else None
    if load_state == "success":
        log.info("deadline %s UTC of %s passed, but %s succeeded: the labels are loaded, no alert", due, run_id, LOAD_TASK)
        return
    await asend(deadline_missed_alert(dag_run, due, load_state), context)
