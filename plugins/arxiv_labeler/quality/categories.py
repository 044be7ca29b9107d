"""A model's labels against arXiv's own categories: every paper carries its author's primary category and cross-lists.

Where a model's labels are arXiv's groups or categories (``harvest.taxonomy.label_mapping``), each
labeled paper is compared with its author's choice: the label equals the primary group (category),
or the group (category) of any of its categories. Papers the confidence policy left ``unclassified``
are not compared (they are counted beside): the pipeline asserts no label for them, and how many
there are is the ``low_confidence_share`` check's business. Aliases (``math.MP`` = ``math-ph``)
compare equal.

- :func:`category_agreement`: per day and primary group, what ``check_labels`` records in
  ``arxiv_category_agreement`` and :func:`check_category_agreement` judges.
- :func:`category_agreement_per_day`: the same as plain dicts, per day (or per day and group), for the labels page.
- :func:`label_disagreements`: the papers where model and author disagree, with both scores, flagged
  like arXiv's own reclassification proposals (top score at least 0.57).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.classify.confidence_policy import UNCLASSIFIED
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.harvest.taxonomy import LabelMapping, canonical_category, group_of, label_mapping
from arxiv_labeler.warehouse.store import Warehouse

LABELED_PAPERS = """
SELECT p.datestamp, p.arxiv_id, p.title, p.categories, l.label, l.score, CAST(l.scores AS VARCHAR)
FROM arxiv_paper_labels l JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id
WHERE l.model_id = ? AND NOT p.withdrawn
  AND (CAST(? AS DATE) IS NULL OR p.datestamp >= ?) AND (CAST(? AS DATE) IS NULL OR p.datestamp <= ?)
ORDER BY p.datestamp, p.arxiv_id
"""
ALL_GROUPS = "all"  # the paper_group of a day's total in category_agreement_per_day


@dataclass(frozen=True)
class CategoryAgreement:
    """One day and primary group: how many labeled papers agree with their authors."""

    day: dt.date
    paper_group: str  # the author's primary group
    label_mapping: LabelMapping
    papers: int  # labeled papers, unclassified included
    unclassified: int  # left out of the agreement (see the module docstring)
    primary_agreed: int  # label = the primary group (category)
    any_agreed: int  # label = the group (category) of one of the paper's categories, primary included

    @property
    def compared(self) -> int:
        """Papers compared with their authors' categories."""
        return self.papers - self.unclassified

    @property
    def primary_agreement(self) -> float | None:
        """Share of the compared papers labeled with their primary group (category); None when none compared."""
        return round(self.primary_agreed / self.compared, 4) if self.compared else None

    @property
    def any_agreement(self) -> float | None:
        """Share of the compared papers labeled with the group (category) of any of their categories."""
        return round(self.any_agreed / self.compared, 4) if self.compared else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, with the derived shares."""
        return asdict(self) | {
            "day": self.day.isoformat(),
            "compared": self.compared,
            "primary_agreement": self.primary_agreement,
            "any_agreement": self.any_agreement,
        }


def author_targets(categories: Sequence[str], mapping: LabelMapping) -> list[str]:
    """A paper's categories as the model's labels would name them (groups or canonical categories), primary first."""
    names = [group_of(c) if mapping == "groups" else canonical_category(c) for c in categories]
    return list(dict.fromkeys(names))  # primary first, each once


def model_labels(warehouse: Warehouse, model_id: str) -> list[str]:
    """The labels the warehouse recorded for ``model_id``.

    Raises:
        ConfigError: a model id the warehouse does not know, naming the ones it does.
    """
    _, rows = warehouse.query("SELECT model_id, labels FROM arxiv_models")
    labels = {row[0]: list(row[1] or []) for row in rows}
    if model_id not in labels:
        raise ConfigError(f"unknown model id {model_id!r}; known: {', '.join(sorted(labels)) or 'none'}")
    return labels[model_id]


def newest_model(warehouse: Warehouse) -> str | None:
    """The most recently registered model's id, None when no model is recorded."""
    _, rows = warehouse.query("SELECT model_id FROM arxiv_models ORDER BY registered_at DESC, model_id DESC LIMIT 1")
    return str(rows[0][0]) if rows else None


