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


def _latest_labeled_day(session: ReadSession, model_id: str | None) -> dt.date | None:
    # ORDER BY ... LIMIT 1 rather than max(): PostgreSQL walks the datestamp index backwards and stops at the first labeled paper
    model = "AND l.model_id = ?" if model_id else ""
    latest = session.scalar(
        f"""
        SELECT p.datestamp FROM arxiv_papers p
        WHERE NOT p.withdrawn AND EXISTS (SELECT 1 FROM arxiv_paper_labels l WHERE l.arxiv_id = p.arxiv_id {model})
        ORDER BY p.datestamp DESC LIMIT 1
        """,
        [model_id] if model_id else [],
    )
    return _as_date(latest)


def _earliest_labeled_day(session: ReadSession, model_id: str | None, start: dt.date, end: dt.date) -> dt.date | None:
    model = "AND l.model_id = ?" if model_id else ""
    earliest = session.scalar(
        f"""
        SELECT p.datestamp FROM arxiv_papers p
        WHERE NOT p.withdrawn AND p.datestamp BETWEEN ? AND ?
          AND EXISTS (SELECT 1 FROM arxiv_paper_labels l WHERE l.arxiv_id = p.arxiv_id {model})
        ORDER BY p.datestamp LIMIT 1
        """,
        [start, end, *([model_id] if model_id else [])],
    )
    return _as_date(earliest)


def _as_date(value: object) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def latest_labeled_range(session: ReadSession, model_id: str | None = None, today: dt.date | None = None) -> DayRange:
    """The last labeled day and the labeled days up to ``DEFAULT_DAYS`` before it; today's window when nothing is labeled."""
    latest = _latest_labeled_day(session, model_id)
    if latest is None:
        end = today or dt.datetime.now(dt.UTC).date()
        return DayRange(end - dt.timedelta(days=DEFAULT_DAYS - 1), end, "today")
    window_start = latest - dt.timedelta(days=DEFAULT_DAYS - 1)
    return DayRange(_earliest_labeled_day(session, model_id, window_start, latest) or latest, latest, "latest_labels")


def resolve_range(session: ReadSession, start: dt.date | None, end: dt.date | None, model_id: str | None = None) -> DayRange:
    """The range to show: both days as asked; one of them with a ``DEFAULT_DAYS`` window; neither, the latest labeled days."""
    if start is None and end is None:
        return latest_labeled_range(session, model_id)
    if start is None:
        assert end is not None
        return DayRange(end - dt.timedelta(days=DEFAULT_DAYS - 1), end)
    return DayRange(start, end or dt.datetime.now(dt.UTC).date())
