"""Warehouse faults injected through the real databases: DuckDB files damaged, PostgreSQL connections dropped."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest
from arxiv_labeler.errors import WarehouseConnectionError, WarehouseFileError
from arxiv_labeler.warehouse import open_warehouse
from arxiv_labeler.warehouse.duckdb_store import DuckDbWarehouse

from tests.warehouse.test_warehouse import DAY1, DAY2, MODEL_A, labels, papers, run, snapshot


@pytest.mark.parametrize("keep", [0, 1 / 3, 1 / 2])  # 1/2: connect() passes, the first query reads past the end
def test_truncated_duckdb_file_is_refused_not_replaced(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "warehouse.duckdb"
    open_warehouse(f"duckdb://{path}").migrate()
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(int(size * keep))
    with pytest.raises(WarehouseFileError, match="refusing to start a new warehouse over it"):
        open_warehouse(f"duckdb://{path}").migrate()
    assert path.stat().st_size == int(size * keep)  # left as found, for the operator to restore


def _sample(day: dt.date, count: int, label: str = "cs") -> tuple[pa.Table, pa.Table]:
    table = papers(day, [f"2611.{n:05d}" for n in range(count)])
    return table, labels(table, MODEL_A, label)


def test_postgres_connection_dropped_mid_transaction_loses_nothing_and_the_retry_lands_all(postgres_dsn: str) -> None:
    store = open_warehouse(postgres_dsn)
    store.migrate()
    first_papers, first_labels = _sample(DAY1, 3)
    store.load(first_papers, first_labels, MODEL_A, run("r1", DAY1, MODEL_A))
    before = snapshot(store)
    day2 = papers(DAY2, [f"2611.{n:05d}" for n in range(3, 40)])
    errors: list[BaseException] = []
    # The monitor has its own connection: inside the blocker's transaction pg_stat_activity is a frozen snapshot.
    with psycopg.connect(postgres_dsn, autocommit=True) as blocker, psycopg.connect(postgres_dsn, autocommit=True) as monitor:
        # Hold the labels table so the load stops inside its transaction, after staging and upserting papers.
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE arxiv_paper_labels IN ACCESS EXCLUSIVE MODE")

        def load() -> None:
            try:
                store.load(day2, labels(day2, MODEL_A, "math"), MODEL_A, run("r2", DAY2, MODEL_A))
            except BaseException as exc:  # asserted below
                errors.append(exc)

        writer = threading.Thread(target=load)
        writer.start()
        database = postgres_dsn.rsplit("/", 1)[1]
        pid = None
        for _ in range(200):
            row = monitor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                (database,),
            ).fetchone()
            if row:
                pid = row[0]
                break
            time.sleep(0.05)
        assert pid is not None, "the load never reached the locked table"
        monitor.execute("SELECT pg_terminate_backend(%s)", (pid,))  # the connection drops mid-transaction
        writer.join(timeout=30)
        blocker.execute("ROLLBACK")
    assert len(errors) == 1 and isinstance(errors[0], WarehouseConnectionError)
    assert "the transaction did not complete" in str(errors[0]) and "a retry of the task is safe" in str(errors[0])
    assert snapshot(store) == before  # the papers upserted inside the dropped transaction are gone
    store.load(day2, labels(day2, MODEL_A, "math"), MODEL_A, run("r2", DAY2, MODEL_A))  # the task's retry
    _, counts = store.query("SELECT count(*), count(DISTINCT arxiv_id) FROM arxiv_paper_labels")
    assert counts == [(40, 40)]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_the_same_interval_loaded_twice_at_once_ends_with_one_row_per_paper_and_model(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"duckdb://{tmp_path / 'w.duckdb'}" if dialect == "duckdb" else request.getfixturevalue("postgres_dsn")
    open_warehouse(url).migrate()
    table, labeled = _sample(DAY1, 300)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def load(run_id: str) -> None:
        try:
            store = open_warehouse(url)  # each run its own connection, as two task processes would
            barrier.wait()
            store.load(table, labeled, MODEL_A, run(run_id, DAY1, MODEL_A))
        except BaseException as exc:  # asserted below
            errors.append(exc)

    runs = [threading.Thread(target=load, args=(f"manual__{n}",)) for n in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert errors == []
    store = open_warehouse(url)
    _, rows = store.query("SELECT count(*), count(DISTINCT arxiv_id) FROM arxiv_papers")
    assert rows == [(300, 300)]
    _, rows = store.query("SELECT count(*), count(DISTINCT (arxiv_id, model_id)) FROM arxiv_paper_labels")
    assert rows == [(300, 300)]
    _, rows = store.query("SELECT count(*) FROM arxiv_pipeline_runs")
    assert rows == [(2,)]  # both runs recorded


HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])  # holds DuckDB's file lock while open
print("LOCKED", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


@contextmanager
def duckdb_held_by_another_process(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "LOCKED"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_duckdb_file_locked_by_another_process_waits_then_names_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    open_warehouse(f"duckdb://{path}").migrate()
    table, labeled = _sample(DAY1, 5)
    with duckdb_held_by_another_process(path, 2.0) as holder:  # released after 2 s: the load waits its turn
        result = DuckDbWarehouse(path, lock_timeout_seconds=60).load(table, labeled, MODEL_A, run("waited", DAY1, MODEL_A))
        assert holder.wait(timeout=30) == 0 and result.papers_inserted == 5
    with duckdb_held_by_another_process(path, 600.0):  # never released in time: a clear message, nothing written
        started = time.monotonic()
        with pytest.raises(WarehouseFileError, match=rf"{path} stayed locked by another process for 2 s"):
            DuckDbWarehouse(path, lock_timeout_seconds=2).load(table, labeled, MODEL_A, run("gave-up", DAY1, MODEL_A))
        assert time.monotonic() - started < 30
    _, runs = open_warehouse(f"duckdb://{path}").query("SELECT run_id FROM arxiv_pipeline_runs")
    assert runs == [("waited",)]
