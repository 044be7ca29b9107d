"""What analysts ask first: papers and labels per day and group, and the model versions in use."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from arxiv_labeler.warehouse.store import Warehouse

LABELS_PER_DAY = """
SELECT p.datestamp AS day, p.arxiv_group AS paper_group, c.label AS label, count(*) AS papers
FROM arxiv_papers p JOIN arxiv_current_labels c USING (arxiv_id)
WHERE NOT p.withdrawn AND (? IS NULL OR p.datestamp >= ?) AND (? IS NULL OR p.datestamp <= ?)
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
MODELS = """
SELECT m.model_id, m.registered_at, count(l.arxiv_id) AS labeled_papers
FROM arxiv_models m LEFT JOIN arxiv_paper_labels l USING (model_id)
GROUP BY 1, 2 ORDER BY 2
"""


@dataclass
class Report:
    """Rows for the report and the models in use."""

    rows: list[dict[str, Any]]
    models: list[dict[str, Any]]


def build_report(warehouse: Warehouse, start: dt.date | None = None, until: dt.date | None = None) -> Report:
    """Papers per day, group and current label; and every model with its labeled-paper count."""
    names, rows = warehouse.query(LABELS_PER_DAY, (start, start, until, until))
    model_names, models = warehouse.query(MODELS)
    return Report([dict(zip(names, r, strict=True)) for r in rows], [dict(zip(model_names, m, strict=True)) for m in models])


def render(report: Report, fmt: str = "table") -> str:
    """``table`` (for people), ``csv`` or ``json`` (for scripts)."""
    if fmt == "json":
        return json.dumps({"labels": report.rows, "models": report.models}, default=str, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["day", "paper_group", "label", "papers"])
        writer.writeheader()
        writer.writerows(report.rows)
        return out.getvalue()
    lines = [f"{'day':<12}{'group':<10}{'label':<12}{'papers':>7}"]
    lines += [f"{r['day']!s:<12}{r['paper_group']!s:<10}{r['label']!s:<12}{r['papers']:>7}" for r in report.rows]
    lines.append("")
    lines.append("models:")
    lines += [f"  {m['model_id'][:80]}  registered {m['registered_at']}  {m['labeled_papers']} papers" for m in report.models]
    return "\n".join(lines)
