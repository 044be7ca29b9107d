"""DuckDB: the embedded default warehouse (one file)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from arxiv_labeler.errors import CorruptWarehouseFileError, WarehouseLockedError
from arxiv_labeler.warehouse.store import BATCH_ROWS, LABEL_COLUMNS, PAPER_STAGE_COLUMNS, Warehouse

_ARROW_TYPES: dict[str, pa.DataType] = {
    "arxiv_id": pa.string(),
    "version": pa.int32(),
    "created": pa.date32(),
    "updated": pa.date32(),
    "datestamp": pa.date32(),
    "title": pa.string(),
    "abstract": pa.string(),
    "authors": pa.list_(pa.string()),
    "affiliations": pa.list_(pa.string()),
    "withdrawn": pa.bool_(),
    "categories": pa.list_(pa.string()),
    "primary_category": pa.string(),
    "arxiv_group": pa.string(),
    "comments": pa.string(),
    "doi": pa.string(),
    "journal_ref": pa.string(),
    "license": pa.string(),
    "text_sha256": pa.string(),
    "harvested_in_run": pa.string(),
    "harvest_day": pa.date32(),
    "model_id": pa.string(),
    "label": pa.string(),
    "raw_label": pa.string(),
    "threshold": pa.float32(),
    "score": pa.float32(),
    "scores": pa.string(),
    "text_source": pa.string(),
    "labeled_at": pa.timestamp("us"),
    "run_id": pa.string(),
}
assert set(PAPER_STAGE_COLUMNS + LABEL_COLUMNS) <= set(_ARROW_TYPES)


class _DuckDbCursor:
    """DB-API-like cursor over a DuckDB connection that fetches every result at once.

    DuckDB refuses new work on a connection with an unfetched result, and reports
    DML row counts as a result row rather than ``rowcount``.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.rows: list[tuple[Any, ...]] = []
        self.description: Any = None
        self.rowcount = -1

    def execute(self, sql: str, params: Any = None) -> None:
        try:
            result = self.connection.execute(sql, params) if params is not None else self.connection.execute(sql)
        except duckdb.IOException as exc:
            # A file cut short can pass connect() and fail only where a query first reads past its end.
            if "could not read" not in str(exc).lower():
                raise
            raise CorruptWarehouseFileError(
                f"{self.path} is not a readable DuckDB database ({str(exc).strip()[:200]}): "
                "refusing to start a new warehouse over it; restore it or move it away"
            ) from exc
        self.description = result.description
        self.rows = result.fetchall() if result.description else []
        is_dml = sql.lstrip().upper().startswith(("UPDATE", "DELETE", "INSERT"))
        self.rowcount = int(self.rows[0][0]) if is_dml and self.rows else -1

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def register(self, name: str, table: pa.Table) -> None:
        self.connection.register(name, table)

    def unregister(self, name: str) -> None:
        self.connection.unregister(name)


class _DuckDbConnection:
    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.connection = connection
        self.path = path

    def cursor(self) -> _DuckDbCursor:
        return _DuckDbCursor(self.connection, self.path)

    def close(self) -> None:
        self.connection.close()


_FILE_LOCKS: dict[str, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(str(path.resolve()), threading.Lock())


class DuckDbWarehouse(Warehouse):
    """A DuckDB file. One writer at a time: threads queue on a lock, processes on DuckDB's file lock."""

    dialect = "duckdb"

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """As :meth:`Warehouse.transaction`, serialized per file (DuckDB aborts conflicting concurrent writers)."""
        with _file_lock(self.path), super().transaction() as cursor:
            yield cursor

    def __init__(self, path: Path, lock_timeout_seconds: float = 600.0) -> None:
        self.path = path
        self.lock_timeout_seconds = lock_timeout_seconds

    def __repr__(self) -> str:
        return f"DuckDbWarehouse({str(self.path)!r})"

    def _connect(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size == 0:
            raise CorruptWarehouseFileError(
                f"{self.path} is empty (truncated?): refusing to start a new warehouse over it; restore it or move it away"
            )
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.1
        while True:
            try:
                return _DuckDbConnection(duckdb.connect(str(self.path)), self.path)
            except duckdb.IOException as exc:
                # Another process (a parallel backfill run) holds the file lock: wait our turn.
                if "lock" not in str(exc).lower():
                    raise CorruptWarehouseFileError(
                        f"{self.path} is not a readable DuckDB database ({str(exc).strip()[:200]}): "
                        "refusing to start a new warehouse over it; restore it or move it away"
                    ) from exc
                if time.monotonic() > deadline:
                    raise WarehouseLockedError(
                        f"{self.path} stayed locked by another process for {self.lock_timeout_seconds:.0f} s: "
                        "is a load stuck? (use PostgreSQL for parallel writers)"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _stage(self, cursor: Any, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        schema = pa.schema([(c, _ARROW_TYPES[c]) for c in columns])
        created = False
        for chunk in _chunks(rows, BATCH_ROWS):
            staged = pa.Table.from_arrays(
                [pa.array([r[i] for r in chunk], type=t) for i, t in enumerate(schema.types)], schema=schema
            )
            cursor.register(f"{table}_arrow", staged)
            verb = f"INSERT INTO {table} SELECT * FROM" if created else f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM"
            cursor.execute(f"{verb} {table}_arrow")
            cursor.unregister(f"{table}_arrow")
            created = True
        if not created:  # no rows: an empty table of the right types
            cursor.register(f"{table}_arrow", schema.empty_table())
            cursor.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
            cursor.unregister(f"{table}_arrow")

    def _temp_table(self, cursor: Any, table: str, definition: str) -> None:
        cursor.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({definition})")

    def _stage_batch(self, cursor: Any, table: str, batch: pa.RecordBatch) -> None:
        """As :meth:`Warehouse._stage_batch`, the Arrow batch handed to DuckDB as it is (no Python rows)."""
        schema = pa.schema([(c, _ARROW_TYPES[c]) for c in PAPER_STAGE_COLUMNS])
        cursor.register(f"{table}_arrow", pa.Table.from_batches([batch]).cast(schema))
        cursor.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
        cursor.unregister(f"{table}_arrow")

    def _json(self, placeholder: str) -> str:
        return f"CAST({placeholder} AS JSON)"


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """``rows`` in lists of at most ``size``."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
