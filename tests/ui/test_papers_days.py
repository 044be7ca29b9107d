"""Which days the page opens on: the latest labeled days, even when newer papers have no label yet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from arxiv_labeler.ui.days import latest_labeled_range
from arxiv_labeler.ui.reader import WarehouseReader
from arxiv_labeler.warehouse import open_warehouse

from tests.warehouse.test_warehouse import DAY1, DAY2, MODEL_A, MODEL_B, labels, papers, run

EARLY = DAY1 - dt.timedelta(days=40)  # labeled, but more than 29 days before the latest labeled day


@pytest.fixture(params=["duckdb", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = f"duckdb://{tmp_path / 'w.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("postgres_dsn")
    store = open_warehouse(url)
    store.migrate()
    for day, ids, model in ((EARLY, ["2610.00001"], MODEL_A), (DAY1, ["2611.00001"], MODEL_A), (DAY1, ["2611.00002"], MODEL_B)):
        table = papers(day, ids)
        store.load(table, labels(table, model), model, run(f"{model.name}-{day}-{ids[0]}", day, model))
    store.load(papers(DAY2, ["2611.00003"]), None, None, run("harvested-not-labeled", DAY2, MODEL_A))  # newest day, no label
    return url


def test_the_newest_papers_without_labels_do_not_move_the_range(url: str) -> None:
    with WarehouseReader(url).session() as session:
        days = latest_labeled_range(session)
        assert (days.start, days.end, days.source) == (DAY1, DAY1, "latest_labels")
        only_b = latest_labeled_range(session, MODEL_B.model_id)
        assert (only_b.start, only_b.end) == (DAY1, DAY1)
        nobody = latest_labeled_range(session, "nobody@sha256:0", today=DAY2)
        assert (nobody.end, nobody.source) == (DAY2, "today")
