"""The warehouse on DuckDB and a real PostgreSQL: idempotent loads, model history, atomicity, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from arxiv_labeler.classify.landed_papers import latest_row_per_id
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.errors import ParquetFileError
from arxiv_labeler.harvest.models import PaperRecord, records_table
from arxiv_labeler.harvest.result import DayResult, HarvestResult
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.run.config import RunConfig
from arxiv_labeler.warehouse import ModelInfo, RunRecord, Warehouse, open_warehouse
from arxiv_labeler.warehouse.migrations import migrations
from arxiv_labeler.warehouse.report import build_report, render
from arxiv_labeler.warehouse.stage import RunToLoad, load_run
from arxiv_labeler.warehouse.store import LoadResult

DAY1, DAY2 = dt.date(2026, 11, 19), dt.date(2026, 11, 20)
MODEL_A = ModelInfo("a@sha256:aaa", "a", "aaa", ["cs", "math", "physics"])
MODEL_B = ModelInfo("b@sha256:bbb", "b", "bbb", ["cs", "math", "physics", "stat"])


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    url = f"duckdb://{tmp_path / 'w.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("postgres_dsn")
    store = open_warehouse(url)
    versions = [m.version for m in migrations(store.dialect)]  # every file of the dialect, in order
    assert store.migrate() == versions and {1, 2, 3, 4, 5} <= set(versions)
    assert store.migrate() == []  # recorded: applied once
    return store


def papers(day: dt.date, ids: list[str], title_suffix: str = "", deleted: list[str] | None = None) -> pa.Table:
    records = [
        PaperRecord(i, day, 1, day, day, f"Title {i}{title_suffix}", f"Abstract of {i}.", ["A. B."], ["cs.LG"]) for i in ids
    ]
    records += [PaperRecord(i, day, deleted=True) for i in deleted or []]
    return records_table(records, day, day, day)


def labels(table: pa.Table, model: ModelInfo, label: str = "cs") -> pa.Table:
    rows = [
        {
            "arxiv_id": r["arxiv_id"],
            "model_id": model.model_id,
            "label": label,
            "score": 0.75,
            "scores": [(name, 0.75 if name == label else 0.25 / (len(model.labels) - 1)) for name in model.labels],
            "text_sha256": r["text_sha256"],
            "text_source": r["text_source"],
            "labeled_at": dt.datetime(2026, 11, 21, 6, 0),
        }
        for r in table.to_pylist()
        if not r["deleted"]
    ]
    schema = pa.schema(
        [
            ("arxiv_id", pa.string()),
            ("model_id", pa.string()),
            ("label", pa.string()),
            ("score", pa.float32()),
            ("scores", pa.map_(pa.string(), pa.float32())),
            ("text_sha256", pa.string()),
            ("text_source", pa.string()),
            ("labeled_at", pa.timestamp("us")),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def run(run_id: str, day: dt.date, model: ModelInfo) -> RunRecord:
    return RunRecord(run_id, "scheduled", day, day, model.model_id, "onnx", harvested=3, classified=3)


def snapshot(store: Warehouse) -> tuple[list[tuple], list[tuple]]:
    _, paper_rows = store.query("SELECT * FROM arxiv_papers ORDER BY arxiv_id")
    _, label_rows = store.query(
        "SELECT arxiv_id, model_id, label, score, text_sha256, labeled_at, run_id FROM arxiv_paper_labels ORDER BY 1, 2"
    )
    return paper_rows, label_rows


def test_rerun_of_an_interval_changes_nothing(warehouse: Warehouse) -> None:
    day1 = papers(DAY1, ["2611.00001", "2611.00002", "0704.0010"])
    first = warehouse.load(day1, labels(day1, MODEL_A), MODEL_A, run("r1", DAY1, MODEL_A))
    assert (first.papers_inserted, first.labels_written) == (3, 3)
    before = snapshot(warehouse)
    again = warehouse.load(day1, labels(day1, MODEL_A), MODEL_A, run("r1-rerun", DAY1, MODEL_A))
    assert (again.papers_inserted, again.papers_updated) == (0, 0)
    assert snapshot(warehouse) == before  # no row changed, not even bookkeeping columns
    _, runs = warehouse.query("SELECT run_id FROM arxiv_pipeline_runs ORDER BY run_id")
    assert runs == [("r1",), ("r1-rerun",)]  # the audit keeps both runs


def test_changed_paper_is_updated_in_place(warehouse: Warehouse) -> None:
    day1 = papers(DAY1, ["2611.00001"])
    warehouse.load(day1, labels(day1, MODEL_A), MODEL_A, run("r1", DAY1, MODEL_A))
    revised = papers(DAY2, ["2611.00001"], title_suffix=" (v2)")
    result = warehouse.load(revised, labels(revised, MODEL_A, "math"), MODEL_A, run("r2", DAY2, MODEL_A))
    assert (result.papers_inserted, result.papers_updated) == (0, 1)
    _, rows = warehouse.query("SELECT p.title, l.label, l.run_id FROM arxiv_papers p JOIN arxiv_paper_labels l USING (arxiv_id)")
    assert rows == [("Title 2611.00001 (v2)", "math", "r2")]


def test_an_id_landed_on_two_days_of_a_run_loads_the_row_the_classify_stage_labeled(warehouse: Warehouse, tmp_path: Path) -> None:
    """A paper revised between two days of a backfill lands twice; the load keeps the later day's row, counted once."""
    warehouse.load(papers(DAY1, ["2611.00001"]), None, MODEL_A, run("r0", DAY1, MODEL_A))
    days = [papers(DAY1, ["2611.00001", "2611.00002"]), papers(DAY2, ["2611.00001"], title_suffix=" (v2)")]
    to_load = landed_run(tmp_path, days)

    def load() -> LoadResult:
        with to_load.opened() as batch:
            return load_run(warehouse, replace(batch, papers=rebatched(batch.papers)), to_load.record("r1", "manual"))

    result = load()
    assert (result.papers_inserted, result.papers_updated, result.labels_written) == (1, 1, 2)
    _, rows = warehouse.query(
        "SELECT p.arxiv_id, p.title, p.text_sha256 = l.text_sha256 FROM arxiv_papers p "
        "JOIN arxiv_paper_labels l USING (arxiv_id) ORDER BY 1"
    )
    assert rows == [("2611.00001", "Title 2611.00001 (v2)", True), ("2611.00002", "Title 2611.00002", True)]
    before = snapshot(warehouse)
    again = load()
    assert (again.papers_inserted, again.papers_updated) == (0, 0)
    assert snapshot(warehouse) == before
    # a table holding both days (as a test or a notebook passes one) loads the same row
    both = pa.concat_tables(days)
    assert warehouse.load(both, None, MODEL_A, run("r2", DAY1, MODEL_A)).papers_updated == 0


