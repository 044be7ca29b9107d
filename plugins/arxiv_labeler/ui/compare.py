"""Two models compared on the labels page: the report's own comparison (quality/comparison.py), one page of changed papers."""

from __future__ import annotations

from typing import Any

from arxiv_labeler.quality.comparison import compare_models
from arxiv_labeler.ui.days import DayRange
from arxiv_labeler.ui.reader import ReadSession


def compare_page(session: ReadSession, model_a: str, model_b: str, days: DayRange, limit: int, offset: int) -> dict[str, Any]:
    """Agreement overall and per group, the confusion matrix, and the changed papers ``offset`` .. ``offset + limit``.

    Raises:
        ValueError: a model id the warehouse does not know (from :func:`compare_models`).
    """
    comparison = compare_models(session, model_a, model_b, days.start, days.end, changed_limit=limit, changed_offset=offset)
    changed = comparison.changed
    titles: dict[str, str] = {}
    if changed:
        marks = ", ".join("?" * len(changed))
        titles = {
            r[0]: r[1]
            for r in session.query(
                f"SELECT arxiv_id, title FROM arxiv_papers WHERE arxiv_id IN ({marks})", [c["arxiv_id"] for c in changed]
            )[1]
        }
    return {
        **days.as_json(),
        "model_a": model_a,
        "model_b": model_b,
        "papers": comparison.papers,
        "agreed": comparison.agreed,
        "agreement": comparison.agreement,
        "per_group": [
            {"group": group, "papers": total, "agreed": agreed, "agreement": round(agreed / total, 4)}
            for group, (agreed, total) in sorted(comparison.per_group.items())
        ],
        "confusion": [{"label_a": a, "label_b": b, "papers": n} for (a, b), n in sorted(comparison.confusion.items())],
        "changed_total": comparison.changed_total,
        "offset": offset,
        "limit": limit,
        "changed": [
            {
                "arxiv_id": c["arxiv_id"],
                "title": titles.get(c["arxiv_id"]),
                "group": c["group"],
                "day": c["day"],
                "label_a": c["label_a"],
                "score_a": c["score_a"],
                "label_b": c["label_b"],
                "score_b": c["score_b"],
            }
            for c in changed
        ],
    }
