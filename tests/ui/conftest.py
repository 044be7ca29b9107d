"""A warehouse with known papers and labels (DuckDB and PostgreSQL) and the labels app over it, signed in."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
from arxiv_labeler.classify.confidence_policy import ConfidencePolicy
from arxiv_labeler.harvest.taxonomy import group_of
from arxiv_labeler.ui.app import create_app, signed_in_user
from arxiv_labeler.warehouse import ModelInfo, Warehouse, open_warehouse
from fastapi.testclient import TestClient

from tests.conftest import POSTGRES_BASE, _postgres_available
from tests.warehouse.test_warehouse import DAY1, DAY2, MODEL_A, MODEL_B, labels, papers, run

OLD_DAY = dt.date(2026, 10, 1)  # labeled, but outside the 30 days before the latest labeled day
POLICY = ConfidencePolicy(min_score=0.5)  # below 0.5: stored as unclassified, the raw label kept

# arxiv_id -> (day, title, abstract, categories, authors)
PAPERS: dict[str, tuple[dt.date, str, str, list[str], list[str]]] = {
    "2611.00001": (
        DAY1,
        "Graph neural networks for molecules",
        "We learn on molecular graphs.",
        ["cs.LG", "q-bio.BM"],
        ["Ada One", "Bob Two", "Cy Three", "Di Four", "Ed Five"],
    ),
    "2611.00002": (DAY1, "Sparse transformers at scale", "Attention with 50% fewer operations.", ["cs.CL"], ["Fay Six"]),
    "2611.00003": (
        DAY1,
        "Knot invariants and braids",
        "Invariants of knots from braid closures.",
        ["math.GT"],
        ["Gus Seven", "Hal Eight"],
    ),
    "2611.00005": (DAY1, "Dark matter halos", "Simulated halos and their GRAPH of mergers.", ["astro-ph.CO"], ["Ivy Nine"]),
    "2611.00004": (
        DAY2,
        "Neural operators for PDEs",
        "Operators learned on a graph of meshes.",
        ["math.NA", "cs.LG"],
        ["Jo Ten"],
    ),
    "2611.00006": (DAY2, "Under_score and 100% literal", "A title with LIKE wildcards in it.", ["hep-th"], ["Kim Eleven"]),
    "2610.00001": (OLD_DAY, "An old graph paper", "Graphs, long ago.", ["cs.LG"], ["Lu Twelve"]),
    "hep-th/9901001": (OLD_DAY, "Strings, the old way", "An old-style identifier.", ["hep-th"], ["Mo Thirteen"]),
}
# model -> arxiv_id -> (top label, top score); 0.6 twice for model A: ties are broken by arxiv_id
LABELS: dict[str, dict[str, tuple[str, float]]] = {
    MODEL_A.model_id: {
        "2611.00001": ("cs", 0.9),
        "2611.00002": ("cs", 0.6),
        "2611.00003": ("math", 0.6),
        "2611.00005": ("physics", 0.4),
        "2611.00004": ("math", 0.55),
        "2611.00006": ("physics", 0.95),
        "2610.00001": ("cs", 0.8),
        "hep-th/9901001": ("physics", 0.7),
    },
    MODEL_B.model_id: {
        "2611.00001": ("cs", 0.8),
        "2611.00002": ("stat", 0.7),
        "2611.00003": ("math", 0.9),
        "2611.00004": ("physics", 0.65),
    },
}
WITHDRAWN = "2611.00007"  # loaded and labeled on DAY2, then withdrawn: never listed


@dataclass
class LabeledWarehouse:
    """The app's client, the warehouse URL and the store (to compute what the answers must be)."""

    client: TestClient
    url: str
    store: Warehouse
    dialect: str

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def paper_table(day: dt.date, ids: list[str]) -> pa.Table:
    """``papers`` of the warehouse tests, with each paper's own title, abstract, categories and authors."""
    rows = papers(day, ids).to_pylist()
    for row in rows:
        _, title, abstract, categories, authors = PAPERS[row["arxiv_id"]]
        row.update(title=title, abstract=abstract, categories=categories, authors=authors)
        row.update(primary_category=categories[0], group=group_of(categories[0]))
    return pa.Table.from_pylist(rows, schema=papers(day, ids).schema)


def label_table(table: pa.Table, model: ModelInfo) -> pa.Table:
    """``labels`` of the warehouse tests, with each paper's own top label and score (the rest shared by the others)."""
    base = labels(table, model)
    rows = []
    for row in base.to_pylist():
        if row["arxiv_id"] not in LABELS[model.model_id]:
            continue
        top, score = LABELS[model.model_id][row["arxiv_id"]]
        rest = (1.0 - score) / (len(model.labels) - 1)
        row.update(label=top, score=score, scores=[(name, score if name == top else rest) for name in model.labels])
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=base.schema)


def fill(store: Warehouse) -> None:
    """The rows every papers-view test reads: three days, two models, one unclassified, one withdrawn."""
    for model in (MODEL_A, MODEL_B):
        for day in (OLD_DAY, DAY1, DAY2):
            ids = [i for i, spec in PAPERS.items() if spec[0] == day and i in LABELS[model.model_id]]
            if ids:
                table = paper_table(day, ids)
                store.load(table, label_table(table, model), model, run(f"{model.name}-{day}", day, model), POLICY)
    gone = papers(DAY2, [WITHDRAWN])
    store.load(gone, labels(gone, MODEL_A), MODEL_A, run("withdrawn-1", DAY2, MODEL_A))
    store.load(papers(DAY2, [], deleted=[WITHDRAWN]), None, None, run("withdrawn-2", DAY2, MODEL_A))


@pytest.fixture(scope="session")
def postgres_warehouse_url() -> Iterator[str]:
    """One PostgreSQL database for the session's filled warehouse (the tests only read it), dropped afterwards."""
    reason = _postgres_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"arxiv_ui_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{POSTGRES_BASE}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session", params=["duckdb", "postgres"])
def labeled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LabeledWarehouse:
    """The app over a filled warehouse, on DuckDB and on PostgreSQL; filled once (tests that write restore what they change)."""
    if request.param == "duckdb":
        url = f"duckdb://{tmp_path_factory.mktemp('papers-view') / 'w.duckdb'}"
    else:
        url = request.getfixturevalue("postgres_warehouse_url")
    store = open_warehouse(url)
    store.migrate()
    fill(store)
    app = create_app(lambda: url)
    app.dependency_overrides[signed_in_user] = lambda: "tester"
    return LabeledWarehouse(TestClient(app), url, store, request.param)
