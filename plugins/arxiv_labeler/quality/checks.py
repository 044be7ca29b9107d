"""Data-quality checks on a run's labels, computed in SQL after the load (the classify stage is untouched).

Each check gives a :class:`CheckResult` (value, threshold, ``pass``/``warn``/``fail``/``skip``);
:func:`record_checks` stores them in ``arxiv_quality_checks`` and the run's ``quality_status``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from arxiv_labeler import settings
from arxiv_labeler.errors import ConfigError, QualityCheckFailedError
from arxiv_labeler.harvest.taxonomy import label_mapping
from arxiv_labeler.quality.categories import CategoryAgreement, category_agreement, model_labels, totals
from arxiv_labeler.warehouse.store import Warehouse

# arXiv announces Sunday to Thursday 20:00 US Eastern: the records carry the next UTC day's
# datestamp, so Monday to Friday (UTC) hold papers and Saturday and Sunday are normally empty.
ANNOUNCEMENT_WEEKDAYS = frozenset({0, 1, 2, 3, 4})
TRAILING_DAYS = 28


@dataclass(frozen=True)
class QualityPolicy:
    """Thresholds for the checks (DAG params)."""

    confidence_threshold: float = 0.5
    low_confidence_warn_share: float = 0.5
    drift_warn: float = settings.DRIFT_WARN
    drift_fail: float = settings.DRIFT_FAIL
    softmax: bool = True
    drift_min_papers: int = 30  # fewer labeled papers (the day or its history) say nothing about drift
    category_agreement_warn: float = settings.CATEGORY_AGREEMENT_WARN
    category_agreement_fail: float = settings.CATEGORY_AGREEMENT_FAIL
    agreement_min_papers: int = 30  # fewer compared papers say nothing about agreement


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome for one run."""

    check: str
    value: float | None
    threshold: float | None
    status: str  # pass | warn | fail | skip
    detail: str

    def message(self) -> str:
        """One line naming the check, its value and the threshold."""
        return f"{self.check}: {self.status} (value {self.value}, threshold {self.threshold}): {self.detail}"


@dataclass(frozen=True)
class RunScope:
    """What the checks look at: the run, its days, its model, and the run row's counts."""

    run_id: str
    start: dt.date
    end: dt.date
    model_id: str


def _one(warehouse: Warehouse, sql: str, params: Sequence[object]) -> float:
    _, rows = warehouse.query(sql, params)
    return float(rows[0][0] or 0)


def check_counts(warehouse: Warehouse, scope: RunScope) -> list[CheckResult]:
    """Harvested vs loaded vs labeled: every harvested paper loaded; every loaded paper with text labeled."""
    _, run_rows = warehouse.query(
        "SELECT harvested, deleted, failed, withdrawn FROM arxiv_pipeline_runs WHERE run_id = ?", (scope.run_id,)
    )
    if not run_rows:
        return [CheckResult("papers_loaded", None, None, "fail", f"run {scope.run_id} has no row in arxiv_pipeline_runs")]
    harvested, deleted, no_text, withdrawn = (int(v or 0) for v in run_rows[0])
    in_scope = "FROM arxiv_papers p WHERE p.datestamp BETWEEN ? AND ?"
    loaded = _one(warehouse, f"SELECT count(*) {in_scope} AND NOT p.withdrawn", (scope.start, scope.end))
    expected_loaded = harvested - deleted - withdrawn
    labeled = _one(
        warehouse,
        f"SELECT count(*) {in_scope} AND NOT p.withdrawn AND EXISTS "
        "(SELECT 1 FROM arxiv_paper_labels l WHERE l.arxiv_id = p.arxiv_id AND l.model_id = ?)",
        (scope.start, scope.end, scope.model_id),
    )
    expected_labeled = expected_loaded - no_text
    return [
        CheckResult(
            "papers_loaded",
            loaded,
            float(expected_loaded),
            "pass" if loaded >= expected_loaded else "fail",
            f"{harvested} harvested, {deleted} deleted, {withdrawn} withdrawn: {expected_loaded} should be in the warehouse",
        ),
        CheckResult(
            "papers_labeled",
            labeled,
            float(expected_labeled),
            "pass" if labeled >= expected_labeled else "fail",
            f"{int(loaded)} loaded, {no_text} without title or abstract: {expected_labeled} should carry a label "
            f"of {scope.model_id}",
        ),
    ]