def category_agreement(
    warehouse: Warehouse, model_id: str, start: dt.date | None = None, until: dt.date | None = None
) -> list[CategoryAgreement]:
    """Per day and primary group, ``model_id``'s labels against the authors' categories; [] when its labels do not map.

    Raises:
        ConfigError: an unknown model id.
    """
    mapping = label_mapping(model_labels(warehouse, model_id))
    if mapping is None:
        return []
    _, rows = warehouse.query(LABELED_PAPERS, (model_id, start, start, until, until))
    counts: dict[tuple[dt.date, str], list[int]] = {}
    for day, _, _, categories, label, _, _ in rows:
        targets = author_targets(list(categories or []), mapping)
        if not targets:
            continue  # a paper without categories has no author's choice to compare with
        key = (day, group_of(categories[0]))
        papers, unclassified, primary, anywhere = counts.get(key, [0, 0, 0, 0])
        papers += 1
        if label == UNCLASSIFIED:
            unclassified += 1
        else:
            name = canonical_category(label) if mapping == "categories" else label
            primary += name == targets[0]
            anywhere += name in targets
        counts[key] = [papers, unclassified, primary, anywhere]
    return [CategoryAgreement(day, group, mapping, *values) for (day, group), values in sorted(counts.items())]


def totals(rows: Iterable[CategoryAgreement], day: dt.date | None = None) -> CategoryAgreement | None:
    """The rows summed into one (``paper_group`` ``all``); None when there are none."""
    rows = list(rows)
    if not rows:
        return None
    return CategoryAgreement(
        day or rows[0].day,
        ALL_GROUPS,
        rows[0].label_mapping,
        sum(r.papers for r in rows),
        sum(r.unclassified for r in rows),
        sum(r.primary_agreed for r in rows),
        sum(r.any_agreed for r in rows),
    )


def category_agreement_per_day(
    warehouse: Warehouse,
    model_id: str | None = None,
    start: dt.date | None = None,
    until: dt.date | None = None,
    by_group: bool = False,
) -> list[dict[str, Any]]:
    """The labels page's query: agreement with the authors' categories per day (``by_group``: per day and group).

    ``model_id`` None means the newest registered model. Each dict: ``day`` (ISO), ``paper_group``
    (``all`` for a day's total), ``label_mapping`` (``groups`` or ``categories``), ``papers``,
    ``unclassified``, ``compared``, ``primary_agreed``, ``any_agreed``, ``primary_agreement`` and
    ``any_agreement`` (shares in [0, 1], None when nothing was compared). Empty when there is no
    model or its labels are not arXiv's groups or categories.

    Raises:
        ConfigError: an unknown model id.
    """
    model_id = model_id or newest_model(warehouse)
    if model_id is None:
        return []
    rows = category_agreement(warehouse, model_id, start, until)
    if by_group:
        return [r.to_dict() for r in rows]
    days = sorted({r.day for r in rows})
    summed = [totals([r for r in rows if r.day == day], day) for day in days]
    return [r.to_dict() for r in summed if r is not None]


@dataclass(frozen=True)
class Disagreement:
    """A paper the model labels other than its author's primary group (category), with both scores."""

    arxiv_id: str
    day: dt.date
    title: str
    categories: list[str]
    author_label: str  # the primary group (category) as the model would name it
    model_label: str
    model_score: float  # the model's (top) score for its label
    author_score: float | None  # the model's score for the author's label (None: not one of the model's labels)
    cross_listed: bool  # the model's label is the group (category) of one of the paper's other categories
    proposal: bool  # top score at least the reclassification score: arXiv's classifier would propose a move

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self) | {"day": self.day.isoformat(), "categories": " ".join(self.categories)}


