"""Typed arXiv records as the harvest lands them."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from arxiv_labeler.harvest.taxonomy import group_of
from arxiv_labeler.text import paper_text, text_sha256


@dataclass
class PaperRecord:
    """One arXiv paper's latest metadata (or a deletion when ``deleted``)."""

    arxiv_id: str
    datestamp: dt.date
    version: int | None = None
    created: dt.date | None = None
    updated: dt.date | None = None
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    deleted: bool = False
    withdrawn: bool | None = False
    affiliations: list[str | None] = field(default_factory=list)

    @property
    def primary_category(self) -> str | None:
        """The first category, arXiv's primary one."""
        return self.categories[0] if self.categories else None

    @property
    def group(self) -> str | None:
        """The top-level group (cs, math, physics, ...) of the primary category."""
        return group_of(self.categories[0]) if self.categories else None

    def is_new_in(self, start: dt.date, end: dt.date) -> bool | None:
        """v1 falls inside [start, end] (else a replacement or update); None when v1's date is unknown."""
        return None if self.created is None else start <= self.created <= end

    def row(self, start: dt.date, end: dt.date, harvest_day: dt.date) -> dict[str, Any]:
        """The landed Parquet row."""
        text, source = paper_text(self.title, self.abstract)
        row = asdict(self)
        row.update(
            primary_category=self.primary_category,
            group=self.group,
            is_new=self.is_new_in(start, end),
            text_source=source,
            text_sha256=text_sha256(text),
            harvest_day=harvest_day,
        )
        return row


PAPER_SCHEMA = pa.schema(
    [
        ("arxiv_id", pa.string()),
        ("datestamp", pa.date32()),
        ("version", pa.int32()),
        ("created", pa.date32()),
        ("updated", pa.date32()),
        ("title", pa.string()),
        ("abstract", pa.string()),
        ("authors", pa.list_(pa.string())),
        ("affiliations", pa.list_(pa.string())),
        ("categories", pa.list_(pa.string())),
        ("comments", pa.string()),
        ("journal_ref", pa.string()),
        ("doi", pa.string()),
        ("license", pa.string()),
        ("deleted", pa.bool_()),
        ("withdrawn", pa.bool_()),
        ("primary_category", pa.string()),
        ("group", pa.string()),
        ("is_new", pa.bool_()),
        ("text_source", pa.string()),
        ("text_sha256", pa.string()),
        ("harvest_day", pa.date32()),
    ]
)


def records_table(records: list[PaperRecord], start: dt.date, end: dt.date, harvest_day: dt.date) -> pa.Table:
    """Records as an Arrow table in ``PAPER_SCHEMA`` (the last version of a repeated id wins)."""
    latest: dict[str, PaperRecord] = {}
    for record in records:
        latest[record.arxiv_id] = record
    rows = [record.row(start, end, harvest_day) for record in latest.values()]
    return pa.Table.from_pylist(rows, schema=PAPER_SCHEMA)
