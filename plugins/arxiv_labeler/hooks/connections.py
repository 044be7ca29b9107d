"""Optional Airflow connections: absent means 'use the production default'."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def optional_connection(conn_id: str | None) -> Any | None:
    """The connection ``conn_id``, or None when it is not defined anywhere (env, secrets, DB)."""
    if not conn_id:
        return None
    from airflow.exceptions import AirflowNotFoundException
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        log.info("connection %r is not defined; using the default", conn_id)
        return None


def connection_extras(connection: Any) -> dict[str, Any]:
    """The connection's extras without the fields a UI form left empty (saved as null or "": "use the default")."""
    return {key: value for key, value in connection.extra_dejson.items() if value is not None and value != ""}
