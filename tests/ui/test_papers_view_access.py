"""The papers view only reads, only for signed-in users: 401 without credentials, read-only sessions, 503 while a load writes."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from arxiv_labeler.ui.app import create_app, signed_in_user
from arxiv_labeler.ui.reader import WarehouseReader
from arxiv_labeler.warehouse import open_warehouse
from arxiv_labeler.warehouse.migrations import migrations, split_statements
from fastapi.testclient import TestClient

from tests.reliability.test_warehouse_faults import duckdb_held_by_another_process
from tests.ui.conftest import LabeledWarehouse

ROUTES = ["/", "/api/summary", "/api/models", "/api/papers", "/api/papers/2611.00001", "/api/compare", "/api/papers.csv",
          "/api/papers.parquet"]  # fmt: skip


@pytest.mark.parametrize("path", ROUTES)
def test_no_credentials_is_401_before_anything_is_read(path: str, tmp_path: Path) -> None:
    client = TestClient(create_app(lambda: f"duckdb://{tmp_path / 'never-opened.duckdb'}"))
    response = client.get(path, params={"limit": "not even valid"})
    assert response.status_code == 401


def test_a_duckdb_file_held_by_a_writer_is_503_with_retry_after(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    open_warehouse(f"duckdb://{path}").migrate()
    app = create_app(lambda: f"duckdb://{path}")
    app.dependency_overrides[signed_in_user] = lambda: "tester"
    client = TestClient(app)
    with duckdb_held_by_another_process(path, 600.0):
        for route in ["/api/papers", "/api/papers/2611.00001", "/api/papers.csv", "/api/models"]:
            response = client.get(route)
            assert response.status_code == 503 and response.headers["Retry-After"] == "5", route
            assert "is being written" in response.json()["detail"]
    assert client.get("/api/papers").status_code == 200  # the writer gone: readable again


def test_sessions_are_read_only(labeled: LabeledWarehouse) -> None:
    import duckdb

    with WarehouseReader(labeled.url).session() as session:
        assert session.scalar("SELECT count(*) FROM arxiv_papers") > 0
        refused = (duckdb.Error, psycopg.errors.ReadOnlySqlTransaction)
        with pytest.raises(refused):
            session.query("DELETE FROM arxiv_papers")
    assert labeled.store.query("SELECT count(*) FROM arxiv_papers")[1][0][0] > 0


def test_migration_004_adds_the_threshold_and_the_indexes(labeled: LabeledWarehouse) -> None:
    with WarehouseReader(labeled.url).session() as session:
        assert session.has_column("arxiv_paper_labels", "threshold")
        if labeled.dialect == "postgres":
            indexes = {r["indexname"] for r in session.rows("SELECT indexname FROM pg_indexes WHERE tablename = 'arxiv_papers'")}
            assert {"arxiv_papers_datestamp_idx", "arxiv_papers_text_trgm_idx"} <= indexes  # pg_trgm installs here
            session.query("SET LOCAL enable_seqscan = off")  # 9 rows: without this the planner rightly scans
            search = "EXPLAIN SELECT 1 FROM arxiv_papers p WHERE (p.title || ' ' || p.abstract) ILIKE ?"
            plan = "\n".join(r[0] for r in session.query(search, ["%graph%"])[1])
            assert "arxiv_papers_text_trgm_idx" in plan, plan  # the page's search expression is the index's


def test_dollar_quoted_bodies_stay_one_statement() -> None:
    (postgres_004,) = [m for m in migrations("postgres") if m.version == 4]
    statements = split_statements(postgres_004.sql)
    (block,) = [s for s in statements if s.startswith("DO $$")]
    assert block.endswith("$$") and "CREATE EXTENSION IF NOT EXISTS pg_trgm;" in block and "SQLERRM;" in block
    assert split_statements("CREATE TABLE a (x INT);\nDO $body$ BEGIN x; END $body$;\nSELECT 1") == [
        "CREATE TABLE a (x INT)",
        "DO $body$ BEGIN x; END $body$",
        "SELECT 1",
    ]


def test_without_pg_trgm_the_migration_goes_on_and_the_search_scans(postgres_dsn: str) -> None:
    import uuid

    from tests.ui.conftest import fill

    role = f"arxiv_ui_noext_{uuid.uuid4().hex[:8]}"  # may create tables, not extensions (no CREATE on the database)
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
    try:
        url = postgres_dsn.replace("://postgres@", f"://{role}@")
        store = open_warehouse(url)
        versions = [m.version for m in migrations(store.dialect)]
        assert store.migrate() == versions and 4 in versions  # every one applied: 004's DO block caught insufficient_privilege
        fill(store)
        with WarehouseReader(url).session() as session:
            assert not session.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            assert session.scalar("SELECT to_regclass('arxiv_papers_text_trgm_idx')") is None
            assert session.scalar("SELECT to_regclass('arxiv_papers_datestamp_idx')") is not None
        app = create_app(lambda: url)
        app.dependency_overrides[signed_in_user] = lambda: "tester"
        body = TestClient(app).get("/api/papers", params={"q": "graph neural"}).json()
        assert {r["arxiv_id"] for r in body["papers"]} == {"2611.00001", "2611.00004"}
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")  # its tables and its grant in this database: then the role can go
            admin.execute(f"DROP ROLE {role}")
