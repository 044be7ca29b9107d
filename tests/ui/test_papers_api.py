"""The papers view's API on DuckDB and PostgreSQL: list, filters, search, sort, pages, detail, compare, validation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from arxiv_labeler.ui.app import create_app, signed_in_user
from arxiv_labeler.ui.params import MAX_PAGE_SIZE
from fastapi.testclient import TestClient

from tests.ui.conftest import LABELS, OLD_DAY, PAPERS, WITHDRAWN, LabeledWarehouse
from tests.warehouse.test_warehouse import DAY1, DAY2, MODEL_A, MODEL_B

MODEL_LABELS = {MODEL_A.model_id: MODEL_A.labels, MODEL_B.model_id: MODEL_B.labels}


def expected_rows(start: dt.date = DAY1, end: dt.date = DAY2, **only: str) -> list[dict[str, Any]]:
    """What the list must hold, computed from the fixture's specs (the confidence policy applied at 0.5)."""
    rows = []
    for model_id, by_paper in LABELS.items():
        for arxiv_id, (top, score) in by_paper.items():
            day, title, _, categories, authors = PAPERS[arxiv_id]
            if not start <= day <= end:
                continue
            rest = sorted(name for name in MODEL_LABELS[model_id] if name != top)
            row = {
                "arxiv_id": arxiv_id,
                "title": title,
                "first_authors": authors[:3],
                "authors_total": len(authors),
                "primary_category": categories[0],
                "day": str(day),
                "label": "unclassified" if score < 0.5 else top,
                "raw_label": top,
                "score": score,
                "runner_up_label": rest[0],
                "runner_up_score": round((1 - score) / len(rest), 6),
                "model_id": model_id,
                "text_source": "title_abstract",
            }
            if all(row[k] == v for k, v in only.items()):
                rows.append(row)
    return rows