def test_a_landed_partition_cut_short_fails_the_load_by_name_and_loads_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    """The later day streams first and is upserted; the earlier day's file is cut short: the whole run rolls back."""
    before = snapshot(warehouse)
    to_load = landed_run(tmp_path, [papers(DAY1, ["2611.00001"]), papers(DAY2, ["2611.00002"])])
    cut = Path(to_load.harvest.partitions[0]) / "part-00000.parquet"
    cut.write_bytes(cut.read_bytes()[:-100])
    expected = r"harvest_day=2026-11-19/part-00000.parquet is not a readable Parquet file"
    with pytest.raises(ParquetFileError, match=expected), to_load.opened() as batch:
        load_run(warehouse, batch, to_load.record("r1", "manual"))
    assert snapshot(warehouse) == before


def landed_run(tmp_path: Path, days: list[pa.Table]) -> RunToLoad:
    """A run whose harvest landed ``days`` (one partition a day) and whose classify labeled each id's latest row."""
    partitions = []
    for table in days:
        partition = tmp_path / "papers" / f"harvest_day={table.column('harvest_day')[0]}"
        partition.mkdir(parents=True)
        pq.write_table(table, partition / "part-00000.parquet")
        partitions.append(str(partition))
    picked = latest_row_per_id(pa.concat_tables(days))  # what the classify stage labels
    (tmp_path / "labeled").mkdir()
    pq.write_table(labels(picked, MODEL_A), tmp_path / "labeled" / "part-0.parquet")
    model = FetchedModel("s3://b/m.zip", "a", "aaa", "0", 1, "/m.zip", "/m", False, tuple(MODEL_A.labels), "softmax")
    day_results = [DayResult(table.column("harvest_day")[0].as_py(), records=table.num_rows) for table in days]
    harvest = HarvestResult(DAY1, DAY2, partitions, day_results)
    n = picked.num_rows
    classify = ClassifyResult(str(tmp_path / "labeled"), "onnx", "", MODEL_A.model_id, MODEL_A.labels, n, n, 0, 0, 0)
    return RunToLoad(RunConfig(DAY1, DAY2, "s3://b/m.zip"), model, harvest, classify)


