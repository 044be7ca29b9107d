"""The harvest stage's hand-off: the landed day partitions and what each day held."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DayResult:
    """Counts for one harvested day."""

    day: dt.date
    pages: int = 0
    records: int = 0
    deleted: int = 0
    new: int = 0  # current version is v1
    withdrawn: int = 0
    resumed_from_page: int = 0
    new_unknown: int = 0  # records that cannot tell whether their current version is v1 (the arXiv format)
    skipped: bool = False  # landed by an earlier try of the same run: not requested again

    def to_xcom(self) -> dict[str, Any]:
        """JSON-able form (the day as an ISO string)."""
        return asdict(self) | {"day": self.day.isoformat()}

    @classmethod
    def from_xcom(cls, data: Mapping[str, Any]) -> DayResult:
        """Inverse of :meth:`to_xcom`."""
        return cls(**{**data, "day": dt.date.fromisoformat(data["day"])})


@dataclass
class HarvestResult:
    """The harvest stage's hand-off: the landed partitions and what each day held."""

    start: dt.date
    end: dt.date
    partitions: list[str] = field(default_factory=list)
    days: list[DayResult] = field(default_factory=list)
    endpoint: str = ""
    seconds: float = 0.0  # the harvest task's wall time

    @property
    def records(self) -> int:
        """Records landed over all days (deletions included)."""
        return sum(d.records for d in self.days)

    @property
    def deleted(self) -> int:
        """OAI deletions among the records."""
        return sum(d.deleted for d in self.days)

    @property
    def new(self) -> int:
        """Records of new papers."""
        return sum(d.new for d in self.days)

    @property
    def replaced(self) -> int:
        """Records of papers whose current version is not their first (deletions and unknowns excluded)."""
        return self.records - self.new - self.deleted - sum(d.new_unknown for d in self.days)

    @property
    def skipped_days(self) -> int:
        """Days an earlier try of the same run had landed, not requested again."""
        return sum(1 for d in self.days if d.skipped)

    @property
    def withdrawn(self) -> int:
        """Records whose current version is withdrawn."""
        return sum(d.withdrawn for d in self.days)

    @property
    def pages(self) -> int:
        """OAI-PMH pages of the landed days (a skipped day's pages were requested by an earlier try of the run)."""
        return sum(d.pages for d in self.days)

    def to_xcom(self) -> dict[str, Any]:
        """JSON-able form: the days, and their totals for whoever reads the XCom in the UI."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "partitions": self.partitions,
            "days": [d.to_xcom() for d in self.days],
            "endpoint": self.endpoint,
            "seconds": self.seconds,
            "records": self.records,
            "deleted": self.deleted,
            "new": self.new,
            "replaced": self.replaced,
            "withdrawn": self.withdrawn,
            "skipped_days": self.skipped_days,
            "pages": self.pages,
        }

    @classmethod
    def from_xcom(cls, data: Mapping[str, Any]) -> HarvestResult:
        """Inverse of :meth:`to_xcom` (the totals are derived from the days again)."""
        return cls(
            start=dt.date.fromisoformat(data["start"]),
            end=dt.date.fromisoformat(data["end"]),
            partitions=list(data["partitions"]),
            days=[DayResult.from_xcom(d) for d in data["days"]],
            endpoint=str(data.get("endpoint", "")),
            seconds=float(data.get("seconds", 0.0)),
        )