def _labels_in_scope(scope: RunScope) -> tuple[str, tuple[object, ...]]:
    return (
        "FROM arxiv_paper_labels l JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id "
        "WHERE l.model_id = ? AND p.datestamp BETWEEN ? AND ? AND NOT p.withdrawn",
        (scope.model_id, scope.start, scope.end),
    )


def check_scores(warehouse: Warehouse, scope: RunScope, policy: QualityPolicy) -> list[CheckResult]:
    """No empty labels; every score in [0, 1]; softmax scores summing to 1 within 1e-5; low-confidence share."""
    where, params = _labels_in_scope(scope)
    _, rows = warehouse.query(f"SELECT l.label, l.score, CAST(l.scores AS VARCHAR), l.raw_label {where}", params)
    total = len(rows)
    empty = sum(1 for r in rows if not r[0])
    out_of_range = 0
    bad_sums = 0
    low = 0
    for _, score, scores_json, _ in rows:
        scores = json.loads(scores_json) if scores_json else {}
        values = [float(v) for v in scores.values()] + [float(score)]
        out_of_range += any(not (0.0 <= v <= 1.0) or math.isnan(v) for v in values)
        bad_sums += bool(policy.softmax and scores and abs(sum(scores.values()) - 1.0) > 1e-5)
        low += float(score) < policy.confidence_threshold
    share = round(low / total, 4) if total else 0.0
    return [
        CheckResult("null_labels", float(empty), 0.0, "fail" if empty else "pass", f"{empty} of {total} label rows empty"),
        CheckResult(
            "scores_in_range", float(out_of_range), 0.0, "fail" if out_of_range else "pass", f"{out_of_range} rows outside [0, 1]"
        ),
        CheckResult(
            "scores_sum_to_one",
            float(bad_sums),
            1e-5,
            "fail" if bad_sums else ("pass" if policy.softmax else "skip"),
            f"{bad_sums} rows whose scores sum differs from 1 by more than 1e-5"
            if policy.softmax
            else "sigmoid model: scores need not sum to 1",
        ),
        CheckResult(
            "low_confidence_share",
            share,
            policy.low_confidence_warn_share,
            "warn" if share > policy.low_confidence_warn_share else "pass",
            f"{low} of {total} papers have a top score below {policy.confidence_threshold}",
        ),
    ]


def jensen_shannon_distance(p: Counter[str], q: Counter[str]) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between two label count distributions."""
    labels = sorted(set(p) | set(q))
    p_total, q_total = sum(p.values()), sum(q.values())
    if not p_total or not q_total:
        return 0.0
    pv = [p[label] / p_total for label in labels]
    qv = [q[label] / q_total for label in labels]
    mv = [(a + b) / 2 for a, b in zip(pv, qv, strict=True)]

    def kl(a: list[float], b: list[float]) -> float:
        return sum(x * math.log2(x / y) for x, y in zip(a, b, strict=True) if x > 0)

    return math.sqrt(max(0.0, (kl(pv, mv) + kl(qv, mv)) / 2))


def check_drift(warehouse: Warehouse, scope: RunScope, policy: QualityPolicy) -> CheckResult:
    """The run's label distribution against the trailing 28 labeled days of the same model."""
    where, params = _labels_in_scope(scope)
    _, today = warehouse.query(f"SELECT l.label, count(*) {where} GROUP BY 1", params)
    _, days = warehouse.query(
        "SELECT DISTINCT p.datestamp FROM arxiv_paper_labels l JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id "
        "WHERE l.model_id = ? AND p.datestamp < ? AND NOT p.withdrawn ORDER BY 1 DESC LIMIT ?",
        (scope.model_id, scope.start, TRAILING_DAYS),
    )
    if not today or not days:
        return CheckResult("label_drift_jsd", None, policy.drift_warn, "skip", "no labeled history for this model yet")
    if sum(int(n) for _, n in today) < policy.drift_min_papers:
        return CheckResult(
            "label_drift_jsd",
            None,
            policy.drift_warn,
            "skip",
            f"{sum(int(n) for _, n in today)} labeled papers: fewer than {policy.drift_min_papers} say nothing about drift",
        )
    oldest = min(d[0] for d in days)
    _, history = warehouse.query(
        "SELECT l.label, count(*) FROM arxiv_paper_labels l JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id "
        "WHERE l.model_id = ? AND p.datestamp >= ? AND p.datestamp < ? AND NOT p.withdrawn GROUP BY 1",
        (scope.model_id, oldest, scope.start),
    )
    if sum(int(n) for _, n in history) < policy.drift_min_papers:
        return CheckResult("label_drift_jsd", None, policy.drift_warn, "skip", "too little labeled history to compare with")
    distance = round(jensen_shannon_distance(Counter(dict(today)), Counter(dict(history))), 4)
    status = "fail" if distance > policy.drift_fail else "warn" if distance > policy.drift_warn else "pass"
    threshold = policy.drift_fail if status == "fail" else policy.drift_warn
    return CheckResult(
        "label_drift_jsd",
        distance,
        threshold,
        status,
        f"against {len(days)} labeled days from {oldest} (warn {policy.drift_warn}, fail {policy.drift_fail})",
    )


