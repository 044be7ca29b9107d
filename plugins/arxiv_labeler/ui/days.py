"""Which days the labels page shows: the range asked for, else the most recent days that have labels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from arxiv_labeler.ui.reader import ReadSession

DEFAULT_DAYS = 30  # the window shown when no range is asked for
MAX_DAYS = 366  # the longest range one request may cover

RangeSource = Literal["query", "latest_labels", "today"]


@dataclass(frozen=True)
class DayRange:
    """An inclusive range of UTC days and where it came from (the query, the latest labels, or today for an empty warehouse)."""

    start: dt.date
    end: dt.date
    source: RangeSource = "query"

    def as_json(self) -> dict[str, str]:
        """``from``, ``until`` and ``range_source``: what the page fills its inputs with."""
        return {"from": self.start.isoformat(), "until": self.end.isoformat(), "range_source": self.source}


def _postgres_latest(session: ReadSession, model_id: str | None) -> tuple[dt.date, dt.date] | None:
    # ORDER BY ... LIMIT 1: PostgreSQL walks the datestamp index backwards and stops at the first labeled paper
    model = "AND l.model_id = ?" if model_id else ""
    labeled = f"NOT p.withdrawn AND EXISTS (SELECT 1 FROM arxiv_paper_labels l WHERE l.arxiv_id = p.arxiv_id {model})"
    models = [model_id] if model_id else []
    latest = _as_date(session.scalar(f"SELECT p.datestamp FROM arxiv_papers p WHERE {labeled} ORDER BY 1 DESC LIMIT 1", models))
    if latest is None:
        return None
    window = [latest - dt.timedelta(days=DEFAULT_DAYS - 1), latest]
    earliest = session.scalar(
        f"SELECT p.datestamp FROM arxiv_papers p WHERE p.datestamp BETWEEN ? AND ? AND {labeled} ORDER BY 1 LIMIT 1",
        [*window, *models],
    )
    return _as_date(earliest) or latest, latest


def _duckdb_latest(session: ReadSession, model_id: str | None) -> tuple[dt.date, dt.date] | None:
    # a join over the newest papers' window first: a hash join over every label row costs 10 times more and is rarely needed
    model = "AND l.model_id = ?" if model_id else ""
    models = [model_id] if model_id else []
    labeled = f"FROM arxiv_papers p JOIN arxiv_paper_labels l ON l.arxiv_id = p.arxiv_id WHERE NOT p.withdrawn {model}"
    newest = _as_date(session.scalar("SELECT max(datestamp) FROM arxiv_papers"))
    if newest is None:
        return None
    window = [newest - dt.timedelta(days=DEFAULT_DAYS - 1), newest]
    _, found = session.query(
        f"SELECT min(p.datestamp), max(p.datestamp) {labeled} AND p.datestamp BETWEEN ? AND ?", [*models, *window]
    )
    if found and found[0][1] == newest:
        return _as_date(found[0][0]) or newest, newest
    # no label on the newest papers' day: the latest labeled day overall (within the window when it has one)
    latest = (
        _as_date(found[0][1])
        if found and found[0][1] is not None
        else _as_date(session.scalar(f"SELECT max(p.datestamp) {labeled}", models))
    )
    if latest is None:
        return None
    window = [latest - dt.timedelta(days=DEFAULT_DAYS - 1), latest]
    earliest = session.scalar(f"SELECT min(p.datestamp) {labeled} AND p.datestamp BETWEEN ? AND ?", [*models, *window])
    return _as_date(earliest) or latest, latest


def _as_date(value: object) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def latest_labeled_range(session: ReadSession, model_id: str | None = None, today: dt.date | None = None) -> DayRange:
    """The last labeled day and the labeled days up to ``DEFAULT_DAYS`` before it; today's window when nothing is labeled."""
    found = _postgres_latest(session, model_id) if session.dialect == "postgres" else _duckdb_latest(session, model_id)
    if found is None:
        end = today or dt.datetime.now(dt.UTC).date()
        return DayRange(end - dt.timedelta(days=DEFAULT_DAYS - 1), end, "today")
    return DayRange(found[0], found[1], "latest_labels")


def resolve_range(session: ReadSession, start: dt.date | None, end: dt.date | None, model_id: str | None = None) -> DayRange:
    """The range to show: both days as asked; one of them with a ``DEFAULT_DAYS`` window; neither, the latest labeled days."""
    if start is None and end is None:
        return latest_labeled_range(session, model_id)
    if start is None:
        assert end is not None
        return DayRange(end - dt.timedelta(days=DEFAULT_DAYS - 1), end)
    return DayRange(start, end or dt.datetime.now(dt.UTC).date())
