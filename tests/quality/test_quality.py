"""Data-quality checks passing, warning and failing; the confidence policy; model comparison (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from arxiv_labeler.classify.confidence_policy import ConfidencePolicy, parse_policy
from arxiv_labeler.cli import main
from arxiv_labeler.harvest.models import PaperRecord, records_table
from arxiv_labeler.quality.checks import (
    QualityPolicy,
    RunScope,
    jensen_shannon_distance,
    overall_status,
    record_checks,
    run_checks,
)
from arxiv_labeler.quality.comparison import compare_models
from arxiv_labeler.warehouse import ModelInfo, RunRecord, Warehouse, open_warehouse

MODEL = ModelInfo("m@sha256:111", "m", "111", ["cs", "math", "physics"])
OTHER = ModelInfo("n@sha256:222", "n", "222", ["cs", "math", "physics"])
MONDAY = dt.date(2026, 11, 16)
CATEGORY_OF = {"cs": "cs.LG", "math": "math.AG", "physics": "hep-th"}


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    url = f"duckdb://{tmp_path / 'q.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("postgres_dsn")
    store = open_warehouse(url)
    store.migrate()
    return store


def load_day(
    warehouse: Warehouse,
    day: dt.date,
    labels: list[tuple[str, float]],
    model: ModelInfo = MODEL,
    run_id: str | None = None,
    unlabeled: int = 0,
    policy: ConfidencePolicy | None = None,
    prefix: str = "",
) -> str:
    """A day of papers, the first len(labels) labeled (label, top score), ``unlabeled`` more without a label row."""
    ids = [f"{prefix}{day:%y%m}.{day.day:02d}{n:03d}" for n in range(len(labels) + unlabeled)]
    # Each labeled paper's author filed it under its label's group: a sound day agrees with its authors.
    categories = [CATEGORY_OF.get(label, "cs.LG") for label, _ in labels] + ["cs.LG"] * unlabeled
    records = [
        PaperRecord(i, day, 1, day, day, f"Title {i}", f"Abstract {i}.", ["A."], [category])
        for i, category in zip(ids, categories, strict=True)
    ]
    table = records_table(records, day, day, day)
    rows = []
    for row, (label, score) in zip(table.to_pylist(), labels, strict=False):
        rest = (1.0 - score) / (len(model.labels) - 1)
        rows.append(
            {
                "arxiv_id": row["arxiv_id"],
                "model_id": model.model_id,
                "label": label,
                "score": score,
                "scores": [(n, score if n == label else rest) for n in model.labels],
                "text_sha256": row["text_sha256"],
                "text_source": row["text_source"],
                "labeled_at": dt.datetime(2026, 11, 21, 6),
            }
        )
    schema = pa.schema(
        [
            ("arxiv_id", pa.string()),
            ("model_id", pa.string()),
            ("label", pa.string()),
            ("score", pa.float32()),
            ("scores", pa.map_(pa.string(), pa.float32())),
            ("text_sha256", pa.string()),
            ("text_source", pa.string()),
            ("labeled_at", pa.timestamp("us")),
        ]
    )
    run_id = run_id or f"run-{model.name}-{day}"
    record = RunRecord(run_id, "scheduled", day, day, model.model_id, "onnx", harvested=len(ids), classified=len(labels))
    warehouse.load(table, pa.Table.from_pylist(rows, schema=schema), model, record, policy)
    return run_id


def checks(warehouse: Warehouse, day: dt.date, run_id: str, **policy: float | int) -> dict[str, str]:
    results = run_checks(warehouse, RunScope(run_id, day, day, MODEL.model_id), QualityPolicy(**policy))  # type: ignore[arg-type]
    record_checks(warehouse, RunScope(run_id, day, day, MODEL.model_id), results)
    return {r.check: r.status for r in results}


def test_a_sound_day_passes_every_check_and_is_recorded(warehouse: Warehouse) -> None:
    for back in range(1, 8):
        load_day(warehouse, MONDAY - dt.timedelta(days=back), [("cs", 0.9), ("math", 0.8), ("physics", 0.95)])
    run_id = load_day(warehouse, MONDAY, [("cs", 0.9), ("math", 0.85), ("physics", 0.9)])
    statuses = checks(warehouse, MONDAY, run_id, drift_min_papers=1, agreement_min_papers=1)
    assert set(statuses.values()) == {"pass"}, statuses
    assert "category_agreement" in statuses
    _, stored = warehouse.query("SELECT count(*) FROM arxiv_quality_checks WHERE run_id = ?", (run_id,))
    _, quality = warehouse.query("SELECT quality_status FROM arxiv_pipeline_runs WHERE run_id = ?", (run_id,))
    assert stored == [(len(statuses),)] and quality == [("passed",)]


def test_missing_labels_fail_naming_the_check(warehouse: Warehouse) -> None:
    run_id = load_day(warehouse, MONDAY, [("cs", 0.9)], unlabeled=2)  # 3 harvested, 1 labeled, none without text
    results = run_checks(warehouse, RunScope(run_id, MONDAY, MONDAY, MODEL.model_id), QualityPolicy())
    failed = [r for r in results if r.status == "fail"]
    assert [r.check for r in failed] == ["papers_labeled"]
    assert (
        failed[0].value == 1
        and failed[0].threshold == 3
        and "papers_labeled: fail (value 1.0, threshold 3.0)" in failed[0].message()
    )
    assert overall_status(results) == "failed"


def test_low_confidence_share_warns(warehouse: Warehouse) -> None:
    run_id = load_day(warehouse, MONDAY, [("cs", 0.4), ("math", 0.45), ("physics", 0.9)])
    assert (
        checks(warehouse, MONDAY, run_id, confidence_threshold=0.5, low_confidence_warn_share=0.5)["low_confidence_share"]
        == "warn"
    )


def test_label_drift_against_the_trailing_days(warehouse: Warehouse) -> None:
    for back in range(1, 5):
        load_day(warehouse, MONDAY - dt.timedelta(days=back), [("cs", 0.9)] * 4)
    all_math = load_day(warehouse, MONDAY, [("math", 0.9)] * 4)
    assert checks(warehouse, MONDAY, all_math)["label_drift_jsd"] == "skip"  # 4 papers say nothing about drift
    assert checks(warehouse, MONDAY, all_math, drift_min_papers=1)["label_drift_jsd"] == "fail"  # distance 1
    tuesday = MONDAY + dt.timedelta(days=1)
    some_math = load_day(warehouse, tuesday, [("cs", 0.9)] * 2 + [("math", 0.9)] * 3)
    policy = QualityPolicy(drift_min_papers=1)
    results = {r.check: r for r in run_checks(warehouse, RunScope(some_math, tuesday, tuesday, MODEL.model_id), policy)}
    assert results["label_drift_jsd"].status == "warn" and 0.25 < (results["label_drift_jsd"].value or 0) <= 0.5


def test_empty_announcement_day_is_a_warning_but_an_empty_saturday_is_normal(warehouse: Warehouse) -> None:
    saturday = dt.date(2026, 11, 21)
    record = RunRecord("empty-sat", "scheduled", saturday, saturday, MODEL.model_id, "none")
    empty = records_table([], saturday, saturday, saturday)
    warehouse.load(empty, None, MODEL, record)
    assert checks(warehouse, saturday, "empty-sat")["empty_announcement_days"] == "pass"
    record = RunRecord("empty-mon", "scheduled", MONDAY, MONDAY, MODEL.model_id, "none")
    warehouse.load(empty, None, MODEL, record)
    assert checks(warehouse, MONDAY, "empty-mon")["empty_announcement_days"] == "warn"


def test_confidence_policy_stores_unclassified_and_keeps_the_raw_label(warehouse: Warehouse) -> None:
    policy = parse_policy(0.5, '{"physics": 0.95}').validate(MODEL.labels)
    load_day(warehouse, MONDAY, [("cs", 0.9), ("math", 0.3), ("physics", 0.9)], policy=policy)
    _, rows = warehouse.query("SELECT label, raw_label, score FROM arxiv_paper_labels ORDER BY arxiv_id")
    assert [(r[0], r[1]) for r in rows] == [("cs", "cs"), ("unclassified", "math"), ("unclassified", "physics")]


@pytest.mark.parametrize(
    ("min_score", "thresholds", "message"),
    [
        (1.5, None, "min_score must be between 0 and 1"),
        (None, "{cs: 1}", "label_thresholds is not JSON"),
        (None, "[0.5]", "must be a JSON object"),
        (None, {"cs": "high"}, "label_thresholds[cs] must be a number"),
    ],
)
def test_bad_policy_params_are_refused(min_score: object, thresholds: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(min_score, thresholds)


def test_thresholds_must_name_the_models_labels() -> None:
    with pytest.raises(ValueError, match="names labels the model does not have: biology"):
        ConfidencePolicy(0.0, {"biology": 0.5}).validate(MODEL.labels)


def test_jensen_shannon_distance_bounds() -> None:
    from collections import Counter

    assert jensen_shannon_distance(Counter(cs=3), Counter(cs=5)) == 0.0
    assert jensen_shannon_distance(Counter(cs=3), Counter(math=5)) == pytest.approx(1.0)


def test_model_comparison_and_its_cli(warehouse: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_day(warehouse, MONDAY, [("cs", 0.9), ("math", 0.8), ("physics", 0.7), ("cs", 0.6)])
    load_day(warehouse, MONDAY, [("cs", 0.9), ("physics", 0.6), ("physics", 0.8), ("math", 0.55)], model=OTHER)
    comparison = compare_models(warehouse, MODEL.model_id, OTHER.model_id)
    assert (comparison.papers, comparison.agreed, comparison.agreement) == (4, 2, 0.5)
    assert comparison.confusion[("math", "physics")] == 1 and comparison.confusion[("cs", "math")] == 1
    assert [c["label_b"] for c in comparison.changed] == ["physics", "math"]
    with pytest.raises(ValueError, match="unknown model id"):
        compare_models(warehouse, MODEL.model_id, "nope@sha256:0")
    if warehouse.dialect == "duckdb":
        url = f"duckdb://{warehouse.path}"  # type: ignore[attr-defined]
        csv_path = tmp_path / "changed.csv"
        argv = ["report", "--warehouse", url, "--compare-models", MODEL.model_id, OTHER.model_id, "--changed-csv", str(csv_path)]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "agreement 0.5000" in out and len(csv_path.read_text().splitlines()) == 3
        checks(warehouse, MONDAY, f"run-m-{MONDAY}")
        assert main(["report", "--warehouse", url, "--quality"]) == 0
        assert "papers_labeled" in capsys.readouterr().out
