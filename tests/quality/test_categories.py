"""Labels against arXiv's own categories, on the real day 2008-11-26 (DuckDB and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from arxiv_labeler.classify.confidence_policy import ConfidencePolicy
from arxiv_labeler.cli import main
from arxiv_labeler.devstack.demo import DEFAULT_REPLAY_DATA
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record
from arxiv_labeler.harvest.models import PaperRecord, landed_table
from arxiv_labeler.harvest.taxonomy import GROUPS, group_of
from arxiv_labeler.quality.categories import (
    category_agreement,
    category_agreement_per_day,
    label_disagreements,
)
from arxiv_labeler.quality.checks import QualityPolicy, RunScope, record_checks, run_agreement, run_checks
from arxiv_labeler.warehouse import ModelInfo, RunRecord, Warehouse, open_warehouse

DAY = dt.date(2008, 11, 26)
REAL_DAY = DEFAULT_REPLAY_DATA
GROUP_MODEL = ModelInfo("groups@sha256:1", "groups", "1", list(GROUPS))
LABEL_SCHEMA = pa.schema(
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


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    url = f"duckdb://{tmp_path / 'c.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("postgres_dsn")
    store = open_warehouse(url)
    store.migrate()
    return store


def real_records() -> list[PaperRecord]:
    return sorted((to_record(e) for e in read_snapshot(REAL_DAY)), key=lambda r: r.arxiv_id)


def planned_label(index: int, record: PaperRecord) -> tuple[str, float]:
    """A deterministic labeling of the real day: mostly the author's group, some cross-lists, wrong ones, low scores."""
    groups = [group_of(c) for c in record.categories]
    if index % 10 == 0:
        return groups[0], 0.2  # below the policy's 0.3: stored unclassified
    if index % 10 == 1:
        other = next((g for g in groups if g != groups[0]), None)
        return (other or next(g for g in GROUPS if g not in groups)), 0.9  # a confident move: a proposal
    if index % 10 == 2:
        return next(g for g in GROUPS if g not in groups), 0.5  # wrong, and not confident enough to propose
    return groups[0], 0.8


def load(warehouse: Warehouse, records: list[PaperRecord], model: ModelInfo, labels: list[tuple[str, float]]) -> str:
    table = landed_table(records, DAY)
    rows: list[dict[str, Any]] = []
    for row, record, (label, score) in zip(table.to_pylist(), records, labels, strict=True):
        author = group_of(record.categories[0]) if model is GROUP_MODEL else record.categories[0]
        rest = {n: 0.0 for n in model.labels}
        rest.update({author: 0.05} if author in rest else {})
        rest[label] = score
        rows.append(
            {
                "arxiv_id": row["arxiv_id"],
                "model_id": model.model_id,
                "label": label,
                "score": score,
                "scores": list(rest.items()),
                "text_sha256": row["text_sha256"],
                "text_source": row["text_source"],
                "labeled_at": dt.datetime(2008, 11, 27, 6),
            }
        )
    run_id = f"scheduled__{model.name}"
    record = RunRecord(run_id, "scheduled", DAY, DAY, model.model_id, "onnx", harvested=len(records), classified=len(records))
    warehouse.load(table, pa.Table.from_pylist(rows, schema=LABEL_SCHEMA), model, record, ConfidencePolicy(min_score=0.3))
    return run_id


def expected_per_group(records: list[PaperRecord]) -> dict[str, tuple[int, int, int, int]]:
    """(papers, unclassified, primary agreed, any agreed) per primary group, straight from the plan."""
    counts: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        label, score = planned_label(index, record)
        groups = {group_of(c) for c in record.categories}
        row = counts.setdefault(group_of(record.categories[0]), [0, 0, 0, 0])
        row[0] += 1
        if score < 0.3:
            row[1] += 1
            continue
        row[2] += label == group_of(record.categories[0])
        row[3] += label in groups
    return {g: (a, b, c, d) for g, (a, b, c, d) in counts.items()}


