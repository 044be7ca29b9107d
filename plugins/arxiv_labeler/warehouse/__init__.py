"""Warehouse loads: DuckDB (embedded default) and PostgreSQL, exactly once per interval."""

from __future__ import annotations

from pathlib import Path

from arxiv_labeler.errors import ConfigError
from arxiv_labeler.run.record import RunRecord
from arxiv_labeler.warehouse.store import LoadResult, ModelInfo, Warehouse

__all__ = ["LoadResult", "ModelInfo", "RunRecord", "Warehouse", "open_warehouse"]


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
    raise ConfigError(f"warehouse URL must start with duckdb:// or postgresql://, got {url!r}")
