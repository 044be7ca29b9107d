"""What the DAG's callbacks send, from contexts shaped like Airflow's, to a local SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from arxiv_labeler import settings
from arxiv_labeler.alerts import on_labels_checked, on_task_failure
from arxiv_labeler.alerts.messages import days_text, quality_warning_alert, task_failure_alert
from arxiv_labeler.errors import HarvestError

from tests.support.smtp_sink import MailSink, body_text

RUN_ID = "scheduled__2026-12-03T06:00:00+00:00"
RUN_CONFIG = {"start": "2026-12-02", "end": "2026-12-02", "engine": "auto"}


def context(task_id: str, xcoms: dict[str, Any], exception: BaseException | None = None) -> dict[str, Any]:
    """A task callback's context: the parts the alerts read (``ti.xcom_pull`` answers from ``xcoms``)."""

    def xcom_pull(task_ids: str) -> Any:
        if task_ids not in xcoms:
            raise KeyError(task_ids)  # what a broken execution API would do: the alert must still go
        return xcoms[task_ids]

    ti = SimpleNamespace(
        dag_id="arxiv_labeling",
        task_id=task_id,
        run_id=RUN_ID,
        try_number=4,
        log_url=f"http://airflow.example.org/dags/arxiv_labeling/runs/{RUN_ID}/tasks/{task_id}?try_number=4",
        xcom_pull=xcom_pull,
    )
    return {"ti": ti, "run_id": RUN_ID, "exception": exception, "task": SimpleNamespace(doc_md="OAI-PMH ListRecords.")}


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    with MailSink() as server:
        for name, value in server.connection_env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(settings.ENV_ALERT_EMAIL, "data-team@example.org")
        monkeypatch.delenv(settings.ENV_ALERT_NOTIFIER, raising=False)
        monkeypatch.delenv(settings.ENV_ALERT_SMTP_CONN_ID, raising=False)
        yield server


def test_a_failed_task_mails_the_task_the_days_the_error_and_the_log(sink: MailSink) -> None:
    error = HarvestError("https://oaipmh.arxiv.org/oai?verb=ListRecords: gave up after 6 attempts; last: HTTP 500")
    on_task_failure(context("harvest", {"resolve_run": RUN_CONFIG}, error))
    (message,) = sink.messages
    assert message["Subject"] == "[arxiv-labeler] arxiv_labeling: harvest failed (2026-12-02)"
    text = body_text(message)
    assert f"Task harvest of DAG arxiv_labeling failed in run {RUN_ID} (try 4)." in text
    assert "Days: 2026-12-02" in text and "Error: HarvestError: https://oaipmh.arxiv.org/oai?verb=ListRecords: gave up" in text
    assert "What this task does and what to check: OAI-PMH ListRecords." in text
    assert f"Log: http://airflow.example.org/dags/arxiv_labeling/runs/{RUN_ID}/tasks/harvest?try_number=4" in text


def test_a_refused_run_says_its_days_were_never_resolved(sink: MailSink) -> None:
    on_task_failure(context("resolve_run", {}, ValueError("until_date 2026-11-18 is before from_date 2026-11-20")))
    text = body_text(sink.messages[0])
    assert "Days: not resolved" in text and "until_date 2026-11-18 is before from_date 2026-11-20" in text
    assert sink.messages[0]["Subject"] == f"[arxiv-labeler] arxiv_labeling: resolve_run failed ({RUN_ID})"


def test_an_unreadable_xcom_still_sends_the_alert(sink: MailSink) -> None:
    on_task_failure(context("classify", {}, RuntimeError("the classify job failed")))  # resolve_run's XCom unreadable
    assert "Error: RuntimeError: the classify job failed" in body_text(sink.messages[0])


def test_check_labels_with_warnings_mails_the_checks_that_warned(sink: MailSink) -> None:
    checked = {"quality_status": "warning", "checks": {"papers_loaded": "pass", "empty_announcement_days": "warn"}}
    on_labels_checked(context("check_labels", {"check_labels": checked, "resolve_run": RUN_CONFIG}))
    (message,) = sink.messages
    assert message["Subject"] == "[arxiv-labeler] arxiv_labeling: quality warning for 2026-12-02"
    text = body_text(message)
    assert "Checks that warned: empty_announcement_days" in text and "papers_loaded" not in text
    assert f"arxiv-labeler report --quality`, or the table arxiv_quality_checks (run_id = '{RUN_ID}')" in text


@pytest.mark.parametrize("status", ["passed", "failed"])
def test_check_labels_passed_or_failed_sends_no_warning(sink: MailSink, status: str) -> None:
    # failed: the task fails, and its failure callback sends the alert (with the failed checks in the error)
    on_labels_checked(context("check_labels", {"check_labels": {"quality_status": status, "checks": {}}}))
    assert sink.messages == []


def test_messages_without_airflow() -> None:
    assert days_text({"start": "2026-11-18", "end": "2026-11-20"}) == "2026-11-18..2026-11-20"
    assert days_text({"start": "2026-11-18", "end": "2026-11-18"}) == "2026-11-18"
    assert days_text(None) is None and days_text("not a run config") is None
    assert quality_warning_alert({}, None) is None
    alert = task_failure_alert({"dag_id": "arxiv_labeling", "run_id": "manual__1"})
    assert alert.kind == "task_failed" and "Error: see the task's log" in alert.body