def check_empty_weekdays(warehouse: Warehouse, scope: RunScope) -> CheckResult:
    """A day arXiv announces on (Monday to Friday, UTC datestamps) with zero papers is a warning."""
    _, rows = warehouse.query(
        "SELECT p.datestamp, count(*) FROM arxiv_papers p WHERE p.datestamp BETWEEN ? AND ? GROUP BY 1", (scope.start, scope.end)
    )
    counts = {row[0]: int(row[1]) for row in rows}
    day = scope.start
    empty = []
    while day <= scope.end:
        if day.weekday() in ANNOUNCEMENT_WEEKDAYS and not counts.get(day):
            empty.append(day.isoformat())
        day += dt.timedelta(days=1)
    return CheckResult(
        "empty_announcement_days",
        float(len(empty)),
        0.0,
        "warn" if empty else "pass",
        f"no papers on {', '.join(empty)} (a holiday, or a harvest problem)" if empty else "every announcement day has papers",
    )


def check_category_agreement(
    warehouse: Warehouse, scope: RunScope, policy: QualityPolicy, agreement: Sequence[CategoryAgreement]
) -> CheckResult:
    """The run's labels against the authors' primary groups (categories): warn or fail below the thresholds.

    ``agreement`` is :func:`~arxiv_labeler.quality.categories.category_agreement` for the run's days.
    """
    name, warn, fail = "category_agreement", policy.category_agreement_warn, policy.category_agreement_fail
    try:
        labels = model_labels(warehouse, scope.model_id)
    except ConfigError:
        return CheckResult(name, None, warn, "skip", f"model {scope.model_id} is not recorded in arxiv_models")
    if label_mapping(labels) is None:
        shown = ", ".join(labels[:8]) + (", ..." if len(labels) > 8 else "")
        return CheckResult(name, None, warn, "skip", f"the model's labels ({shown}) are neither arXiv's groups nor categories")
    run = totals(agreement)
    if run is None or run.compared < policy.agreement_min_papers:
        compared = run.compared if run else 0
        return CheckResult(
            name, None, warn, "skip", f"{compared} papers compared: fewer than {policy.agreement_min_papers} say nothing"
        )
    value = round(run.primary_agreed / run.compared, 4)
    status = "fail" if value < fail else "warn" if value < warn else "pass"
    sized = [r for r in agreement if r.compared >= policy.agreement_min_papers]
    lowest = min(sized, key=lambda r: (r.primary_agreement or 0.0, r.paper_group), default=None)
    detail = (
        f"{run.primary_agreed} of {run.compared} labels are the primary {_SINGULAR[run.label_mapping]}, "
        f"{run.any_agreed} one of the paper's {run.label_mapping} (any {run.any_agreement}); "
        f"{run.unclassified} unclassified not compared (warn below {warn}, fail below {fail})"
    )
    if lowest is not None:
        detail += f"; lowest: {lowest.paper_group} {lowest.primary_agreement} on {lowest.day} ({lowest.compared} papers)"
    return CheckResult(name, value, fail if status == "fail" else warn, status, detail)


