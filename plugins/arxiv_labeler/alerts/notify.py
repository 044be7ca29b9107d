"""Which notifier sends an alert, and sending it from a task callback (sync) or the triggerer (async).

Mail through Airflow's SMTP provider when ``ARXIV_LABELER_ALERT_EMAIL`` names recipients;
``ARXIV_LABELER_ALERT_NOTIFIER=module.function`` replaces it with any Airflow notifier: the
function takes the :class:`Alert` and returns a notifier instance (Slack, a webhook, ...). With
neither, alerts are only logged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import importlib
import logging
from collections.abc import Mapping
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.alerts.messages import Alert
from arxiv_labeler.errors import ConfigError

log = logging.getLogger(__name__)


def inert(text: str) -> str:
    """``text`` with Jinja's openers split, so a notifier that renders its fields prints our text as it is."""
    return text.replace("{{", "{ {").replace("{%", "{ %").replace("{#", "{ #")


def inert_alert(alert: Alert) -> Alert:
    """``alert`` as notifiers get it: an error message quoting ``{{`` must not break (or run) their templates."""
    return dataclasses.replace(alert, subject=inert(alert.subject), body=inert(alert.body))


def email_notifier(alert: Alert, recipients: tuple[str, ...]) -> Any:
    """Airflow's ``SmtpNotifier`` for ``alert`` through ``ARXIV_LABELER_ALERT_SMTP_CONN_ID`` (default ``smtp_default``)."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return SmtpNotifier(
        to=list(recipients),
        from_email=settings.alert_sender(),
        subject=alert.subject,
        html_content=f"<pre>{html.escape(alert.body, quote=False)}</pre>",  # plain text, shown as written
        smtp_conn_id=settings.alert_smtp_conn_id(),
    )


def alert_notifier(alert: Alert) -> Any | None:
    """The notifier that sends ``alert`` (made inert): the configured factory's, else mail, else None (nothing configured).

    Raises:
        ConfigError: ``ARXIV_LABELER_ALERT_NOTIFIER`` does not name an importable function.
    """
    alert = inert_alert(alert)
    path = settings.alert_notifier_path()
    if path:
        module, _, name = path.rpartition(".")
        try:
            factory = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ConfigError(f"{settings.ENV_ALERT_NOTIFIER}={path!r} cannot be imported ({exc}): use module.function") from exc
        return factory(alert)
    recipients = settings.alert_recipients()
    return email_notifier(alert, recipients) if recipients else None


def send(alert: Alert, context: Mapping[str, Any]) -> bool:
    """Send ``alert`` now (task callbacks run in the task's process); False when nothing is configured or it failed.

    A failure is logged with the alert's subject and never raised: the task's own state is what matters there.
    """
    log.warning("alert %s: %s", alert.kind, alert.subject)
    try:
        notifier = alert_notifier(alert)
        if notifier is None:
            log.info("no alert sent: set %s (mail) or %s (any notifier)", settings.ENV_ALERT_EMAIL, settings.ENV_ALERT_NOTIFIER)
            return False
        notifier(context)  # BaseNotifier.__call__: renders its template fields, then notify()
    except Exception:  # any notifier's failure (SMTP down, a bad webhook): logged, the alert named
        log.exception("alert %r could not be sent", alert.subject)
        return False
    return True


async def asend(alert: Alert, context: Mapping[str, Any]) -> bool:
    """Send ``alert`` from the triggerer (deadline callbacks): the notifier's ``async_notify``, else its sync one in a thread."""
    from airflow.sdk.bases.notifier import BaseNotifier

    log.warning("alert %s: %s", alert.kind, alert.subject)
    try:
        notifier = alert_notifier(alert)
        if notifier is None:
            log.info("no alert sent: set %s (mail) or %s (any notifier)", settings.ENV_ALERT_EMAIL, settings.ENV_ALERT_NOTIFIER)
            return False
        if getattr(type(notifier), "async_notify", None) is BaseNotifier.async_notify:  # only notify(): off the event loop
            await asyncio.to_thread(notifier, dict(context))
        else:
            notifier.context = dict(context)
            await notifier  # BaseNotifier.__await__: renders its template fields, then async_notify()
    except Exception:  # any notifier's failure: logged with the alert, the triggerer goes on
        log.exception("alert %r could not be sent", alert.subject)
        return False
    return True
