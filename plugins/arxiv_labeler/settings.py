"""Defaults for the production profile and the environment variables that override them.

With no override set, the pipeline talks to the real arXiv OAI-PMH endpoint and
reads the published model zip anonymously from S3, and writes a DuckDB file.
"""

from __future__ import annotations

import os
from pathlib import Path

from arxiv_labeler.harvest.client import ARXIV_OAI_ENDPOINT
from arxiv_labeler.model.fetch import PUBLISHED_MODEL_URI

# Airflow connection ids the operators look up; each is optional (see README: Configuration).
MODEL_S3_CONN_ID = "arxiv_models_s3"  # absent: anonymous reads of a public bucket
OAI_CONN_ID = "arxiv_oai"  # absent: the real arXiv endpoint
WAREHOUSE_CONN_ID = "arxiv_warehouse"  # absent: DuckDB file under the data dir
SPARK_CONN_ID = "arxiv_spark"  # absent: local[*]

OAI_POOL = "arxiv_oai"  # one slot: never two connections to arXiv

ENV_DATA_DIR = "ARXIV_LABELER_DATA_DIR"
ENV_MODEL_URI = "ARXIV_LABELER_MODEL_URI"
ENV_WAREHOUSE_URL = "ARXIV_LABELER_WAREHOUSE_URL"


def data_dir() -> Path:
    """Where caches, landed data and the DuckDB file live."""
    configured = os.environ.get(ENV_DATA_DIR)
    if configured:
        return Path(configured)
    airflow_home = os.environ.get("AIRFLOW_HOME", str(Path.home() / "airflow"))
    return Path(airflow_home) / "arxiv-labeler"


def default_model_uri() -> str:
    """The model zip the DAG uses by default (``ARXIV_LABELER_MODEL_URI`` or the published one)."""
    return os.environ.get(ENV_MODEL_URI, PUBLISHED_MODEL_URI)


def default_warehouse_url() -> str:
    """The warehouse URL when no connection is set (``ARXIV_LABELER_WAREHOUSE_URL`` or DuckDB)."""
    return os.environ.get(ENV_WAREHOUSE_URL, f"duckdb://{data_dir() / 'warehouse.duckdb'}")


__all__ = [
    "ARXIV_OAI_ENDPOINT",
    "MODEL_S3_CONN_ID",
    "OAI_CONN_ID",
    "OAI_POOL",
    "PUBLISHED_MODEL_URI",
    "SPARK_CONN_ID",
    "WAREHOUSE_CONN_ID",
    "data_dir",
    "default_model_uri",
    "default_warehouse_url",
]
