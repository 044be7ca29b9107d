"""What the local stacks declare in Airflow, once: the harvest pool and the connections to the local servers.

``make demo``, ``make airflow``, the end-to-end tests and the compose override all take them from here.
"""

from __future__ import annotations

import json
from typing import Any

from arxiv_labeler import settings

# moto accepts any key; a loopback S3 server is never reached with real credentials.
LOCAL_S3_KEY = "testing"
LOCAL_S3_REGION = "us-east-1"


def pool_args() -> list[str]:
    """``airflow`` CLI arguments that create (or update) the harvest's one-slot pool."""
    return ["pools", "set", settings.OAI_POOL, str(settings.OAI_POOL_SLOTS), settings.OAI_POOL_DESCRIPTION]


def connection_env(conn_id: str, connection: dict[str, Any]) -> tuple[str, str]:
    """``AIRFLOW_CONN_<ID>`` and the connection as JSON, how Airflow reads connections from the environment."""
    return f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection)


def local_connections(
    s3_endpoint: str, oai_url: str, oai_delay_seconds: float = 0.2, oai_backoff_seconds: float = 0.5
) -> dict[str, str]:
    """The DAG's ``arxiv_models_s3`` and ``arxiv_oai`` connections, pointed at a local S3 and OAI-PMH server."""
    s3 = {
        "conn_type": "aws",
        "login": LOCAL_S3_KEY,
        "password": LOCAL_S3_KEY,
        "extra": {"endpoint_url": s3_endpoint, "region_name": LOCAL_S3_REGION},
    }
    oai = {
        "conn_type": "http",
        "host": oai_url,
        "extra": {"delay_seconds": oai_delay_seconds, "backoff_seconds": oai_backoff_seconds},
    }
    return dict([connection_env(settings.MODEL_S3_CONN_ID, s3), connection_env(settings.OAI_CONN_ID, oai)])
