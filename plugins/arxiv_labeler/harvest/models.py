"""Typed arXiv records as the harvest lands them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from arxiv_labeler.harvest.taxonomy import group_of
from arxiv_labeler.text import paper_text, text_sha256

# New-style ids (0704.0001, 2401.12345) and old-style ones (hep-th/9901001) start their number with YYMM.
_ID_MONTH = re.compile(r"^(?:[a-z-]+(?:\.[A-Z]{2})?/)?(?P<yy>\d{2})(?P<mm>\d{2})")


def id_month(arxiv_id: str) -> tuple[int, int] | None:
    """(year, month) an arXiv id was assigned in: ``0704.0001`` -> (2007, 4), ``hep-th/9901001`` -> (1999, 1)."""
    match = _ID_MONTH.match(arxiv_id)
    if not match or not 1 <= int(match["mm"]) <= 12:
        return None
    yy = int(match["yy"])
    return (1900 + yy if yy >= 91 else 2000 + yy), int(match["mm"])  # arXiv began in August 1991


@dataclass
class PaperRecord:
    """One arXiv paper's latest metadata (or a deletion when ``deleted``).

    ``version`` is the current version's number and ``updated`` its date; ``created`` is the
    v1 date. Each is None where the source does not tell it (never a guess).
    """

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

    @property
    def is_new(self) -> bool | None:
        """The current version is the first (arXiv's "new"; a later one is a replacement); None when unknown.

        arXiv dates a record by its announcement, a day or more after the version's submission, so the
        harvested interval says nothing here: the version does. Without a version number (the arXiv
        format), a current version submitted in a month after the id's month cannot be v1 (ids are
        given at submission or announcement, never before): False; anything else is unknown.
        """
        if self.version is not None:
            return self.version == 1
        assigned = id_month(self.arxiv_id)
        if self.updated is not None and assigned is not None and (self.updated.year, self.updated.month) > assigned:
            return False
        return None

    def row(self, harvest_day: dt.date) -> dict[str, Any]:
        """The landed Parquet row."""
        text, source = paper_text(self.title, self.abstract)
        row = asdict(self)
        row.update(
            primary_category=self.primary_category,
            group=self.group,
            is_new=self.is_new,
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


def landed_table(records: list[PaperRecord], harvest_day: dt.date) -> pa.Table:
    """Records as an Arrow table in ``PAPER_SCHEMA`` (the last version of a repeated id wins)."""
    latest: dict[str, PaperRecord] = {}
    for record in records:
        latest[record.arxiv_id] = record
    rows = [record.row(harvest_day) for record in latest.values()]
    return pa.Table.from_pylist(rows, schema=PAPER_SCHEMA)


def records_table(records: list[PaperRecord], start: dt.date, end: dt.date, harvest_day: dt.date) -> pa.Table:
    """:func:`landed_table` under its former signature (``start`` and ``end`` no longer matter: see ``is_new``)."""
    return landed_table(records, harvest_day)
