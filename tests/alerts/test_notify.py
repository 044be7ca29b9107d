"""Alerts sent for real: Airflow's SMTP notifier to a local SMTP server (aiosmtpd), sync and async; any notifier instead."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from airflow.sdk.bases.notifier import BaseNotifier
from arxiv_labeler import settings
from arxiv_labeler.alerts.messages import Alert
from arxiv_labeler.alerts.notify import alert_notifier, asend, inert, send

from tests.support.smtp_sink import MailSink, body_html, body_text, free_port

ALERT = Alert(
    kind="task_failed",
    dag_id="arxiv_labeling",
    run_id="scheduled__2026-12-03T06:00:00+00:00",
    subject="[arxiv-labeler] arxiv_labeling: harvest failed (2026-12-02)",
    body="Task harvest failed.\nError: OaiHttpError: <html> & {{ not a template }}",
)
RECEIVED: list[tuple[Alert, dict[str, Any]]] = []


class RecordingNotifier(BaseNotifier):
    """A notifier other than mail: keeps what it was asked to send."""

    template_fields = ("text",)

    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert
        self.text = alert.body

    def notify(self, context: Any) -> None:
        RECEIVED.append((self.alert, dict(context)))


def recording_notifier(alert: Alert) -> RecordingNotifier:
    """What ``ARXIV_LABELER_ALERT_NOTIFIER`` names: a function from the alert to a notifier."""
    return RecordingNotifier(alert)


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    with MailSink() as server:
        for name, value in server.connection_env("arxiv_alerts_smtp").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(settings.ENV_ALERT_SMTP_CONN_ID, "arxiv_alerts_smtp")
        monkeypatch.setenv(settings.ENV_ALERT_EMAIL, "data-team@example.org, oncall@example.org")
        monkeypatch.delenv(settings.ENV_ALERT_NOTIFIER, raising=False)
        yield server


def test_a_task_callback_mails_the_alert_to_every_recipient(sink: MailSink) -> None:
    assert send(ALERT, {}) is True
    (message,) = sink.messages
    assert message["Subject"] == ALERT.subject
    assert sink.envelopes == [("airflow@example.org", ["data-team@example.org", "oncall@example.org"])]  # the connection's from
    assert "OaiHttpError: &lt;html&gt; &amp; { { not a template }}" in body_html(message)  # escaped, and no template
    assert body_text(message) == "Task harvest failed.\nError: OaiHttpError: <html> & { { not a template }}"


def test_the_sender_can_be_set_apart_from_the_connection(sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ENV_ALERT_FROM, "arxiv-labeler@example.org")
    assert send(ALERT, {})
    assert sink.envelopes[0][0] == "arxiv-labeler@example.org"


def test_the_triggerer_sends_through_the_notifiers_async_path(sink: MailSink) -> None:
    assert asyncio.run(asend(ALERT, {"dag_run": {"dag_id": "arxiv_labeling"}})) is True
    (message,) = sink.messages
    assert message["Subject"] == ALERT.subject


def test_any_notifier_can_replace_mail(sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> None:
    RECEIVED.clear()
    monkeypatch.setenv(settings.ENV_ALERT_NOTIFIER, f"{__name__}.recording_notifier")
    assert send(ALERT, {"run_id": ALERT.run_id})
    assert asyncio.run(asend(ALERT, {"run_id": ALERT.run_id}))  # a notifier with only notify(): run in a thread
    assert [(alert.kind, context["run_id"]) for alert, context in RECEIVED] == [("task_failed", ALERT.run_id)] * 2
    assert RECEIVED[0][0].body.endswith("{ { not a template }}")  # its template fields render our text unchanged
    assert sink.messages == []  # instead of mail, not besides it


def test_a_notifier_that_cannot_be_imported_is_logged_not_raised(
    sink: MailSink, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(settings.ENV_ALERT_NOTIFIER, "no_such_module.notifier")
    with caplog.at_level(logging.ERROR):
        assert send(ALERT, {}) is False
    assert f"alert {ALERT.subject!r} could not be sent" in caplog.text
    assert "ARXIV_LABELER_ALERT_NOTIFIER='no_such_module.notifier' cannot be imported" in caplog.text


def test_an_unreachable_mail_server_loses_the_alert_loudly_never_the_task(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MailSink()  # never started: nothing listens on its port
    sink.port = free_port()
    for name, value in sink.connection_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(settings.ENV_ALERT_EMAIL, "data-team@example.org")
    monkeypatch.delenv(settings.ENV_ALERT_SMTP_CONN_ID, raising=False)
    with caplog.at_level(logging.ERROR):
        assert send(ALERT, {}) is False
        assert asyncio.run(asend(ALERT, {})) is False
    assert caplog.text.count(f"alert {ALERT.subject!r} could not be sent") == 2


def test_without_recipients_or_notifier_alerts_are_only_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(settings.ENV_ALERT_EMAIL, raising=False)
    monkeypatch.delenv(settings.ENV_ALERT_NOTIFIER, raising=False)
    assert alert_notifier(ALERT) is None
    with caplog.at_level(logging.INFO):
        assert send(ALERT, {}) is False
    assert ALERT.subject in caplog.text and "set ARXIV_LABELER_ALERT_EMAIL" in caplog.text


def test_inert_text_is_not_a_jinja_template() -> None:
    import jinja2

    text = "score {{ 0.5 }} {% if %} {# note #}"
    assert jinja2.Environment(autoescape=True).from_string(inert(text)).render() == inert(text)
