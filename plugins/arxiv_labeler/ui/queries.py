"""The labels page's summary: papers per day and label, the models in use, recent pipeline runs (read-only, parameterised)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from arxiv_labeler.classify.confidence_policy import UNCLASSIFIED
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.quality.categories import category_agreement_per_day
from arxiv_labeler.ui.days import DayRange
from arxiv_labeler.ui.reader import ReadSession, WarehouseBusyError, WarehouseUnavailableError

__all__ = ["Filters", "WarehouseBusyError", "WarehouseUnavailableError", "known_labels", "models", "summary"]


@dataclass(frozen=True)
class Filters:
    """Validated summary parameters: the day range, optionally one model and one label (``group``, its historic name)."""

    days: DayRange
    model_id: str | None = None
    group: str | None = None


def label_counts(session: ReadSession, f: Filters) -> list[dict[str, Any]]:
    """Label rows per day, paper group, label and model in the range, with the model's last labeling: one pass for the summary."""
    return session.rows(
        """
        SELECT p.datestamp AS day, p.arxiv_group AS paper_group, l.label AS label, l.model_id, count(*) AS papers,
               max(l.labeled_at) AS last_labeled
        FROM arxiv_papers p JOIN arxiv_paper_labels l ON l.arxiv_id = p.arxiv_id
        WHERE NOT p.withdrawn AND p.datestamp BETWEEN ? AND ? AND (CAST(? AS VARCHAR) IS NULL OR l.model_id = ?)
        GROUP BY 1, 2, 3, 4
        """,
        [f.days.start, f.days.end, f.model_id, f.model_id],
    )


def labels_per_day(counts: list[dict[str, Any]], group: str | None) -> list[dict[str, Any]]:
    """Papers per day, paper group and label (one per paper and model that labeled it), of one label when ``group`` is set."""
    per_day: dict[tuple[Any, Any, str], int] = {}
    for row in counts:
        if group is None or row["label"] == group:
            key = (row["day"], row["paper_group"], row["label"])
            per_day[key] = per_day.get(key, 0) + int(row["papers"])
    ordered = sorted(per_day.items(), key=lambda item: (str(item[0][0]), item[0][1] or "", item[0][2]))
    return [{"day": str(day), "paper_group": group_, "label": label, "papers": n} for (day, group_, label), n in ordered]


def models_in_range(session: ReadSession, counts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The models with label rows in the range, how many papers each labeled and when last, most papers first."""
    names = {m["model_id"]: m["name"] for m in models(session)}
    totals: dict[str, list[Any]] = {}
    for row in counts:
        entry = totals.setdefault(row["model_id"], [0, row["last_labeled"]])
        entry[0] += int(row["papers"])
        entry[1] = max(entry[1], row["last_labeled"])
    ordered = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [{"model_id": m, "name": names.get(m, m), "papers": n, "last_labeled": str(last)} for m, (n, last) in ordered]


def runs(session: ReadSession, f: Filters, limit: int = 20) -> list[dict[str, Any]]:
    """Recent pipeline runs overlapping the range, with per-stage counts and seconds."""
    rows = session.rows(
        """
        SELECT run_id, run_type, interval_start, interval_end, model_id, engine, harvested, new_papers,
               classified, skipped_unchanged, failed, CAST(stage_seconds AS VARCHAR) AS stage_seconds, status, finished_at
        FROM arxiv_pipeline_runs
        WHERE interval_end >= ? AND interval_start <= ? AND (CAST(? AS VARCHAR) IS NULL OR model_id = ?)
        ORDER BY finished_at DESC LIMIT ?
        """,
        [f.days.start, f.days.end, f.model_id, f.model_id, limit],
    )
    for row in rows:
        row["stage_seconds"] = json.loads(row["stage_seconds"]) if row["stage_seconds"] else {}
    return rows


def group_shares(per_day: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each day's share of papers per label (what the chart draws)."""
    totals: dict[str, int] = {}
    counts: dict[tuple[str, str], int] = {}
    for row in per_day:
        day = str(row["day"])
        totals[day] = totals.get(day, 0) + int(row["papers"])
        counts[(day, row["label"])] = counts.get((day, row["label"]), 0) + int(row["papers"])
    return [
        {"day": day, "label": label, "papers": n, "share": round(n / totals[day], 4)}
        for (day, label), n in sorted(counts.items())
    ]


def summary(session: ReadSession, f: Filters) -> dict[str, Any]:
    """The ``/api/summary`` answer: the range used, totals, per day and label, shares, models, runs."""
    counts = label_counts(session, f)
    per_day = labels_per_day(counts, f.group)
    return {
        **f.days.as_json(),
        "model": f.model_id,
        "group": f.group,
        "papers": sum(r["papers"] for r in per_day),
        "per_day": per_day,
        "shares": group_shares(per_day),
        "models": models_in_range(session, counts),
        "category_agreement": category_agreement(session, f),
        "runs": [
            {
                **r,
                "interval_start": str(r["interval_start"]),
                "interval_end": str(r["interval_end"]),
                "finished_at": str(r["finished_at"]),
            }
            for r in runs(session, f)
        ],
    }


def category_agreement(session: ReadSession, f: Filters) -> list[dict[str, Any]]:
    """Per day, the labels against the papers' own primary groups; empty when the model's labels are not arXiv's."""
    try:
        return category_agreement_per_day(session, f.model_id, f.days.start, f.days.end)
    except ConfigError:  # a model id nobody labeled with: nothing to compare, as for the other tables
        return []


def models(session: ReadSession) -> list[dict[str, Any]]:
    """Every model in the warehouse, newest first, with its labels (what the page's model and label choices offer)."""
    rows = session.rows(
        "SELECT model_id, name, registered_at, labels FROM arxiv_models ORDER BY registered_at DESC, model_id DESC"
    )
    return [{**r, "registered_at": str(r["registered_at"]), "labels": list(r["labels"] or [])} for r in rows]


def known_labels(session: ReadSession) -> set[str]:
    """The labels any model in the warehouse can give, and ``unclassified`` (empty for an empty warehouse)."""
    labels = {label for m in models(session) for label in m["labels"]}
    return labels | {UNCLASSIFIED} if labels else set()
