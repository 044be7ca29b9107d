"""What an alert says: plain functions from Airflow's callback contexts to an :class:`Alert` (tested without Airflow).

Three alerts: a task failed after its retries, ``check_labels`` passed with warnings, and a
scheduled day's labels were not loaded by the deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SUBJECT_PREFIX = "[arxiv-labeler]"
QUALITY_HELP = "values, thresholds and details: `arxiv-labeler report --quality`, or the table arxiv_quality_checks"


@dataclass(frozen=True)
class Alert:
    """One notification: what happened (``kind``), to which run, in a subject line and a plain-text body."""

    kind: str  # task_failed | quality_warning | deadline_missed
    dag_id: str
    run_id: str
    subject: str
    body: str


def days_text(run_config: Any) -> str | None:
    """``2026-11-18`` or ``2026-11-18..2026-11-20`` from ``resolve_run``'s XCom (a run config), None without one."""
    if not isinstance(run_config, Mapping) or not run_config.get("start"):
        return None
    start, end = str(run_config["start"]), str(run_config.get("end") or run_config["start"])
    return start if start == end else f"{start}..{end}"


def task_failure_alert(context: Mapping[str, Any], run_config: Any = None) -> Alert:
    """A task failed for good (its retries spent, or an error no retry can fix): the task, the error, what to do."""
    ti = context.get("ti")
    dag_id = str(getattr(ti, "dag_id", "") or context.get("dag_id", "?"))
    task_id = str(getattr(ti, "task_id", "?"))
    run_id = str(context.get("run_id") or getattr(ti, "run_id", "?"))
    error = context.get("exception")
    days = days_text(run_config)
    lines = [
        f"Task {task_id} of DAG {dag_id} failed in run {run_id}" + (f" (try {ti.try_number})." if ti is not None else "."),
        f"Days: {days}" if days else "Days: not resolved (the run's params or data interval were refused)",
        f"Error: {type(error).__name__}: {error}" if error is not None else "Error: see the task's log",
    ]
    hint = getattr(context.get("task"), "doc_md", None)
    if hint:
        lines.append(f"What this task does and what to check: {' '.join(str(hint).split())}")
    log_url = getattr(ti, "log_url", None)
    if log_url:
        lines.append(f"Log: {log_url}")
    return Alert(
        "task_failed", dag_id, run_id, f"{SUBJECT_PREFIX} {dag_id}: {task_id} failed ({days or run_id})", "\n".join(lines)
    )


def quality_warning_alert(context: Mapping[str, Any], checked: Any, run_config: Any = None) -> Alert | None:
    """``check_labels`` passed with warnings (its XCom ``checked``): which checks warned; None when none did."""
    if not isinstance(checked, Mapping) or checked.get("quality_status") != "warning":
        return None
    warned = sorted(name for name, status in (checked.get("checks") or {}).items() if status == "warn")
    ti = context.get("ti")
    dag_id = str(getattr(ti, "dag_id", "") or context.get("dag_id", "?"))
    run_id = str(context.get("run_id") or getattr(ti, "run_id", "?"))
    days = days_text(run_config)
    body = "\n".join(
        [
            f"The labels of run {run_id} of DAG {dag_id} are loaded, and some data-quality checks warned.",
            f"Days: {days or 'unknown'}",
            f"Checks that warned: {', '.join(warned) or 'unknown'}",
            f"See {QUALITY_HELP} (run_id = '{run_id}').",
        ]
    )
    return Alert("quality_warning", dag_id, run_id, f"{SUBJECT_PREFIX} {dag_id}: quality warning for {days or run_id}", body)


def labeled_day(data_interval_end: dt.datetime) -> dt.date:
    """The UTC day a scheduled run labels: the day before its interval's end (the 06:00 run of D+1 labels D)."""
    return data_interval_end.astimezone(dt.UTC).date() - dt.timedelta(days=1)


def deadline_missed_alert(dag_run: Mapping[str, Any], due: str, load_state: str | None) -> Alert:
    """A scheduled run had not loaded its day's labels by ``due`` (UTC): the run, its state and the load's."""
    dag_id = str(dag_run.get("dag_id", "?"))
    run_id = str(dag_run.get("dag_run_id") or dag_run.get("run_id") or "?")
    interval_end = dag_run.get("data_interval_end")
    day = labeled_day(dt.datetime.fromisoformat(str(interval_end))).isoformat() if interval_end else "the run's day"
    body = "\n".join(
        [
            f"The labels of {day} were not loaded by {due} UTC: run {run_id} of DAG {dag_id} is {dag_run.get('state', '?')}, "
            f"its load_warehouse task {load_state or 'in a state that could not be read'}.",
            "A run that failed has sent a task-failure alert too; a run still going is late (arXiv slow, a long retry, "
            "a busy Spark): it goes on and loads the day when it succeeds.",
        ]
    )
    return Alert("deadline_missed", dag_id, run_id, f"{SUBJECT_PREFIX} {dag_id}: labels of {day} not loaded by {due} UTC", body)