def all_pages(labeled: LabeledWarehouse, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        page = labeled.get("/api/papers", **params, **({"after": after} if after else {}))
        rows += page["papers"]
        after = page["next"]
        if after is None:
            return rows
    raise AssertionError("the pages never ended")


def key(row: dict[str, Any]) -> tuple[str, str]:
    return row["arxiv_id"], row["model_id"]


def test_the_list_opens_on_the_latest_labeled_days_and_says_so(labeled: LabeledWarehouse) -> None:
    body = labeled.get("/api/papers")
    assert (body["from"], body["until"], body["range_source"]) == (str(DAY1), str(DAY2), "latest_labels")
    assert body["total"] == len(expected_rows()) == 10 and len(body["papers"]) == 10
    assert body["columns"] == list(body["papers"][0])
    assert WITHDRAWN not in {r["arxiv_id"] for r in body["papers"]}
    summary = labeled.get("/api/summary")  # the summary opens on the same days, and counts the same rows
    assert (summary["from"], summary["until"], summary["range_source"]) == (str(DAY1), str(DAY2), "latest_labels")
    assert summary["papers"] == body["total"]
    asked = labeled.get("/api/papers", **{"from": str(OLD_DAY), "until": str(OLD_DAY)})
    assert asked["range_source"] == "query" and sorted(key(r) for r in asked["papers"]) == sorted(
        key(r) for r in expected_rows(OLD_DAY, OLD_DAY)
    )
    only_b = labeled.get("/api/papers", model=MODEL_B.model_id)  # the latest days of that model
    assert (only_b["from"], only_b["until"]) == (str(DAY1), str(DAY2)) and only_b["total"] == 4


def test_rows_carry_what_a_reader_needs(labeled: LabeledWarehouse) -> None:
    rows = {key(r): r for r in labeled.get("/api/papers")["papers"]}
    assert rows == {key(r): r for r in expected_rows()}
    unclassified = rows[("2611.00005", MODEL_A.model_id)]
    assert (unclassified["label"], unclassified["raw_label"], unclassified["score"]) == ("unclassified", "physics", 0.4)
    many = rows[("2611.00001", MODEL_A.model_id)]
    assert many["first_authors"] == ["Ada One", "Bob Two", "Cy Three"] and many["authors_total"] == 5
    assert (many["runner_up_label"], many["runner_up_score"]) == ("math", 0.05)


@pytest.mark.parametrize(
    ("params", "only"),
    [
        ({"model": MODEL_A.model_id}, {"model_id": MODEL_A.model_id}),
        ({"label": "math"}, {"label": "math"}),
        ({"label": "unclassified"}, {"label": "unclassified"}),
        ({"category": "cs.LG"}, {"primary_category": "cs.LG"}),
        ({"model": MODEL_B.model_id, "label": "physics"}, {"model_id": MODEL_B.model_id, "label": "physics"}),
    ],
)
def test_filters(labeled: LabeledWarehouse, params: dict[str, str], only: dict[str, str]) -> None:
    body = labeled.get("/api/papers", **params)
    assert sorted(key(r) for r in body["papers"]) == sorted(key(r) for r in expected_rows(**only))
    assert body["total"] == len(expected_rows(**only)) > 0
    summary = labeled.get("/api/summary", model=params.get("model"), group=params.get("label"))
    if "category" not in params:
        assert summary["papers"] == body["total"]


@pytest.mark.parametrize(
    ("q", "ids"),
    [
        ("graph", {"2611.00001", "2611.00005", "2611.00004"}),  # title or abstract, any case
        ("GRAPH neural", {"2611.00001", "2611.00004"}),  # every word, anywhere
        ("50%", {"2611.00002"}),  # a LIKE wildcard is a plain character
        ("under_score", {"2611.00006"}),
        ("100%", {"2611.00006"}),
        ("nothing-like-this", set()),
    ],
)
def test_search_over_titles_and_abstracts(labeled: LabeledWarehouse, q: str, ids: set[str]) -> None:
    body = labeled.get("/api/papers", q=q)
    assert {r["arxiv_id"] for r in body["papers"]} == ids and body["q"] == (q if ids or q else None)
    assert body["total"] == sum(len([m for m in LABELS if i in LABELS[m]]) for i in ids)


@pytest.mark.parametrize(
    ("sort", "order", "sort_key"),
    [
        ("day", "desc", lambda r: (r["day"], r["arxiv_id"], r["model_id"])),
        ("day", "asc", lambda r: (r["day"], r["arxiv_id"], r["model_id"])),
        ("score", "desc", lambda r: (r["score"], r["arxiv_id"], r["model_id"])),
        ("score", "asc", lambda r: (r["score"], r["arxiv_id"], r["model_id"])),
        ("id", "asc", lambda r: (r["arxiv_id"], r["model_id"])),
        ("id", "desc", lambda r: (r["arxiv_id"], r["model_id"])),
    ],
)
@pytest.mark.parametrize("limit", [1, 3, 200])
def test_sort_and_pages_are_stable(labeled: LabeledWarehouse, sort: str, order: str, sort_key: Any, limit: int) -> None:
    expected = sorted(expected_rows(), key=sort_key, reverse=order == "desc")
    walked = all_pages(labeled, sort=sort, order=order, limit=limit)
    assert [key(r) for r in walked] == [key(r) for r in expected]  # every row once, in order, ties by (arxiv_id, model_id)


def test_page_size_and_cursor(labeled: LabeledWarehouse) -> None:
    first = labeled.get("/api/papers", limit=4)
    assert len(first["papers"]) == 4 and first["total"] == 10 and first["next"]
    second = labeled.get("/api/papers", limit=4, after=first["next"])
    assert {key(r) for r in first["papers"]}.isdisjoint({key(r) for r in second["papers"]})
    wrong_sort = labeled.client.get("/api/papers", params={"limit": 4, "after": first["next"], "sort": "score"})
    assert wrong_sort.status_code == 400 and "after belongs to sort=day&order=desc" in wrong_sort.json()["detail"]
    last = labeled.get("/api/papers", limit=10)
    assert last["next"] is None  # exactly one full page: no empty page after it


def test_detail_has_every_score_the_history_and_the_runs(labeled: LabeledWarehouse) -> None:
    body = labeled.get("/api/papers/2611.00001")
    paper = body["paper"]
    assert paper["title"] == "Graph neural networks for molecules" and paper["url"] == "https://arxiv.org/abs/2611.00001"
    assert paper["authors"] == PAPERS["2611.00001"][4] and paper["categories"] == ["cs.LG", "q-bio.BM"]
    assert [(label["model_id"], label["current"]) for label in body["labels"]] == [
        (MODEL_B.model_id, True),  # registered last: the paper's current label, as in arxiv_current_labels
        (MODEL_A.model_id, False),
    ]
    newest = body["labels"][0]
    assert newest["scores"][0] == {"label": "cs", "score": 0.8} and len(newest["scores"]) == len(MODEL_B.labels)
    assert [s["score"] for s in newest["scores"]] == sorted((s["score"] for s in newest["scores"]), reverse=True)
    assert newest["run_id"] == f"b-{DAY1}" and newest["run"]["interval_start"] == str(DAY1)
    assert newest["unclassified_reason"] is None
    _, current = labeled.store.query("SELECT model_id, label FROM arxiv_current_labels WHERE arxiv_id = ?", ("2611.00001",))
    assert current == [(newest["model_id"], newest["label"])]


def test_detail_says_why_a_paper_is_unclassified(labeled: LabeledWarehouse) -> None:
    (label,) = labeled.get("/api/papers/2611.00005")["labels"]
    assert (label["label"], label["raw_label"], label["score"]) == ("unclassified", "physics", 0.4)
    assert label["threshold"] == 0.5 and label["threshold_recorded"] is True  # the load records the policy's threshold
    assert "top label physics scored 0.4000" in label["unclassified_reason"]
    assert "below the confidence threshold 0.5000 for physics" in label["unclassified_reason"]
    with labeled.store.transaction() as cursor:  # a row loaded before the 004 column existed
        cursor.execute("UPDATE arxiv_paper_labels SET threshold = NULL WHERE arxiv_id = '2611.00005'")
    try:
        (label,) = labeled.get("/api/papers/2611.00005")["labels"]
    finally:
        with labeled.store.transaction() as cursor:
            cursor.execute("UPDATE arxiv_paper_labels SET threshold = 0.5 WHERE arxiv_id = '2611.00005'")
    assert label["threshold"] is None and label["threshold_recorded"] is False
    assert "not recorded" in label["unclassified_reason"]


def test_detail_of_an_old_style_id_and_of_unknown_ones(labeled: LabeledWarehouse) -> None:
    assert labeled.get("/api/papers/hep-th/9901001")["paper"]["title"] == "Strings, the old way"
    missing = labeled.client.get("/api/papers/2611.99999")
    assert missing.status_code == 404 and "no paper 2611.99999" in missing.json()["detail"]
    bad = labeled.client.get("/api/papers/' OR 1=1 --")
    assert bad.status_code == 400 and "arxiv_id is not an arXiv identifier" in bad.json()["detail"]
    withdrawn = labeled.get(f"/api/papers/{WITHDRAWN}")  # not listed, but its page still says what happened
    assert withdrawn["paper"]["withdrawn"] is True


def test_models_compared(labeled: LabeledWarehouse) -> None:
    body = labeled.get("/api/compare", model_a=MODEL_A.model_id, model_b=MODEL_B.model_id)
    assert (body["papers"], body["agreed"], body["agreement"], body["changed_total"]) == (4, 2, 0.5, 2)
    assert {(c["label_a"], c["label_b"], c["papers"]) for c in body["confusion"]} == {
        ("cs", "cs", 1),
        ("cs", "stat", 1),
        ("math", "math", 1),
        ("math", "physics", 1),
    }
    assert [(c["arxiv_id"], c["label_a"], c["label_b"], c["title"]) for c in body["changed"]] == [
        ("2611.00002", "cs", "stat", "Sparse transformers at scale"),
        ("2611.00004", "math", "physics", "Neural operators for PDEs"),
    ]
    assert {g["group"]: (g["agreed"], g["papers"]) for g in body["per_group"]} == {"cs": (1, 2), "math": (1, 2)}
    second = labeled.get("/api/compare", model_a=MODEL_A.model_id, model_b=MODEL_B.model_id, limit=1, offset=1)
    assert [c["arxiv_id"] for c in second["changed"]] == ["2611.00004"] and second["changed_total"] == 2
    from arxiv_labeler.quality.comparison import compare_models  # the report's figures, the same

    report = compare_models(labeled.store, MODEL_A.model_id, MODEL_B.model_id, DAY1, DAY2)
    assert (report.papers, report.agreed) == (body["papers"], body["agreed"])
    assert [c["arxiv_id"] for c in report.changed] == [c["arxiv_id"] for c in body["changed"]]


def test_models_and_labels_for_the_choices(labeled: LabeledWarehouse) -> None:
    body = labeled.get("/api/models")
    assert [m["model_id"] for m in body["models"]] == [MODEL_B.model_id, MODEL_A.model_id]  # newest first
    assert body["labels"] == sorted({*MODEL_A.labels, *MODEL_B.labels, "unclassified"})


BAD_PARAMETERS = [
    ("/api/papers", {"from": "2011-2-3"}, "from must be a date YYYY-MM-DD"),
    ("/api/papers", {"until": "2026-02-30"}, "until is not a real date"),
    ("/api/papers", {"from": "2026-11-20", "until": "2026-11-19"}, "is after until"),
    ("/api/papers", {"from": "2020-01-01", "until": "2026-01-01"}, "longer than 366 days"),
    ("/api/papers", {"model": "x' OR '1'='1"}, "model is not a model id"),
    ("/api/papers", {"label": "biology"}, "label must be one of"),
    ("/api/papers", {"category": "cs LG;"}, "category must be an arXiv category"),
    ("/api/papers", {"q": "ab"}, "q needs a word of at least 3 characters"),
    ("/api/papers", {"q": "x" * 201}, "q is longer than 200 characters"),
    ("/api/papers", {"q": " ".join(f"w{i}xx" for i in range(9))}, "q has more than 8 words"),
    ("/api/papers", {"q": "abc\x00def"}, "q contains control characters"),
    ("/api/papers", {"sort": "title"}, "sort must be one of day, score, id"),
    ("/api/papers", {"order": "up"}, "order must be one of desc, asc"),
    ("/api/papers", {"limit": "0"}, "limit must be from 1 to 200"),
    ("/api/papers", {"limit": str(MAX_PAGE_SIZE + 1)}, "limit must be from 1 to 200"),
    ("/api/papers", {"limit": "ten"}, "limit must be a whole number"),
    ("/api/papers", {"after": "not-a-cursor"}, "after is not a page cursor"),
    ("/api/papers", {"labl": "cs"}, "unknown query parameter 'labl'"),
    ("/api/papers", [("label", "cs"), ("label", "math")], "label is given more than once"),
    ("/api/papers.csv", {"limit": "10"}, "unknown query parameter 'limit'"),
    ("/api/papers.csv", {"q": "ab"}, "q needs a word"),
    ("/api/papers.parquet", {"sort": "title"}, "sort must be one of"),
    ("/api/papers.json", {}, "kind must be csv or parquet"),
    ("/api/papers/2611.00001", {"x": "1"}, "unknown query parameter 'x'"),
    ("/api/summary", {"label": "cs"}, "unknown query parameter 'label'"),
    ("/api/summary", {"group": "biology"}, "group must be one of"),
    ("/api/models", {"model": "a"}, "unknown query parameter 'model'"),
    ("/api/compare", {"model_b": MODEL_B.model_id}, "model_a is required"),
    ("/api/compare", {"model_a": MODEL_A.model_id}, "model_b is required"),
    ("/api/compare", {"model_a": MODEL_A.model_id, "model_b": MODEL_A.model_id}, "name the same model"),
    ("/api/compare", {"model_a": MODEL_A.model_id, "model_b": "nope@sha256:0"}, "unknown model id(s) nope@sha256:0"),
    ("/api/compare", {"model_a": "a b", "model_b": MODEL_B.model_id}, "model_a is not a model id"),
    ("/api/compare", {"model_a": MODEL_A.model_id, "model_b": MODEL_B.model_id, "offset": "-1"}, "offset must be a whole number"),
    ("/api/compare", {"model_a": MODEL_A.model_id, "model_b": MODEL_B.model_id, "limit": "500"}, "limit must be from 1 to 200"),
    ("/api/compare", {"model_a": MODEL_A.model_id, "model_b": MODEL_B.model_id, "until": "20261120"}, "until must be a date"),
]


@pytest.mark.parametrize(("path", "params", "message"), BAD_PARAMETERS)
def test_every_parameter_is_validated_with_a_400_naming_it(
    labeled: LabeledWarehouse, path: str, params: Any, message: str
) -> None:
    response = labeled.client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]


def test_values_travel_as_parameters_not_sql(labeled: LabeledWarehouse) -> None:
    body = labeled.get("/api/papers", q="'; DROP TABLE arxiv_papers; --")
    assert body["total"] == 0
    assert labeled.get("/api/papers")["total"] == 10


def test_an_empty_warehouse_is_an_empty_list_not_an_error(tmp_path: Any) -> None:
    app = create_app(lambda: f"duckdb://{tmp_path / 'missing.duckdb'}")
    app.dependency_overrides[signed_in_user] = lambda: "tester"
    client = TestClient(app)
    body = client.get("/api/papers").json()
    assert (body["total"], body["papers"], body["range_source"]) == (0, [], "today")
    assert client.get("/api/models").json() == {"models": [], "labels": []}
    assert client.get("/api/papers/2611.00001").status_code == 404
    assert client.get("/api/papers.csv").text.splitlines()[0].startswith("arxiv_id,title,")
