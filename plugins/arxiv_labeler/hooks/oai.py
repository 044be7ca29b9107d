"""The OAI-PMH endpoint from an Airflow HTTP connection (host = full base URL), else arXiv's."""

from __future__ import annotations

from arxiv_labeler import settings
from arxiv_labeler.harvest.client import OaiClient, oai_client
from arxiv_labeler.hooks.connections import optional_connection


class OaiHook:
    """Builds the polite :class:`OaiClient` (``harvest.client.oai_client``, as the CLI does).

    Connection extras: ``delay_seconds`` (>= 3 except on loopback), ``read_timeout``,
    ``max_retries``, ``backoff_seconds``, ``max_backoff_seconds``.
    """

    def __init__(self, http_conn_id: str | None = settings.OAI_CONN_ID, endpoint: str | None = None) -> None:
        self.http_conn_id = http_conn_id
        self.endpoint = endpoint

    def get_client(self) -> OaiClient:
        """An :class:`OaiClient` for the connection's endpoint and politeness settings.

        Raises:
            ConfigError: an extra the client does not know (a typo) or a value that is not a number.
        """
        connection = optional_connection(self.http_conn_id)
        if connection is None:
            return oai_client(self.endpoint)
        return oai_client(self.endpoint or connection_url(connection), connection.extra_dejson)


def connection_url(connection: object) -> str:
    """The base URL of an HTTP connection: host may be a full URL, or schema/host/port/path parts."""
    host = str(getattr(connection, "host", "") or "")
    if host.startswith(("http://", "https://")):
        return host
    schema = getattr(connection, "schema", None) or "https"
    port = getattr(connection, "port", None)
    return f"{schema}://{host}{f':{port}' if port else ''}/oai"