def label_disagreements(
    warehouse: Warehouse,
    model_id: str | None = None,
    start: dt.date | None = None,
    until: dt.date | None = None,
    proposal_score: float = settings.RECLASSIFICATION_SCORE,
) -> list[Disagreement]:
    """Papers labeled other than their primary group (category), proposals first, then by top score.

    Unclassified papers are left out, as in :func:`category_agreement`.

    Raises:
        ConfigError: no model in the warehouse, an unknown model id, or a model whose labels are
            not arXiv's groups or categories (naming its labels).
    """
    model_id = model_id or newest_model(warehouse)
    if model_id is None:
        raise ConfigError("the warehouse has no labeled papers yet: no model to compare with the authors' categories")
    labels = model_labels(warehouse, model_id)
    mapping = label_mapping(labels)
    if mapping is None:
        raise ConfigError(
            f"model {model_id}'s labels ({', '.join(labels[:10])}{', ...' if len(labels) > 10 else ''}) are neither "
            "arXiv's groups nor its categories: there is nothing to compare with the authors' categories"
        )
    _, rows = warehouse.query(LABELED_PAPERS, (model_id, start, start, until, until))
    found = []
    for day, arxiv_id, title, categories, label, score, scores_json in rows:
        targets = author_targets(list(categories or []), mapping)
        if not targets or label == UNCLASSIFIED:
            continue
        name = canonical_category(label) if mapping == "categories" else label
        if name == targets[0]:
            continue
        scores = json.loads(scores_json) if scores_json else {}
        by_target = {(canonical_category(k) if mapping == "categories" else k): float(v) for k, v in scores.items()}
        found.append(
            Disagreement(
                arxiv_id=arxiv_id,
                day=day,
                title=title,
                categories=list(categories),
                author_label=targets[0],
                model_label=label,
                model_score=round(float(score), 6),
                author_score=round(by_target[targets[0]], 6) if targets[0] in by_target else None,
                cross_listed=name in targets[1:],
                proposal=float(score) >= proposal_score,
            )
        )
    return sorted(found, key=lambda d: (not d.proposal, -d.model_score, d.arxiv_id))


def render_agreement(rows: Sequence[dict[str, Any]], fmt: str = "table") -> str:
    """Rows of :func:`category_agreement_per_day` as a ``table``, ``csv`` or ``json``."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2)
    fields = [*CategoryAgreement.__dataclass_fields__, "compared", "primary_agreement", "any_agreement"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    lines = [f"{'day':<12}{'group':<10}{'papers':>7}{'unclassified':>13}{'compared':>9}{'primary':>9}{'any':>8}"]
    for r in rows:
        primary = "" if r["primary_agreement"] is None else f"{r['primary_agreement']:.4f}"
        anywhere = "" if r["any_agreement"] is None else f"{r['any_agreement']:.4f}"
        lines.append(
            f"{r['day']:<12}{r['paper_group']:<10}{r['papers']:>7}{r['unclassified']:>13}{r['compared']:>9}"
            f"{primary:>9}{anywhere:>8}"
        )
    if not rows:
        lines.append("(no labeled papers, or the model's labels are not arXiv's groups or categories)")
    return "\n".join(lines)


def render_disagreements(
    found: Sequence[Disagreement], fmt: str = "table", proposal_score: float = settings.RECLASSIFICATION_SCORE
) -> str:
    """``table`` (for people), ``csv`` or ``json`` (for scripts)."""
    if fmt == "json":
        return json.dumps([d.to_dict() for d in found], indent=2)
    if fmt == "csv":
        out = io.StringIO()
        fields = list(Disagreement.__dataclass_fields__)
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(d.to_dict() for d in found)
        return out.getvalue()
    lines = [f"{'arxiv_id':<20}{'day':<12}{'author':<12}{'model':<12}{'model score':>12}{'author score':>13}  flags"]
    for d in found:
        author = "" if d.author_score is None else f"{d.author_score:.4f}"
        flags = ", ".join(f for f, on in (("proposal", d.proposal), ("cross-listed", d.cross_listed)) if on)
        lines.append(
            f"{d.arxiv_id:<20}{d.day!s:<12}{d.author_label:<12}{d.model_label:<12}{d.model_score:>12.4f}{author:>13}  {flags}"
        )
    proposals = sum(d.proposal for d in found)
    lines.append(f"\n{len(found)} papers labeled other than their primary; {proposals} proposals (top score >= {proposal_score})")
    return "\n".join(lines)
