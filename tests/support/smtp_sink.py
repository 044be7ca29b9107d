"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) that keeps every mail it is sent, for the alert tests."""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import socket
import threading
import time
from email.message import EmailMessage
from typing import Any, Self

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    """``with MailSink() as sink:`` serves SMTP on ``sink.port``; ``sink.messages`` are the mails received."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def connection(self, from_email: str = "airflow@example.org") -> dict[str, Any]:
        """An Airflow SMTP connection to this server (plain SMTP: no SSL, no STARTTLS, no login)."""
        return {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": self.port,
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": from_email, "timeout": 10, "retry_limit": 0},
        }

    def connection_env(self, conn_id: str = "smtp_default", from_email: str = "airflow@example.org") -> dict[str, str]:
        """``AIRFLOW_CONN_<ID>`` for :meth:`connection`."""
        return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(self.connection(from_email))}

    def subjects(self) -> list[str]:
        with self._lock:
            return [str(m["Subject"]) for m in self.messages]

    def wait_for(self, predicate: Any, timeout: float = 60) -> EmailMessage:
        """The first mail for which ``predicate(message)`` holds, waiting up to ``timeout`` s for it."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no such mail within {timeout} s; received: {self.subjects()}")
            time.sleep(0.5)

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def body_html(message: EmailMessage) -> str:
    """The mail's HTML part as sent."""
    part = message.get_body(preferencelist=("html", "plain"))
    return str(part.get_content()) if part is not None else ""


def body_text(message: EmailMessage) -> str:
    """The mail's text as a reader sees it (the alerts send plain text inside <pre>)."""
    return html.unescape(re.sub(r"</?pre>", "", body_html(message)))
