"""The example consumer DAG: scheduled on the labels asset, reads the event extras, writes CSV + PNG."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from arxiv_labeler.warehouse import open_warehouse
from arxiv_labeler.warehouse.label_shares import LabelEvent, write_daily_summary

from tests.quality.test_quality import MODEL, MONDAY, load_day

PROJECT = Path(__file__).resolve().parents[2]


def test_summary_from_event_extras(tmp_path: Path) -> None:
    warehouse = open_warehouse(f"duckdb://{tmp_path / 'w.duckdb'}")
    warehouse.migrate()
    sunday = MONDAY - dt.timedelta(days=1)
    load_day(warehouse, sunday, [("cs", 0.9), ("cs", 0.8), ("math", 0.9), ("physics", 0.7)])
    load_day(warehouse, MONDAY, [("cs", 0.9), ("math", 0.8)])
    # what load_warehouse puts in the asset event's extra
    extra = {
        "days": [MONDAY.isoformat(), MONDAY.isoformat()],
        "model_id": MODEL.model_id,
        "labels_written": 2,
        "quality": "pending",
    }
    csv_path, png_path = write_daily_summary(warehouse, [LabelEvent.from_extra(extra)], tmp_path / "out")
    rows = list(csv.DictReader(csv_path.open()))
    assert [(r["day"], r["label"], r["papers"], r["share"]) for r in rows] == [
        (str(sunday), "cs", "2", "0.5"),
        (str(sunday), "math", "1", "0.25"),
        (str(sunday), "physics", "1", "0.25"),
        (str(MONDAY), "cs", "1", "0.5"),
        (str(MONDAY), "math", "1", "0.5"),
    ]
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png_path.stat().st_size > 5_000
    with pytest.raises(ValueError, match="without days/model_id"):
        LabelEvent.from_extra({"interval": "x"})


def test_the_consumer_dag_is_scheduled_on_the_labels_asset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT / "dags"))
    assert bag.import_errors == {}
    consumer = bag.dags["arxiv_label_summary"]
    producer = bag.dags["arxiv_labeling"]
    produced = {a.uri for a in producer.get_task("load_warehouse").outlets}
    assert "arxiv-labeler://warehouse/arxiv_paper_labels" in produced
    condition = consumer.timetable.asset_condition
    assert [a.uri for a in condition.objects] == ["arxiv-labeler://warehouse/arxiv_paper_labels"]
