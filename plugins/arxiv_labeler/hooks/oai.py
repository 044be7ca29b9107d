"""The OAI-PMH endpoint from an Airflow connection (host = full base URL), else arXiv's."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from arxiv_labeler import settings
from arxiv_labeler.errors import ArxivLabelerError
from arxiv_labeler.harvest.client import OaiClient, oai_client
from arxiv_labeler.hooks.connections import connection_extras, optional_connection


class OaiHook(BaseHook):
    """Builds the polite :class:`OaiClient` (``harvest.client.oai_client``, as the CLI does).

    The connection is of type ``arxiv_oai_pmh`` (its form has a field per option) or ``http``
    (options in the extra JSON). Extras: ``delay_seconds`` (>= 3 except on loopback),
    ``read_timeout``, ``max_retries``, ``backoff_seconds``, ``max_backoff_seconds``.
    """

    conn_name_attr = "http_conn_id"
    default_conn_name = settings.OAI_CONN_ID
    conn_type = settings.OAI_CONN_TYPE
    hook_name = "arXiv OAI-PMH"

    def __init__(self, http_conn_id: str | None = settings.OAI_CONN_ID, endpoint: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.http_conn_id = http_conn_id
        self.endpoint = endpoint

    def get_client(self, **overrides: Any) -> OaiClient:
        """An :class:`OaiClient` for the connection's endpoint and politeness settings (``overrides`` win).

        Raises:
            ConfigError: an extra the client does not know (a typo) or a value that is not a number.
        """
        connection = optional_connection(self.http_conn_id)
        if connection is None:
            return oai_client(self.endpoint, overrides)
        return oai_client(self.endpoint or connection_url(connection), connection_extras(connection) | overrides)

    def test_connection(self) -> tuple[bool, str]:
        """The UI's Test button: one ``Identify`` request, no retries (`Identify <https://www.openarchives.org/OAI/openarchivesprotocol.html#Identify>`_)."""
        try:
            client = self.get_client(max_retries=0)
            try:
                answer = client.identify()
            finally:
                client.close()
        except (ArxivLabelerError, ValueError) as exc:  # project errors name the URL and the cause
            return False, str(exc)
        return True, (
            f"{client.endpoint}: {answer.get('repositoryName', 'an OAI-PMH repository')}, "
            f"earliestDatestamp {answer.get('earliestDatestamp', '?')}"
        )


def connection_url(connection: object) -> str:
    """The base URL of an HTTP connection: host may be a full URL, or schema/host/port/path parts."""
    host = str(getattr(connection, "host", "") or "")
    if host.startswith(("http://", "https://")):
        return host
    schema = getattr(connection, "schema", None) or "https"
    port = getattr(connection, "port", None)
    return f"{schema}://{host}{f':{port}' if port else ''}/oai"