def test_the_real_day_per_group_against_the_authors_categories(warehouse: Warehouse) -> None:
    records = real_records()
    load(warehouse, records, GROUP_MODEL, [planned_label(i, r) for i, r in enumerate(records)])
    rows = category_agreement(warehouse, GROUP_MODEL.model_id, DAY, DAY)
    got = {r.paper_group: (r.papers, r.unclassified, r.primary_agreed, r.any_agreed) for r in rows}
    assert got == expected_per_group(records)
    assert {r.day for r in rows} == {DAY} and {r.label_mapping for r in rows} == {"groups"}
    assert sum(r.papers for r in rows) == 276 and got["physics"][0] > 150  # the day is mostly physics
    cross_listed = sum(r.any_agreed - r.primary_agreed for r in rows)
    assert cross_listed > 0  # some moves are to a cross-listed group: "any" is larger than "primary"

    (day,) = category_agreement_per_day(warehouse, GROUP_MODEL.model_id)
    assert set(day) == {
        "day",
        "paper_group",
        "label_mapping",
        "papers",
        "unclassified",
        "compared",
        "primary_agreed",
        "any_agreed",
        "primary_agreement",
        "any_agreement",
    }
    assert (day["day"], day["paper_group"], day["papers"]) == ("2008-11-26", "all", 276)
    assert day["compared"] == 276 - day["unclassified"] == sum(r.compared for r in rows)
    assert day["primary_agreement"] == round(day["primary_agreed"] / day["compared"], 4)
    by_group = category_agreement_per_day(warehouse, None, DAY, DAY, by_group=True)  # None: the newest model
    assert [g["paper_group"] for g in by_group] == sorted(got) and json.dumps(by_group)


def test_disagreements_list_both_scores_and_flag_proposals(warehouse: Warehouse) -> None:
    records = real_records()
    plan = [planned_label(i, r) for i, r in enumerate(records)]
    load(warehouse, records, GROUP_MODEL, plan)
    found = label_disagreements(warehouse, GROUP_MODEL.model_id, DAY, DAY)
    planned_moves = {
        r.arxiv_id: (label, score)
        for r, (label, score) in zip(records, plan, strict=True)
        if score >= 0.3 and label != group_of(r.categories[0])
    }
    assert {d.arxiv_id for d in found} == set(planned_moves)
    assert {d.arxiv_id for d in found if d.proposal} == {i for i, (_, s) in planned_moves.items() if s >= 0.57}
    assert [d.proposal for d in found] == sorted((d.proposal for d in found), reverse=True)  # proposals first
    for d in found:
        assert (d.model_label, d.model_score) == (planned_moves[d.arxiv_id][0], pytest.approx(planned_moves[d.arxiv_id][1]))
        assert d.author_score == pytest.approx(0.05) and d.author_label == group_of(d.categories[0])
        assert d.cross_listed == (d.model_label in {group_of(c) for c in d.categories[1:]})
    assert any(d.cross_listed for d in found) and not all(d.cross_listed for d in found)
    assert not label_disagreements(warehouse, GROUP_MODEL.model_id, DAY, DAY, proposal_score=0.95)[0].proposal


def test_check_labels_records_the_agreement_and_judges_it(warehouse: Warehouse) -> None:
    records = real_records()
    run_id = load(warehouse, records, GROUP_MODEL, [planned_label(i, r) for i, r in enumerate(records)])
    scope = RunScope(run_id, DAY, DAY, GROUP_MODEL.model_id)
    agreement = run_agreement(warehouse, scope)
    results = {r.check: r for r in run_checks(warehouse, scope, QualityPolicy(), agreement)}
    check = results["category_agreement"]
    expected = sum(v[2] for v in expected_per_group(records).values()) / sum(
        v[0] - v[1] for v in expected_per_group(records).values()
    )
    assert check.value == round(expected, 4) and 0.6 < expected < 0.8  # 7 of 9 compared by the plan
    assert (check.status, check.threshold) == ("warn", 0.8)
    assert "unclassified not compared" in check.detail and "lowest: " in check.detail
    record_checks(warehouse, scope, list(results.values()), agreement)
    _, stored = warehouse.query(
        "SELECT paper_group, papers, unclassified, primary_agreed, any_agreed FROM arxiv_category_agreement "
        "WHERE run_id = ? ORDER BY 1",
        (run_id,),
    )
    assert {r[0]: tuple(r[1:]) for r in stored} == expected_per_group(records)
    record_checks(warehouse, scope, list(results.values()), agreement)  # a retry replaces, never adds
    _, (count,) = warehouse.query("SELECT count(*) FROM arxiv_category_agreement WHERE run_id = ?", (run_id,))
    assert count[0] == len(stored)

    failing = run_checks(warehouse, scope, QualityPolicy(category_agreement_warn=0.95, category_agreement_fail=0.9), agreement)
    assert [(r.status, r.threshold) for r in failing if r.check == "category_agreement"] == [("fail", 0.9)]
    passing = run_checks(warehouse, scope, QualityPolicy(category_agreement_warn=0.7, category_agreement_fail=0.5))
    assert [r.status for r in passing if r.check == "category_agreement"] == ["pass"]


