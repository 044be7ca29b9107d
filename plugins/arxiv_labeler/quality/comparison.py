"""Two models on the papers both labeled: agreement overall and per group, confusion matrix, changed papers."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from arxiv_labeler.errors import ConfigError


class QueryRunner(Protocol):
    """Anything with ``Warehouse.query``'s shape: a warehouse, or the labels page's read-only session."""

    def query(self, sql: str, params: Sequence[Any] = ...) -> tuple[list[str], list[tuple[Any, ...]]]:
        """(column names, rows) of a read query with ``?`` placeholders."""
        ...


# The papers both models labeled, not withdrawn, in the day range: every figure of a comparison is over these.
BOTH_LABELED = """
FROM arxiv_paper_labels a
JOIN arxiv_paper_labels b ON b.arxiv_id = a.arxiv_id AND b.model_id = ?
JOIN arxiv_papers p ON p.arxiv_id = a.arxiv_id
WHERE a.model_id = ? AND NOT p.withdrawn
  AND (CAST(? AS DATE) IS NULL OR p.datestamp >= ?) AND (CAST(? AS DATE) IS NULL OR p.datestamp <= ?)
"""
LABEL_PAIRS = "SELECT p.arxiv_group, a.label, b.label, count(*)" + BOTH_LABELED + "GROUP BY 1, 2, 3"
# Materialized, then sorted: a LIMIT straight over the join lets PostgreSQL walk the primary key through every paper.
CHANGED = (
    """
WITH changed AS MATERIALIZED (
SELECT a.arxiv_id, p.arxiv_group, p.datestamp, a.label AS label_a, a.score AS score_a, CAST(a.scores AS VARCHAR) AS scores_a,
       b.label AS label_b, b.score AS score_b, CAST(b.scores AS VARCHAR) AS scores_b"""
    + BOTH_LABELED
    + """  AND a.label <> b.label
)
SELECT * FROM changed ORDER BY arxiv_id"""
)


@dataclass
class ModelComparison:
    """What a user needs to decide whether to switch from ``model_a`` to ``model_b``."""

    model_a: str
    model_b: str
    papers: int = 0
    agreed: int = 0
    per_group: dict[str, tuple[int, int]] = field(default_factory=dict)  # group -> (agreed, papers)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label_a, label_b) -> papers
    changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed_total(self) -> int:
        """How many common papers changed label (``changed`` may hold one page of them)."""
        return self.papers - self.agreed

    @property
    def agreement(self) -> float:
        """Share of the common papers with the same label (1.0 when there are none)."""
        return round(self.agreed / self.papers, 4) if self.papers else 1.0

    def render(self) -> str:
        """A plain-text report: agreement, per group, the confusion matrix."""
        lines = [
            f"{self.model_a}  vs  {self.model_b}",
            f"papers labeled by both: {self.papers}; agreement {self.agreement:.4f}",
            "",
        ]
        lines.append(f"{'group':<12}{'papers':>8}{'agreement':>11}")
        for group, (agreed, total) in sorted(self.per_group.items()):
            lines.append(f"{group:<12}{total:>8}{agreed / total:>11.4f}")
        labels = sorted({a for a, _ in self.confusion} | {b for _, b in self.confusion})
        if labels:
            lines += ["", "confusion (rows: model A, columns: model B)", " " * 14 + "".join(f"{b:>13}" for b in labels)]
            for a in labels:
                lines.append(f"{a:<14}" + "".join(f"{self.confusion[(a, b)]:>13}" for b in labels))
        lines.append(f"\n{len(self.changed)} papers changed label")
        return "\n".join(lines)

    def write_changed_csv(self, path: Path) -> None:
        """The papers whose label changed, with both models' labels and scores."""
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle,
                fieldnames=["arxiv_id", "group", "day", "label_a", "score_a", "label_b", "score_b", "scores_a", "scores_b"],
            )
            writer.writeheader()
            writer.writerows(self.changed)


def compare_models(
    warehouse: QueryRunner,
    model_a: str,
    model_b: str,
    start: dt.date | None = None,
    until: dt.date | None = None,
    changed_limit: int | None = None,
    changed_offset: int = 0,
) -> ModelComparison:
    """Compare the labels two models gave the same papers (in [start, until] by datestamp when given).

    The counts are aggregated in SQL; ``changed`` holds every changed paper by arxiv_id, or the page
    ``changed_offset``, ``changed_limit`` of them.

    Raises:
        ConfigError: a model id the warehouse does not know.
    """
    _, known = warehouse.query("SELECT model_id FROM arxiv_models")
    missing = [m for m in (model_a, model_b) if m not in {row[0] for row in known}]
    if missing:
        raise ConfigError(f"unknown model id(s) {', '.join(missing)}; known: {', '.join(sorted(r[0] for r in known)) or 'none'}")
    result = ModelComparison(model_a, model_b)
    params: tuple[Any, ...] = (model_b, model_a, start, start, until, until)
    _, counts = warehouse.query(LABEL_PAIRS, params)
    groups: dict[str, list[int]] = {}
    for group, label_a, label_b, papers in counts:
        same = int(papers) if label_a == label_b else 0
        result.papers += int(papers)
        result.agreed += same
        totals = groups.setdefault(group or "unknown", [0, 0])
        totals[0] += same
        totals[1] += int(papers)
        result.confusion[(label_a, label_b)] += int(papers)
    result.per_group = {g: (c[0], c[1]) for g, c in groups.items()}
    if changed_limit is None:
        _, rows = warehouse.query(CHANGED, params)
    else:
        _, rows = warehouse.query(CHANGED + " LIMIT ? OFFSET ?", (*params, changed_limit, changed_offset))
    for arxiv_id, group, day, label_a, score_a, scores_a, label_b, score_b, scores_b in rows:
        result.changed.append(
            {
                "arxiv_id": arxiv_id,
                "group": group,
                "day": str(day),
                "label_a": label_a,
                "score_a": round(float(score_a), 6),
                "label_b": label_b,
                "score_b": round(float(score_b), 6),
                "scores_a": json.dumps(json.loads(scores_a), sort_keys=True),
                "scores_b": json.dumps(json.loads(scores_b), sort_keys=True),
            }
        )
    return result
