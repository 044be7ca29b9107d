"""The example consumer's daily summary: label shares per day as CSV and a PNG chart."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import ConfigError
from arxiv_labeler.warehouse.store import Warehouse

SHARES = """
SELECT p.datestamp AS day, l.label AS label, count(*) AS papers
FROM arxiv_paper_labels l JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id
WHERE l.model_id = ? AND NOT p.withdrawn AND p.datestamp BETWEEN ? AND ?
GROUP BY 1, 2 ORDER BY 1, 2
"""


@dataclass(frozen=True)
class LabelEvent:
    """What the consumer needs from one ``arxiv_paper_labels`` asset event's extra."""

    start: dt.date
    end: dt.date
    model_id: str
    labels_written: int

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> LabelEvent:
        """Read an event extra written by ``load_warehouse``.

        Raises:
            ValueError: the extra lacks the days or the model id (an event from something else).
        """
        try:
            first, last = extra["days"]
            return cls(
                dt.date.fromisoformat(first), dt.date.fromisoformat(last), str(extra["model_id"]), int(extra["labels_written"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"asset event extra without days/model_id/labels_written: {dict(extra)!r} ({exc})") from None


def write_daily_summary(
    warehouse: Warehouse, events: Sequence[LabelEvent], out_dir: Path, history_days: int = 28
) -> tuple[Path, Path]:
    """For the events' model and days (plus ``history_days`` before), write label shares per day as CSV and PNG."""
    if not events:
        raise ConfigError("no asset events to summarise")
    model_id = events[-1].model_id
    end = max(e.end for e in events)
    start = min(e.start for e in events) - dt.timedelta(days=history_days)
    _, rows = warehouse.query(SHARES, (model_id, start, end))
    totals: dict[dt.date, int] = {}
    for day, _, papers in rows:
        totals[day] = totals.get(day, 0) + int(papers)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"label-shares-{end.isoformat()}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["day", "model_id", "label", "papers", "share"])
        for day, label, papers in rows:
            writer.writerow([day.isoformat(), model_id, label, int(papers), round(int(papers) / totals[day], 4)])
    png_path = csv_path.with_suffix(".png")
    _chart(rows, totals, model_id, png_path)
    return csv_path, png_path


def _chart(rows: Sequence[tuple[Any, ...]], totals: Mapping[dt.date, int], model_id: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on workers
    import matplotlib.pyplot as plt

    days = sorted(totals)
    labels = sorted({row[1] for row in rows})
    share = {(row[0], row[1]): int(row[2]) / totals[row[0]] for row in rows}
    figure, axes = plt.subplots(figsize=(9, 4))
    bottom = [0.0] * len(days)
    for label in labels:
        values = [share.get((day, label), 0.0) for day in days]
        axes.bar([d.isoformat() for d in days], values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("share of papers")
    axes.set_title(f"label shares per day, {model_id.split('@')[0]}")
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
