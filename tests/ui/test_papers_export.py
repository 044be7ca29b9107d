"""The export of the list's filter: CSV and Parquet, streamed, holding exactly the list's rows and columns."""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow.parquet as pq
import pytest
from arxiv_labeler.ui.export import CSV_LIST_SEPARATOR, csv_chunks, parquet_chunks
from arxiv_labeler.ui.papers import LIST_COLUMNS

from tests.ui.conftest import LabeledWarehouse
from tests.ui.test_papers_api import all_pages
from tests.warehouse.test_warehouse import MODEL_A

FILTERS: list[dict[str, str]] = [
    {},
    {"sort": "score", "order": "asc"},
    {"model": MODEL_A.model_id, "q": "graph"},
    {"label": "unclassified"},
    {"q": "nothing-like-this"},
]


def csv_rows(text: str) -> list[dict[str, Any]]:
    """CSV rows typed back as the list's JSON has them."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        typed: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
        typed["first_authors"] = row["first_authors"].split(CSV_LIST_SEPARATOR) if row["first_authors"] else []
        typed["authors_total"] = int(row["authors_total"])
        for name in ("score", "runner_up_score"):
            typed[name] = float(row[name]) if row[name] else None
        rows.append(typed)
    return rows


@pytest.mark.parametrize("params", FILTERS)
def test_csv_export_is_the_list(labeled: LabeledWarehouse, params: dict[str, str]) -> None:
    response = labeled.client.get("/api/papers.csv", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="arxiv-papers-2026-11-19-2026-11-20.csv"'
    assert response.text.splitlines()[0] == ",".join(LIST_COLUMNS)
    assert csv_rows(response.text) == all_pages(labeled, **params, limit=2)


@pytest.mark.parametrize("params", FILTERS)
def test_parquet_export_is_the_list(labeled: LabeledWarehouse, params: dict[str, str]) -> None:
    response = labeled.client.get("/api/papers.parquet", params=params)
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == list(LIST_COLUMNS)
    assert table.to_pylist() == all_pages(labeled, **params, limit=200)


def batch(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {c: None for c in LIST_COLUMNS} | {"arxiv_id": f"2611.{i:05d}", "first_authors": ["A"], "authors_total": 1}
        for i in range(start, start + n)
    ]


def test_exports_stream_one_chunk_per_batch() -> None:
    batches = [batch(3, 0), batch(3, 3), batch(2, 6)]
    csv_parts = list(csv_chunks(iter(batches)))
    assert len(csv_parts) == 3 and b"".join(csv_parts).decode().count("\n") == 9  # the header rides with the first batch
    parquet_parts = list(parquet_chunks(iter(batches)))
    assert len(parquet_parts) == 4  # a row group per batch as it is written, then the footer
    table = pq.read_table(io.BytesIO(b"".join(parquet_parts)))
    assert table.num_rows == 8 and pq.ParquetFile(io.BytesIO(b"".join(parquet_parts))).num_row_groups == 3


def test_exports_read_the_warehouse_in_batches(labeled: LabeledWarehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    import arxiv_labeler.ui.app as app_module

    monkeypatch.setattr(app_module, "EXPORT_BATCH_ROWS", 3)  # 10 rows: batches of 3, 3, 3, 1
    response = labeled.client.get("/api/papers.parquet")
    assert pq.ParquetFile(io.BytesIO(response.content)).num_row_groups == 4
    assert pq.read_table(io.BytesIO(response.content)).to_pylist() == all_pages(labeled, limit=200)