def test_a_model_whose_labels_are_not_arxivs_is_not_compared(warehouse: Warehouse) -> None:
    records = real_records()[:40]
    other = ModelInfo("topics@sha256:2", "topics", "2", ["theory", "experiment"])
    run_id = load(warehouse, records, other, [("theory", 0.9)] * len(records))
    scope = RunScope(run_id, DAY, DAY, other.model_id)
    (check,) = [r for r in run_checks(warehouse, scope, QualityPolicy()) if r.check == "category_agreement"]
    assert check.status == "skip" and "(theory, experiment) are neither arXiv's groups nor categories" in check.detail
    assert category_agreement(warehouse, other.model_id) == [] and category_agreement_per_day(warehouse, other.model_id) == []
    with pytest.raises(ConfigError, match=r"labels \(theory, experiment\) are neither arXiv's groups nor its categories"):
        label_disagreements(warehouse, other.model_id)
    with pytest.raises(ConfigError, match="unknown model id 'nope@sha256:0'; known: topics@sha256:2"):
        category_agreement_per_day(warehouse, "nope@sha256:0")


def test_too_few_papers_skip_the_check(warehouse: Warehouse) -> None:
    records = real_records()[:12]
    run_id = load(warehouse, records, GROUP_MODEL, [(group_of(r.categories[0]), 0.9) for r in records])
    scope = RunScope(run_id, DAY, DAY, GROUP_MODEL.model_id)
    (check,) = [r for r in run_checks(warehouse, scope, QualityPolicy()) if r.check == "category_agreement"]
    assert (check.status, check.value) == ("skip", None) and "12 papers compared: fewer than 30" in check.detail


def test_a_category_model_compares_categories_and_their_aliases(warehouse: Warehouse) -> None:
    records = [r for r in real_records() if r.categories[0] in ("hep-th", "hep-ph", "math-ph", "quant-ph")][:40]
    labels = sorted({r.categories[0] for r in records} | {"math.MP"})
    model = ModelInfo("cats@sha256:3", "cats", "3", labels)
    # math-ph papers labeled with its alias math.MP agree; every fifth paper is moved to the next label.
    plan = []
    for index, record in enumerate(records):
        own = "math.MP" if record.categories[0] == "math-ph" else record.categories[0]
        moved = labels[(labels.index(own) + 1) % len(labels)]
        plan.append((moved if index % 5 == 0 and moved not in ("math.MP", "math-ph") else own, 0.9))
    load(warehouse, records, model, plan)
    rows = category_agreement(warehouse, model.model_id)
    assert {r.label_mapping for r in rows} == {"categories"} and {r.paper_group for r in rows} <= {"physics", "math"}
    moved = sum(1 for r, (label, _) in zip(records, plan, strict=True) if label not in ("math.MP", r.categories[0]))
    assert sum(r.compared - r.primary_agreed for r in rows) == moved > 0
    found = label_disagreements(warehouse, model.model_id)
    assert len(found) == moved and all(d.author_label == d.categories[0] for d in found)


def test_report_prints_agreement_and_disagreements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb://{tmp_path / 'r.duckdb'}"
    store = open_warehouse(url)
    store.migrate()
    records = real_records()
    load(store, records, GROUP_MODEL, [planned_label(i, r) for i, r in enumerate(records)])
    assert main(["report", "--warehouse", url, "--agreement", "--format", "json"]) == 0
    (day,) = json.loads(capsys.readouterr().out)
    assert (day["day"], day["papers"]) == ("2008-11-26", 276)
    assert main(["report", "--warehouse", url, "--agreement", "--by-group"]) == 0
    table = capsys.readouterr().out
    assert "physics" in table and "primary" in table
    assert main(["report", "--warehouse", url, "--disagreements", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("arxiv_id,day,title,categories,author_label,model_label,model_score,author_score")
    flags = Counter(line.rsplit(",", 1)[-1] for line in lines[1:])
    assert flags["True"] > 0 and flags["False"] > 0
    assert main(["report", "--warehouse", url, "--disagreements"]) == 0
    assert "proposals (top score >= 0.57)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["report", "--warehouse", url, "--disagreements", "--proposal-score", "2"])
    assert refused.value.code == 2 and "--proposal-score must be in [0, 1], got 2" in capsys.readouterr().err
