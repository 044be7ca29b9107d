"""The labels page's app over a DuckDB warehouse with known rows: numbers, validation, parameterised SQL."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from arxiv_labeler.ui.app import create_app, signed_in_user
from arxiv_labeler.ui.links import labels_page_url
from arxiv_labeler.warehouse import open_warehouse
from fastapi.testclient import TestClient

from tests.warehouse.test_warehouse import DAY1, DAY2, MODEL_A, MODEL_B, labels, papers, run


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    url = f"duckdb://{tmp_path / 'w.duckdb'}"
    warehouse = open_warehouse(url)
    warehouse.migrate()
    day1 = papers(DAY1, ["2611.00001", "2611.00002", "2611.00003"])
    warehouse.load(day1, labels(day1, MODEL_A, "cs"), MODEL_A, run("r1", DAY1, MODEL_A))
    day2 = papers(DAY2, ["2611.00004"])
    warehouse.load(day2, labels(day2, MODEL_A, "math"), MODEL_A, run("r2", DAY2, MODEL_A))
    warehouse.load(day2, labels(day2, MODEL_B, "physics"), MODEL_B, run("r3", DAY2, MODEL_B))
    app = create_app(lambda: url)
    app.dependency_overrides[signed_in_user] = lambda: "tester"
    return TestClient(app)


def test_summary_counts_what_the_warehouse_holds(client: TestClient) -> None:
    body = client.get("/api/summary", params={"from": str(DAY1), "until": str(DAY2), "model": MODEL_A.model_id}).json()
    assert body["papers"] == 4
    assert {(r["day"], r["label"], r["papers"]) for r in body["per_day"]} == {(str(DAY1), "cs", 3), (str(DAY2), "math", 1)}
    assert {(s["day"], s["label"], s["share"]) for s in body["shares"]} == {(str(DAY1), "cs", 1.0), (str(DAY2), "math", 1.0)}
    assert [(m["model_id"], m["papers"]) for m in body["models"]] == [(MODEL_A.model_id, 4)]
    assert sorted(r["run_id"] for r in body["runs"]) == ["r1", "r2"]
    everything = client.get("/api/summary", params={"from": str(DAY1), "until": str(DAY2)}).json()
    assert everything["papers"] == 5 and {m["model_id"] for m in everything["models"]} == {MODEL_A.model_id, MODEL_B.model_id}
    only_physics = client.get("/api/summary", params={"from": str(DAY1), "until": str(DAY2), "group": "physics"}).json()
    assert only_physics["papers"] == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2011-2-3"}, "from must be a date YYYY-MM-DD"),
        ({"until": "2026-02-30"}, "until is not a real date"),
        ({"from": "2026-11-20", "until": "2026-11-19"}, "is after until"),
        ({"from": "2020-01-01", "until": "2026-01-01"}, "longer than 366 days"),
        ({"group": "biology"}, "group must be one of"),
        ({"model": "x' OR '1'='1"}, "model is not a model id"),
    ],
)
def test_bad_query_parameters_are_a_clear_400(client: TestClient, params: dict[str, str], message: str) -> None:
    response = client.get("/api/summary", params=params)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_values_travel_as_parameters_not_sql(client: TestClient) -> None:
    # a well-formed id that happens to look like SQL is just an id nobody labeled with
    body = client.get("/api/summary", params={"from": str(DAY1), "until": str(DAY2), "model": "a/--/b"}).json()
    assert body["papers"] == 0 and body["models"] == []


def test_page_is_served_and_links_carry_the_days(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="total-papers"' in page.text and "api/summary" in page.text
    assert labels_page_url("2026-11-18", "2026-11-20") == "/arxiv-labeler/?from=2026-11-18&until=2026-11-20"


def test_empty_warehouse_is_an_empty_page_not_an_error(tmp_path: Path) -> None:
    app = create_app(lambda: f"duckdb://{tmp_path / 'missing.duckdb'}")
    app.dependency_overrides[signed_in_user] = lambda: "tester"
    assert TestClient(app).get("/api/summary").json()["papers"] == 0


def test_importing_the_plugin_loads_neither_spark_nor_onnxruntime() -> None:
    plugins = Path(__file__).resolve().parents[2] / "plugins"
    code = (
        f"import sys; sys.path.insert(0, {str(plugins)!r}); import arxiv_labeler_plugin, arxiv_labeler.airflow_plugin as p; "
        "assert p.ArxivLabelerPlugin.fastapi_apps and p.ArxivLabelerPlugin.external_views; "
        "print('HEAVY=' + ','.join(sorted(m for m in ('pyspark', 'onnxruntime', 'torch') if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    (heavy,) = [line for line in result.stdout.splitlines() if line.startswith("HEAVY=")]  # Airflow may log to stdout too
    assert heavy == "HEAVY="


def test_summary_shows_the_labels_against_the_authors_primary_groups_per_day(client: TestClient) -> None:
    body = client.get("/api/summary", params={"from": str(DAY1), "until": str(DAY2), "model": MODEL_A.model_id}).json()
    agreement = {(a["day"], a["compared"], a["primary_agreed"], a["primary_agreement"]) for a in body["category_agreement"]}
    assert agreement == {(str(DAY1), 3, 3, 1.0), (str(DAY2), 1, 0, 0.0)}  # cs.LG papers labeled cs, then math
    page = client.get("/").text
    assert 'id="category-agreement"' in page and "category_agreement" in page


def test_every_element_id_of_the_page_is_unique() -> None:
    """The markup's ids and those the script creates: two ``#agreement`` once made the comparison unreadable."""
    page = (Path(create_app.__code__.co_filename).parent / "static" / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', page) + re.findall(r'\bid: "([^"]+)"', page)
    assert len(ids) > 40 and [i for i, n in Counter(ids).items() if n > 1] == []
