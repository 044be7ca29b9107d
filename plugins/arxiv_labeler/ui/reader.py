"""Read-only sessions on the warehouse for the labels page: DuckDB ``read_only``, PostgreSQL ``SET TRANSACTION READ ONLY``.

Queries are written once with ``?`` placeholders; every value is bound, never spliced into SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from arxiv_labeler.errors import WarehouseBusyError, WarehouseUnavailableError

Dialect = Literal["duckdb", "postgres"]


class ReadSession:
    """One read-only connection (one snapshot) for the queries of one request."""

    def __init__(self, dialect: Dialect, connection: Any) -> None:
        self.dialect = dialect
        self._connection = connection

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """(column names, rows): the shape of ``Warehouse.query``, so shared report code runs on a read-only session."""
        if self._connection is None:
            return [], []
        cursor = self._connection.execute(self._sql(sql), list(params))
        if cursor.description is None:  # a statement without a result (SET)
            return [], []
        names = [d[0] for d in cursor.description]
        return names, [tuple(row) for row in cursor.fetchall()]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The result as dicts keyed by column name (empty for a warehouse nothing was loaded into)."""
        names, rows = self.query(sql, params)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        _, rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def batches(self, sql: str, params: Sequence[Any], size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The result in batches of ``size`` rows, streamed: never the whole result in memory.

        PostgreSQL reads through a server-side cursor; DuckDB's result streams as it is fetched.
        """
        if self._connection is None:
            return
        if self.dialect == "postgres":
            with self._connection.cursor(name="arxiv_labels_export") as cursor:
                cursor.itersize = size
                cursor.execute(self._sql(sql), list(params))
                while batch := cursor.fetchmany(size):
                    yield [tuple(row) for row in batch]
            return
        result = self._connection.execute(sql, list(params))
        while batch := result.fetchmany(size):
            yield batch

    def has_column(self, table: str, column: str) -> bool:
        """Whether the warehouse's schema has ``table.column`` (a warehouse not yet migrated to the latest version)."""
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?", (table, column)
            )
        )


class WarehouseReader:
    """Opens the warehouse read-only, one connection per :meth:`session`."""

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def dialect(self) -> Dialect:
        """``duckdb`` or ``postgres``, from the URL."""
        return "duckdb" if self.url.startswith("duckdb://") else "postgres"

    @contextmanager
    def session(self) -> Iterator[ReadSession]:
        """A read-only session; a DuckDB file not created or not migrated yet reads as empty.

        Raises:
            WarehouseBusyError: a writer holds the DuckDB file.
        """
        if self.dialect == "duckdb":
            with self._duckdb() as connection:
                yield ReadSession("duckdb", connection)
        else:
            with self._postgres() as connection:
                yield ReadSession("postgres", connection)

    @contextmanager
    def _duckdb(self) -> Iterator[Any]:
        import duckdb

        path = Path(self.url.removeprefix("duckdb://"))
        if not path.exists():
            yield None  # nothing loaded yet: an empty page, not an error
            return
        try:
            connection = duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as exc:
            raise WarehouseBusyError(f"the warehouse {path} is being written ({str(exc)[:120]}); retry in a moment") from None
        try:
            migrated = connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'arxiv_pipeline_runs'"
            ).fetchone()
            yield connection if migrated and migrated[0] else None
        finally:
            connection.close()

    @contextmanager
    def _postgres(self) -> Iterator[Any]:
        import psycopg

        try:
            connection = psycopg.connect(self.url, connect_timeout=10)
        except psycopg.OperationalError as exc:
            cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WarehouseUnavailableError(f"cannot reach the PostgreSQL warehouse ({cause[:160]}); retry in a moment") from None
        with connection:
            connection.execute("SET TRANSACTION READ ONLY")
            # interactive queries: JIT compiling costs more than it saves, and a year's sort or hash fits in 64 MB
            connection.execute("SET LOCAL jit = off")
            connection.execute("SET LOCAL work_mem = '64MB'")
            migrated = connection.execute("SELECT to_regclass('arxiv_pipeline_runs') IS NOT NULL").fetchone()
            yield connection if migrated and migrated[0] else None
