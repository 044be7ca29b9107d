"""The OAI-PMH endpoint from an Airflow HTTP connection (host = full base URL), else arXiv's."""

from __future__ import annotations

from arxiv_labeler.harvest.client import ARXIV_OAI_ENDPOINT, MIN_DELAY_SECONDS, OaiClient, RetryPolicy
from arxiv_labeler.hooks.connections import optional_connection


class OaiHook:
    """Builds the polite :class:`OaiClient`.

    Connection extras: ``delay_seconds`` (>= 3 except on loopback), ``read_timeout``,
    ``max_retries``, ``backoff_seconds``.
    """

    def __init__(self, http_conn_id: str | None, endpoint: str | None = None) -> None:
        self.http_conn_id = http_conn_id
        self.endpoint = endpoint

    def get_client(self) -> OaiClient:
        """An :class:`OaiClient` for the connection's endpoint and politeness settings."""
        connection = optional_connection(self.http_conn_id)
        extra = connection.extra_dejson if connection is not None else {}
        endpoint = self.endpoint or (connection_url(connection) if connection is not None else ARXIV_OAI_ENDPOINT)
        retry = RetryPolicy(
            max_retries=int(extra.get("max_retries", 5)),
            backoff_seconds=float(extra.get("backoff_seconds", 10.0)),
        )
        return OaiClient(
            endpoint,
            delay_seconds=float(extra.get("delay_seconds", MIN_DELAY_SECONDS)),
            read_timeout=float(extra.get("read_timeout", 120.0)),
            retry=retry,
        )


def connection_url(connection: object) -> str:
    """The base URL of an HTTP connection: host may be a full URL, or schema/host/port/path parts."""
    host = str(getattr(connection, "host", "") or "")
    if host.startswith(("http://", "https://")):
        return host
    schema = getattr(connection, "schema", None) or "https"
    port = getattr(connection, "port", None)
    return f"{schema}://{host}{f':{port}' if port else ''}/oai"
