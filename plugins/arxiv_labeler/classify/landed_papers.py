"""What the landed rows tell before Spark starts: which papers count, how many need the model, how much text.

The classify task reads the landed day's keys anyway (to ask the warehouse which texts it already
labeled), so the stage's counts come from here instead of a Spark job of their own: that
job was the first, and so the slowest, of the task's Spark jobs (``make bench-task``). Only the
keys and each row's text size are kept, not the text: the task process stays the same size
while Spark runs, whatever the run's papers (``make bench-scale``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arxiv_labeler.harvest.harvester import PAGE_ROW_GROUP, landed_batches
from arxiv_labeler.harvest.models import PAPER_SCHEMA

# Of an id landed more than once (a run over several days), the row the stage classifies: the latest day's,
# then the latest datestamp and version; the text hash only breaks a tie, so Spark and Arrow pick the same row.
LATEST_ROW_FIRST: list[tuple[str, str]] = [
    ("harvest_day", "descending"),
    ("datestamp", "descending"),
    ("version", "descending"),
    ("text_sha256", "descending"),
]
NO_TEXT_EXAMPLES = 10
# What the counts and the choice of one row per id read of a landed row; the text is measured, then dropped.
KEY_COLUMNS: tuple[str, ...] = ("arxiv_id", "text_source", "deleted", "withdrawn", *(name for name, _ in LATEST_ROW_FIRST))
TEXT_COLUMNS = ("title", "abstract")
READ_COLUMNS = KEY_COLUMNS + TEXT_COLUMNS
# Rows a Spark task's vectorized Parquet reader holds at once (spark.sql.parquet.columnarReaderBatchSize).
PARQUET_READER_BATCH_ROWS = 4096


@dataclass(frozen=True)
class LandedKeys:
    """The landed rows' ``KEY_COLUMNS`` and each row's title and abstract size in UTF-8 bytes, in the same order."""

    rows: pa.Table
    text_bytes: np.ndarray

    @classmethod
    def read(cls, partitions: Sequence[str]) -> LandedKeys:
        """The landed day partitions' keys and text sizes, read a row group at a time (``HarvestError``: one missing)."""
        return cls.from_batches(landed_batches(partitions, PAGE_ROW_GROUP, columns=READ_COLUMNS))

    @classmethod
    def from_batches(cls, batches: Iterable[pa.RecordBatch]) -> LandedKeys:
        """Keys and text sizes of ``batches`` (holding at least ``READ_COLUMNS``), one batch's text in memory at a time."""
        keys: list[pa.RecordBatch] = []
        sizes: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        for batch in batches:
            keys.append(batch.select(list(KEY_COLUMNS)))
            sizes.append(_text_bytes(batch))
        rows = pa.Table.from_batches(keys) if keys else PAPER_SCHEMA.empty_table().select(list(KEY_COLUMNS))
        return cls(rows, np.concatenate(sizes))


@dataclass(frozen=True)
class PaperCounts:
    """The landed papers as the stage counts them: one per arXiv id, neither deleted nor withdrawn."""

    papers: int
    no_text: int
    to_classify: int  # papers with text the warehouse holds no label for (all with text under ``reclassify``)
    unique_ids: bool  # no id landed twice: the stage needs no shuffle to pick one row per paper
    no_text_examples: tuple[str, ...] = ()

    @property
    def already_labeled(self) -> int:
        """Papers with text that are not sent to the model (their text is labeled by this model)."""
        return self.papers - self.no_text - self.to_classify


def current_rows(landed: pa.Table) -> pa.Table:
    """The rows of ``landed`` that are neither deleted nor withdrawn (those are loaded, never classified), repeats kept."""
    gone = pc.fill_null(landed.column("deleted"), False)
    if "withdrawn" in landed.column_names:
        gone = pc.or_(gone, pc.fill_null(landed.column("withdrawn"), False))
    return landed.filter(pc.invert(gone))


def has_unique_ids(rows: pa.Table) -> bool:
    """True when no arXiv id appears twice in ``rows``."""
    return rows.num_rows == 0 or pc.count_distinct(rows.column("arxiv_id")).as_py() == rows.num_rows


def latest_row_per_id(rows: pa.Table) -> pa.Table:
    """One row per arXiv id of ``rows``: the first in ``LATEST_ROW_FIRST`` order (as the stage's Spark job picks it)."""
    if has_unique_ids(rows):
        return rows
    ordered = rows.sort_by([("arxiv_id", "ascending"), *LATEST_ROW_FIRST])
    ids = ordered.column("arxiv_id").combine_chunks()
    first_of_id = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))
    return ordered.filter(pa.concat_arrays([pa.array([True]), first_of_id]))


def count_papers(landed: pa.Table, known: Set[tuple[str, str]], reclassify: bool) -> PaperCounts:
    """The stage's counts for ``landed``; ``known`` holds the (arxiv_id, text_sha256) pairs the model already labeled."""
    rows = current_rows(landed)
    papers = latest_row_per_id(rows)
    no_text = pc.equal(papers.column("text_source"), "empty")
    with_text = papers.filter(pc.invert(no_text))
    if reclassify or not known:
        to_classify = with_text.num_rows
    else:
        pairs = zip(with_text.column("arxiv_id").to_pylist(), with_text.column("text_sha256").to_pylist(), strict=True)
        to_classify = sum(1 for pair in pairs if pair not in known)
    no_text_ids = papers.filter(no_text).column("arxiv_id")
    return PaperCounts(
        papers=papers.num_rows,
        no_text=len(no_text_ids),
        to_classify=to_classify,
        unique_ids=papers.num_rows == rows.num_rows,
        no_text_examples=tuple(no_text_ids.slice(0, NO_TEXT_EXAMPLES).to_pylist()),
    )


def text_bytes_in_flight(text_bytes: np.ndarray, tasks: int) -> int:
    """UTF-8 bytes of the most text ``tasks`` concurrent Spark tasks can hold at once (see ``driver_memory_for``).

    ``text_bytes``: each landed row's text size (``LandedKeys.text_bytes``). A task holds one batch of Spark's
    Parquet reader (``PARQUET_READER_BATCH_ROWS``) and the smaller Arrow batch made from it: at most the
    largest texts of ``tasks`` reader batches, and never more than all of them.
    """
    rows = tasks * PARQUET_READER_BATCH_ROWS
    if rows >= len(text_bytes):
        return int(text_bytes.sum())
    return int(np.partition(text_bytes, len(text_bytes) - rows)[-rows:].sum())


def _text_bytes(batch: pa.RecordBatch) -> np.ndarray:
    """Each row's title and abstract bytes (UTF-8), as int64."""
    lengths = [pc.fill_null(pc.binary_length(batch.column(name)), 0).to_numpy() for name in TEXT_COLUMNS]
    return np.add(*lengths, dtype=np.int64)
