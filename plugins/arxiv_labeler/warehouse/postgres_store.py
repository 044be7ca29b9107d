"""PostgreSQL: the production warehouse, loaded with COPY into temp tables and merged."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from arxiv_labeler.errors import WarehouseConnectionError
from arxiv_labeler.warehouse.store import Warehouse

_PG_TYPES = {
    "arxiv_id": "TEXT",
    "version": "INTEGER",
    "created": "DATE",
    "updated": "DATE",
    "datestamp": "DATE",
    "title": "TEXT",
    "abstract": "TEXT",
    "authors": "TEXT[]",
    "affiliations": "TEXT[]",
    "withdrawn": "BOOLEAN",
    "categories": "TEXT[]",
    "primary_category": "TEXT",
    "arxiv_group": "TEXT",
    "comments": "TEXT",
    "doi": "TEXT",
    "journal_ref": "TEXT",
    "license": "TEXT",
    "text_sha256": "TEXT",
    "harvested_in_run": "TEXT",
    "harvest_day": "DATE",
    "model_id": "TEXT",
    "label": "TEXT",
    "raw_label": "TEXT",
    "threshold": "REAL",
    "score": "REAL",
    "scores": "JSONB",
    "text_source": "TEXT",
    "labeled_at": "TIMESTAMPTZ",
    "run_id": "TEXT",
}


class PostgresWarehouse(Warehouse):
    """A PostgreSQL database given by a libpq URI (``postgresql://user@host:5432/db``)."""

    dialect = "postgres"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def __repr__(self) -> str:
        return f"PostgresWarehouse({self.dsn.split('@')[-1]!r})"  # never log credentials

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """As :meth:`Warehouse.transaction`; a lost or refused connection becomes a :class:`WarehouseConnectionError`."""
        try:
            with super().transaction() as cursor:
                yield cursor
        except psycopg.OperationalError as exc:
            cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WarehouseConnectionError(
                f"{self!r}: the connection to PostgreSQL failed ({cause}); the transaction did not complete "
                "(PostgreSQL rolls back what it did not commit) and a retry of the task is safe: loads are idempotent"
            ) from exc

    def _connect(self) -> Any:
        # autocommit so the explicit BEGIN/COMMIT of Warehouse.transaction is the only transaction
        return psycopg.connect(self.dsn, autocommit=True)

    def _param(self) -> str:
        return "%s"

    def _temp_table(self, cursor: Any, table: str, definition: str) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMP TABLE {table} ({definition}) ON COMMIT DROP")

    def _stage(self, cursor: Any, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        self._temp_table(cursor, table, ", ".join(f"{c} {_PG_TYPES[c]}" for c in columns))
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _json(self, placeholder: str) -> str:
        return f"CAST({placeholder} AS JSONB)"
