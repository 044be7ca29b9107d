"""The deadline alert: its setting, the runs it applies to, how Airflow stores it, and what its callback sends."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from arxiv_labeler import settings
from arxiv_labeler.alerts import deadline
from arxiv_labeler.alerts.deadline import ScheduledRunDay, labels_deadline, scheduled_day_start
from arxiv_labeler.alerts.messages import labeled_day

from tests.support.smtp_sink import MailSink, body_text

UTC = dt.UTC
DAG_RUN = {
    "dag_id": "arxiv_labeling",
    "dag_run_id": "scheduled__2026-12-03T06:00:00+00:00",
    "run_type": "scheduled",
    "state": "running",
    "data_interval_start": "2026-12-02T06:00:00Z",
    "data_interval_end": "2026-12-03T06:00:00Z",
}


def test_the_default_deadline_is_nine_utc_the_day_after_the_labeled_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.ENV_DEADLINE_UTC, raising=False)
    alert = labels_deadline()
    assert alert is not None and alert.name == "labels_loaded"
    assert isinstance(alert.reference, ScheduledRunDay) and alert.interval == dt.timedelta(hours=9)
    assert alert.callback.path == "arxiv_labeler.alerts.deadline.on_deadline_missed"
    assert alert.callback.kwargs == {"due": "09:00"}
    interval_end = dt.datetime(2026, 12, 3, 6, tzinfo=UTC)  # the scheduled run labelling 2026-12-02
    due = scheduled_day_start("scheduled", interval_end) + alert.interval  # type: ignore[operator]
    assert due == dt.datetime(2026, 12, 3, 9, tzinfo=UTC) and labeled_day(interval_end) == dt.date(2026, 12, 2)


def test_only_scheduled_runs_get_a_deadline() -> None:
    end = dt.datetime(2026, 12, 3, 6, tzinfo=UTC)
    for run_type in ("manual", "backfill", "asset_triggered"):  # backfilled days are long past: no alert per day
        assert scheduled_day_start(run_type, end) is None
    assert scheduled_day_start("scheduled", None) is None
    # an interval end given in another zone is the same UTC day
    assert scheduled_day_start("scheduled", end.astimezone(dt.timezone(dt.timedelta(hours=-8)))) == dt.datetime(
        2026, 12, 3, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("05:30", "ARXIV_LABELER_DEADLINE_UTC=05:30 is not after 06:00 UTC"),
        ("06:00", "is not after 06:00 UTC, when the scheduled run starts"),
        ("9am", "ARXIV_LABELER_DEADLINE_UTC must be a UTC time HH:MM such as 09:00, got '9am'"),
    ],
)
def test_a_deadline_that_cannot_work_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv(settings.ENV_DEADLINE_UTC, value)
    with pytest.raises(ValueError, match=message):
        labels_deadline()


def test_an_empty_deadline_turns_the_alert_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ENV_DEADLINE_UTC, "")
    assert labels_deadline() is None
    monkeypatch.setenv(settings.ENV_DEADLINE_UTC, "10:30")
    assert labels_deadline().interval == dt.timedelta(hours=10, minutes=30)  # type: ignore[union-attr]


def test_airflow_stores_the_reference_by_its_class_path_for_the_plugin_to_resolve() -> None:
    from airflow.serialization.encoders import encode_deadline_alert

    encoded = encode_deadline_alert(labels_deadline())  # type: ignore[arg-type]
    assert encoded["reference"]["__class_path"] == "arxiv_labeler.alerts.deadline.ScheduledRunDay"
    from arxiv_labeler.airflow_plugin import ArxivLabelerPlugin

    assert ScheduledRunDay in ArxivLabelerPlugin.deadline_references  # how the scheduler finds that class


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    with MailSink() as server:
        for name, value in server.connection_env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(settings.ENV_ALERT_EMAIL, "data-team@example.org")
        monkeypatch.delenv(settings.ENV_ALERT_NOTIFIER, raising=False)
        monkeypatch.delenv(settings.ENV_ALERT_SMTP_CONN_ID, raising=False)
        yield server


def stub_load_state(monkeypatch: pytest.MonkeyPatch, state: str | None) -> list[tuple[str, str, str]]:
    asked: list[tuple[str, str, str]] = []

    async def task_state(dag_id: str, run_id: str, task_id: str) -> str | None:
        asked.append((dag_id, run_id, task_id))
        return state

    monkeypatch.setattr(deadline, "_task_state", task_state)
    return asked


def test_a_missed_deadline_mails_the_day_and_the_states(sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = stub_load_state(monkeypatch, "up_for_retry")
    asyncio.run(deadline.on_deadline_missed({"dag_run": DAG_RUN, "deadline": {"id": "x"}}, due="09:00"))
    assert asked == [("arxiv_labeling", DAG_RUN["dag_run_id"], "load_warehouse")]
    (message,) = sink.messages
    assert message["Subject"] == "[arxiv-labeler] arxiv_labeling: labels of 2026-12-02 not loaded by 09:00 UTC"
    assert "is running, its load_warehouse task up_for_retry" in body_text(message)


def test_no_deadline_alert_once_the_labels_are_loaded(sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> None:
    stub_load_state(monkeypatch, "success")  # the run failed later (check_labels): it has its own alert
    asyncio.run(deadline.on_deadline_missed({"dag_run": dict(DAG_RUN, state="failed")}, due="09:00"))
    assert sink.messages == []


def test_an_unknown_load_state_still_alerts(sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> None:
    stub_load_state(monkeypatch, None)
    asyncio.run(deadline.on_deadline_missed({"dag_run": DAG_RUN}, due="09:00"))
    assert "its load_warehouse task in a state that could not be read." in body_text(sink.messages[0])