def rebatched(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One row a batch: an id's two rows meet in different batches, never within one."""
    for batch in batches:
        for row in range(batch.num_rows):
            yield batch.slice(row, 1)


def test_model_change_adds_a_label_row_and_the_view_moves(warehouse: Warehouse) -> None:
    day1 = papers(DAY1, ["2611.00001", "2611.00002"])
    warehouse.load(day1, labels(day1, MODEL_A, "cs"), MODEL_A, run("r1", DAY1, MODEL_A))
    time.sleep(0.01)
    warehouse.load(day1, labels(day1, MODEL_B, "stat"), MODEL_B, run("r2", DAY1, MODEL_B))
    _, count = warehouse.query("SELECT count(*) FROM arxiv_paper_labels")
    assert count == [(4,)]  # one row per paper per model
    _, current = warehouse.query("SELECT arxiv_id, model_id, label FROM arxiv_current_labels ORDER BY arxiv_id")
    assert current == [("2611.00001", MODEL_B.model_id, "stat"), ("2611.00002", MODEL_B.model_id, "stat")]
    _, scores = warehouse.query("SELECT scores FROM arxiv_paper_labels WHERE model_id = ?", (MODEL_B.model_id,))
    loaded = scores[0][0] if isinstance(scores[0][0], dict) else json.loads(scores[0][0])
    assert set(loaded) == {"cs", "math", "physics", "stat"}


def test_deletion_marks_withdrawn_and_keeps_labels(warehouse: Warehouse) -> None:
    day1 = papers(DAY1, ["2611.00001", "2611.00002"])
    warehouse.load(day1, labels(day1, MODEL_A), MODEL_A, run("r1", DAY1, MODEL_A))
    day2 = papers(DAY2, [], deleted=["2611.00002"])
    result = warehouse.load(day2, None, MODEL_A, run("r2", DAY2, MODEL_A))
    assert result.papers_withdrawn == 1
    _, rows = warehouse.query("SELECT arxiv_id, withdrawn FROM arxiv_papers ORDER BY arxiv_id")
    assert rows == [("2611.00001", False), ("2611.00002", True)]
    _, kept = warehouse.query("SELECT count(*) FROM arxiv_paper_labels WHERE arxiv_id = '2611.00002'")
    assert kept == [(1,)]


def test_failure_mid_transaction_leaves_the_previous_state(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    day1 = papers(DAY1, ["2611.00001"])
    warehouse.load(day1, labels(day1, MODEL_A), MODEL_A, run("r1", DAY1, MODEL_A))
    before = snapshot(warehouse)
    day2 = papers(DAY2, ["2611.00001", "2611.00003"], title_suffix=" new")

    def explode(self: Warehouse, cursor: object, record: RunRecord) -> None:
        raise ConnectionError("connection lost while recording the run")

    monkeypatch.setattr(type(warehouse), "_record_run", explode)
    with pytest.raises(ConnectionError):
        warehouse.load(day2, labels(day2, MODEL_A, "math"), MODEL_A, run("r2", DAY2, MODEL_A))
    assert snapshot(warehouse) == before


def test_concurrent_writers_for_different_intervals(warehouse: Warehouse) -> None:
    errors: list[BaseException] = []

    def load(day: dt.date, prefix: str) -> None:
        try:
            table = papers(day, [f"{prefix}.{i:05d}" for i in range(50)])
            warehouse.load(table, labels(table, MODEL_A), MODEL_A, run(f"run-{prefix}", day, MODEL_A))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(DAY1 + dt.timedelta(days=i), f"26{i:02d}")) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _, count = warehouse.query("SELECT count(*) FROM arxiv_papers")
    assert count == [(200,)]


def test_report_per_day_and_group(warehouse: Warehouse) -> None:
    day1 = papers(DAY1, ["2611.00001", "2611.00002"])
    warehouse.load(day1, labels(day1, MODEL_A), MODEL_A, run("r1", DAY1, MODEL_A))
    report = build_report(warehouse, DAY1, DAY1)
    assert report.rows == [{"day": DAY1, "paper_group": "cs", "label": "cs", "papers": 2}]
    assert "models:" in render(report) and "day,paper_group,label,papers" in render(report, "csv")
    assert json.loads(render(report, "json"))["models"][0]["labeled_papers"] == 2


WRITER = r"""
import sys, time, datetime as dt
sys.path[:0] = {paths!r}
from tests.warehouse.test_warehouse import papers, labels, run, MODEL_A, DAY2
from arxiv_labeler.warehouse import open_warehouse
import arxiv_labeler.warehouse.store as store
store_cls = type(open_warehouse({url!r}))
original = store_cls._stage
def slow_stage(self, cursor, table, columns, rows):
    original(self, cursor, table, columns, rows)
    if table == "stage_labels":
        print("IN_TRANSACTION", flush=True)
        time.sleep(60)
store_cls._stage = slow_stage
table = papers(DAY2, ["2611.00001", "2611.00009"], title_suffix=" changed")
open_warehouse({url!r}).load(table, labels(table, MODEL_A, "math"), MODEL_A, run("killed", DAY2, MODEL_A))
"""


def test_killed_writer_loses_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    """SIGKILL the writing process mid-transaction: the previous state is intact and the next load works."""
    day1 = papers(DAY1, ["2611.00001"])
    warehouse.load(day1, labels(day1, MODEL_A), MODEL_A, run("r1", DAY1, MODEL_A))
    before = snapshot(warehouse)
    url = f"duckdb://{warehouse.path}" if warehouse.dialect == "duckdb" else warehouse.dsn  # type: ignore[attr-defined]
    root = str(Path(__file__).resolve().parents[2])
    script = WRITER.format(paths=[f"{root}/plugins", root], url=url)
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root, env=dict(os.environ))
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "IN_TRANSACTION"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    assert snapshot(warehouse) == before
    day2 = papers(DAY2, ["2611.00002"])
    assert warehouse.load(day2, labels(day2, MODEL_A), MODEL_A, run("r2", DAY2, MODEL_A)).papers_inserted == 1