_SINGULAR = {"groups": "group", "categories": "category"}


def run_checks(
    warehouse: Warehouse, scope: RunScope, policy: QualityPolicy, agreement: Sequence[CategoryAgreement] | None = None
) -> list[CheckResult]:
    """Every check for one run (``agreement``: the run's category agreement, computed here when not given)."""
    if agreement is None:
        agreement = run_agreement(warehouse, scope)
    return [
        *check_counts(warehouse, scope),
        *check_scores(warehouse, scope, policy),
        check_drift(warehouse, scope, policy),
        check_empty_weekdays(warehouse, scope),
        check_category_agreement(warehouse, scope, policy, agreement),
    ]


def run_agreement(warehouse: Warehouse, scope: RunScope) -> list[CategoryAgreement]:
    """The run's labels against the authors' categories per day and group ([] for an unrecorded model)."""
    try:
        return category_agreement(warehouse, scope.model_id, scope.start, scope.end)
    except ConfigError:
        return []  # a model the warehouse has no row for: check_category_agreement says so


def overall_status(results: Sequence[CheckResult]) -> str:
    """``failed`` if any check failed, ``warning`` if any warned, else ``passed``."""
    statuses = {r.status for r in results}
    return "failed" if "fail" in statuses else "warning" if "warn" in statuses else "passed"


def record_checks(
    warehouse: Warehouse, scope: RunScope, results: Sequence[CheckResult], agreement: Sequence[CategoryAgreement] = ()
) -> str:
    """Store the checks, the category agreement per day and group, and the run's quality status, in one transaction.

    A previous check of the same run is replaced, never added to.
    """
    status = overall_status(results)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    p = warehouse._param()
    with warehouse.transaction() as cursor:
        cursor.execute(f"DELETE FROM arxiv_quality_checks WHERE run_id = {p}", (scope.run_id,))
        for r in results:
            cursor.execute(
                "INSERT INTO arxiv_quality_checks (run_id, check_name, model_id, value, threshold, status, detail, checked_at) "
                f"VALUES ({', '.join([p] * 8)})",
                (scope.run_id, r.check, scope.model_id, r.value, r.threshold, r.status, r.detail, now),
            )
        cursor.execute(f"DELETE FROM arxiv_category_agreement WHERE run_id = {p}", (scope.run_id,))
        for a in agreement:
            cursor.execute(
                "INSERT INTO arxiv_category_agreement (run_id, model_id, day, paper_group, label_mapping, papers, "
                f"unclassified, primary_agreed, any_agreed, checked_at) VALUES ({', '.join([p] * 10)})",
                (
                    scope.run_id,
                    scope.model_id,
                    a.day,
                    a.paper_group,
                    a.label_mapping,
                    a.papers,
                    a.unclassified,
                    a.primary_agreed,
                    a.any_agreed,
                    now,
                ),
            )
        cursor.execute(f"UPDATE arxiv_pipeline_runs SET quality_status = {p} WHERE run_id = {p}", (status, scope.run_id))
    return status


def raise_for_failed(results: Sequence[CheckResult]) -> None:
    """Raise when a check failed, naming each failed check, its value and threshold.

    Raises:
        QualityCheckFailedError: one or more checks failed (their results are recorded already).
    """
    failed = [r for r in results if r.status == "fail"]
    if failed:
        raise QualityCheckFailedError(
            "data-quality check failed (the load is committed; the run is marked quality_status=failed): "
            + "; ".join(r.message() for r in failed)
        )


RECENT_CHECKS = """
SELECT q.run_id, r.interval_start, r.interval_end, q.check_name, q.value, q.threshold, q.status, q.detail
FROM arxiv_quality_checks q LEFT JOIN arxiv_pipeline_runs r ON r.run_id = q.run_id
ORDER BY q.checked_at DESC, q.run_id, q.check_name
LIMIT ?
"""
