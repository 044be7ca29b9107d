"""Warehouse loads: DuckDB (embedded default) and PostgreSQL, exactly once per interval."""

from __future__ import annotations

import re
from pathlib import Path

from arxiv_labeler.errors import ConfigError
from arxiv_labeler.run.record import RunRecord
from arxiv_labeler.warehouse.store import LoadResult, ModelInfo, Warehouse

__all__ = ["LoadResult", "ModelInfo", "RunRecord", "Warehouse", "open_warehouse", "postgres_url", "without_credentials"]

_USER_INFO = re.compile(r"(?<=://)[^/@]*@")
_POSTGRES_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+[\w]+)?://")


def without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``: what logs and error messages may show."""
    return _USER_INFO.sub("***@", url)


def postgres_url(uri: str) -> str:
    """A PostgreSQL URI as psycopg takes it: ``postgres://`` and ``postgresql+<driver>://`` become ``postgresql://``."""
    return _POSTGRES_SCHEME.sub("postgresql://", uri, count=1)


def open_warehouse(url: str) -> Warehouse:
    """``duckdb:///abs/path.duckdb``, ``duckdb://relative.duckdb`` or ``postgresql://...``.

    Raises:
        ConfigError: any other scheme, naming what is allowed.
    """
    if url.startswith("duckdb://"):
        from arxiv_labeler.warehouse.duckdb_store import DuckDbWarehouse

        return DuckDbWarehouse(Path(url.removeprefix("duckdb://")))
    if url.startswith(("postgresql://", "postgres://")):
        from arxiv_labeler.warehouse.postgres_store import PostgresWarehouse

        return PostgresWarehouse(url)
    raise ConfigError(f"warehouse URL must start with duckdb:// or postgresql://, got {without_credentials(url)!r}")