def test_run_record_from_stages() -> None:
    model = FetchedModel("s3://b/m.zip", "m", "e", "a", 1, "/z", "/d", False, ("cs",), "softmax", seconds=1.5)
    harvest = HarvestResult(DAY1, DAY1, ["/p"], [DayResult(DAY1, records=10, new=6, deleted=1)], seconds=3.0)
    classify = ClassifyResult("/o", "onnx", "", model.model_id, ["cs"], 9, 7, 1, 0, 1, seconds=20.0)
    record = RunRecord.from_stages("scheduled__x", "scheduled", RunConfig(DAY1, DAY1, "s3://b/m.zip"), model, harvest, classify)
    assert (record.new_papers, record.replaced, record.deleted, record.classified, record.failed) == (6, 3, 1, 7, 1)
    assert record.stage_seconds == {"fetch_model": 1.5, "harvest": 3.0, "classify": 20.0}


def test_withdrawn_version_lands_withdrawn_with_affiliations_and_is_not_classified(warehouse: Warehouse) -> None:
    from arxiv_labeler.classify.landed_papers import count_papers

    records = [
        PaperRecord("2611.00001", DAY1, 1, DAY1, DAY1, "T1", "A1.", ["A. One", "B. Two"], ["cs.LG"], affiliations=["Inst", None]),
        PaperRecord("2611.00002", DAY1, 2, DAY1, DAY1, "T2", "Withdrawn.", ["C. Three"], ["cs.LG"], withdrawn=True),
    ]
    table = records_table(records, DAY1, DAY1, DAY1)
    assert count_papers(table, set(), reclassify=False).to_classify == 1  # the withdrawn paper is never sent to a model
    record = run("r1", DAY1, MODEL_A)
    record.withdrawn = 1
    warehouse.load(table, labels(table.filter(pa.compute.invert(table.column("withdrawn"))), MODEL_A), MODEL_A, record)
    _, rows = warehouse.query("SELECT arxiv_id, withdrawn, affiliations FROM arxiv_papers ORDER BY arxiv_id")
    assert [(r[0], r[1], list(r[2]) if r[2] is not None else None) for r in rows] == [
        ("2611.00001", False, ["Inst", None]),
        ("2611.00002", True, []),
    ]
    _, counted = warehouse.query("SELECT withdrawn FROM arxiv_pipeline_runs WHERE run_id = 'r1'")
    assert counted == [(1,)]
    _, labeled = warehouse.query("SELECT arxiv_id FROM arxiv_paper_labels")
    assert labeled == [("2611.00001",)]


def test_warehouse_urls_are_shown_without_credentials_and_taken_with_any_postgres_scheme() -> None:
    from arxiv_labeler.errors import ConfigError
    from arxiv_labeler.warehouse import postgres_url, without_credentials

    assert without_credentials("postgresql://user:s3cret@db:5432/w") == "postgresql://***@db:5432/w"
    assert postgres_url("postgresql+psycopg://u:p@db/w") == postgres_url("postgres://u:p@db/w") == "postgresql://u:p@db/w"
    with pytest.raises(ConfigError) as refused:
        open_warehouse("mysql://user:s3cret@db/w")
    assert "s3cret" not in str(refused.value) and "mysql://***@db/w" in str(refused.value)
