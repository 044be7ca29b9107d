"""The stage's counts from the landed rows' keys, before (and instead of) a Spark job."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from arxiv_labeler.classify.landed_papers import (
    KEY_COLUMNS,
    PARQUET_READER_BATCH_ROWS,
    LandedKeys,
    count_papers,
    latest_row_per_id,
    text_bytes_in_flight,
)
from arxiv_labeler.classify.stage import result_without_spark
from arxiv_labeler.harvest.models import PaperRecord, landed_table

DAY = dt.date(2026, 11, 20)
NEXT = dt.date(2026, 11, 21)


def test_counts_skip_deleted_withdrawn_and_count_papers_without_text() -> None:
    papers = [
        PaperRecord("2611.00001", DAY, 1, DAY, DAY, "Deep learning networks", "A graph model."),
        PaperRecord("2611.00002", DAY, 1, DAY, DAY, "", ""),
        PaperRecord("2611.00003", DAY, deleted=True),
        PaperRecord("2611.00004", DAY, 2, DAY, DAY, "Withdrawn", "Gone.", withdrawn=True),
        PaperRecord("2611.00005", DAY, 1, DAY, DAY, "A title only paper", ""),
    ]
    landed = landed_table(papers, DAY)
    counts = count_papers(landed, set(), reclassify=False)
    assert (counts.papers, counts.no_text, counts.to_classify, counts.already_labeled) == (3, 1, 2, 0)
    assert counts.unique_ids and counts.no_text_examples == ("2611.00002",)
    known = {(r["arxiv_id"], r["text_sha256"]) for r in landed.to_pylist()}
    assert count_papers(landed, known, reclassify=False).to_classify == 0
    assert count_papers(landed, known, reclassify=True).to_classify == 2
    # a changed text is not known: its hash differs
    changed = {("2611.00001", "0" * 64), *(pair for pair in known if pair[0] != "2611.00001")}
    assert count_papers(landed, changed, reclassify=False).to_classify == 1


def test_an_id_landed_on_two_days_counts_once_as_its_latest_row() -> None:
    first = landed_table(
        [PaperRecord("2611.00001", DAY, 1, DAY, DAY, "", ""), PaperRecord("2611.00002", DAY, 1, DAY, DAY, "T", "A.")], DAY
    )
    again = landed_table([PaperRecord("2611.00001", NEXT, 2, DAY, NEXT, "Now with a title", "And an abstract.")], NEXT)
    landed = pa.concat_tables([first, again])
    latest = latest_row_per_id(landed)
    assert sorted(zip(latest.column("arxiv_id").to_pylist(), latest.column("version").to_pylist(), strict=True)) == [
        ("2611.00001", 2),
        ("2611.00002", 1),
    ]
    counts = count_papers(landed, set(), reclassify=False)
    assert (counts.papers, counts.no_text, counts.to_classify, counts.unique_ids) == (2, 0, 2, False)
    # the other order of the days picks the same row
    assert count_papers(pa.concat_tables([again, first]), set(), reclassify=False) == counts


def test_rerun_needs_no_spark_when_every_text_is_known() -> None:
    papers = [
        PaperRecord("2611.00001", DAY, 1, DAY, DAY, "Deep learning networks", "A graph model."),
        PaperRecord("2611.00002", DAY, 1, DAY, DAY, "", ""),
        PaperRecord("2611.00003", DAY, deleted=True),
    ]
    landed = landed_table(papers, DAY)
    known = {(r["arxiv_id"], r["text_sha256"]) for r in landed.to_pylist()}
    archive = type("A", (), {"model_id": "m", "labels": ["x"]})()
    assert result_without_spark("/out", archive, count_papers(landed, set(), reclassify=False)) is None  # type: ignore[arg-type]
    result = result_without_spark("/out", archive, count_papers(landed, known, reclassify=False))  # type: ignore[arg-type]
    assert result is not None
    assert (result.papers, result.classified, result.skipped_unchanged, result.no_text, result.engine) == (2, 0, 1, 1, "none")
    assert result.engine_reason == "unchanged text"
    empty = result_without_spark("/out", archive, count_papers(landed.slice(0, 0), set(), reclassify=False))  # type: ignore[arg-type]
    assert empty is not None and empty.papers == 0 and empty.engine_reason == "no papers to classify"


def test_text_in_flight_counts_titles_and_abstracts_in_utf8() -> None:
    papers = [
        PaperRecord("2611.00001", DAY, 1, DAY, DAY, "Ångström", "abc"),  # Å and ö are two bytes each
        PaperRecord("2611.00002", DAY, 1, DAY, DAY, "", ""),
        PaperRecord("2611.00003", DAY, deleted=True),
    ]
    sizes = LandedKeys.from_batches(landed_table(papers, DAY).to_batches()).text_bytes
    assert sizes.tolist() == [13, 0, 0]
    assert text_bytes_in_flight(sizes, tasks=2) == len("Ångström".encode()) + 3 == 13
    assert text_bytes_in_flight(sizes[:0], tasks=2) == 0


def test_text_in_flight_is_the_largest_texts_of_a_reader_batch_per_task_not_the_whole_run() -> None:
    """A month of short abstracts holds little at once; a day of huge ones holds all of it."""
    month = [PaperRecord(f"2611.{n:05d}", DAY, 1, DAY, DAY, "", "x" * 100) for n in range(3 * PARQUET_READER_BATCH_ROWS)]
    month[7] = PaperRecord("2611.00007", DAY, 1, DAY, DAY, "", "y" * 1_000_000)
    sizes = LandedKeys.from_batches(landed_table(month, DAY).to_batches(max_chunksize=1000)).text_bytes
    assert text_bytes_in_flight(sizes, tasks=1) == 1_000_000 + (PARQUET_READER_BATCH_ROWS - 1) * 100
    assert text_bytes_in_flight(sizes, tasks=2) == 1_000_000 + (2 * PARQUET_READER_BATCH_ROWS - 1) * 100
    assert text_bytes_in_flight(sizes, tasks=3) == 1_000_000 + (3 * PARQUET_READER_BATCH_ROWS - 1) * 100  # all of it


def test_landed_keys_keep_every_row_in_order_without_its_text(tmp_path: Path) -> None:
    """Read as the task reads a landed day: page-sized row groups, the text measured and dropped."""
    papers = [PaperRecord(f"2611.{n:05d}", DAY, 1, DAY, DAY, f"title {n}", "é" * n) for n in range(2500)]
    partition = tmp_path / "harvest_day=2026-11-20"
    partition.mkdir()
    pq.write_table(landed_table(papers, DAY), partition / "part-00000.parquet", row_group_size=1000)
    keys = LandedKeys.read([str(partition)])
    assert keys.rows.column_names == list(KEY_COLUMNS) and "abstract" not in keys.rows.column_names
    assert keys.rows.column("arxiv_id").to_pylist() == [p.arxiv_id for p in papers]
    assert keys.text_bytes.tolist() == [len(f"title {n}") + 2 * n for n in range(2500)]
    assert count_papers(keys.rows, set(), reclassify=False) == count_papers(landed_table(papers, DAY), set(), reclassify=False)


def test_no_landed_rows_are_empty_keys_with_the_key_columns() -> None:
    keys = LandedKeys.from_batches(iter([]))
    assert keys.rows.num_rows == 0 and keys.rows.column_names == list(KEY_COLUMNS) and len(keys.text_bytes) == 0
    assert count_papers(keys.rows, set(), reclassify=False).papers == 0
