"""The DAG under the real services: api-server, scheduler, dag-processor, triggerer (LocalExecutor, PostgreSQL).

Runs are made the three ways users make them: the REST API as the UI's Trigger form
does, ``airflow backfill create``, and the scheduler's own run; asserts on the API's
task-instance states and times and on warehouse rows, never on log text.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arxiv_labeler.devstack.airflow_services import LocalAirflow, drop_database, postgres_admin_dsn
from arxiv_labeler.devstack.dag_runs import DAG_ID
from arxiv_labeler.devstack.local_stack import LocalStack
from arxiv_labeler.warehouse import open_warehouse

from tests.conftest import DEMO_JSONL

pytestmark = [pytest.mark.slow, pytest.mark.spark, pytest.mark.postgres]
DAYS = ["2026-11-18", "2026-11-19", "2026-11-20"]
PHASES: dict[str, float] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def airflow(tiny_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("scheduler")
    database = f"arxiv_e2e_{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    try:
        with LocalStack(tiny_zip, DEMO_JSONL, page_size=5, oai_delay_seconds=0.05) as stack:
            config = {"AIRFLOW__CORE__PARALLELISM": "3", "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2"}
            with LocalAirflow(root / "home", database, free_port(), extra_env=stack.env(root / "data"), config=config) as local:
                PHASES["start services"] = time.monotonic() - started
                token = local.token()
                yield {
                    "local": local,
                    "token": token,
                    "stack": stack,
                    "root": root,
                    "oai": stack.oai,
                    "warehouse": open_warehouse(f"duckdb://{root / 'data' / 'warehouse.duckdb'}"),
                }
    finally:
        drop_database(database, postgres_admin_dsn())
        print("\nscheduler test phases (s):", json.dumps({k: round(v, 1) for k, v in PHASES.items()}))


def api(ctx: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return ctx["local"].api(method, path, body, ctx["token"])  # type: ignore[no-any-return]


def wait_for_run(ctx: dict[str, Any], run_id: str, timeout: float = 420) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, run = api(ctx, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        assert status == 200, run
        if run["state"] in ("success", "failed"):
            return run  # type: ignore[no-any-return]
        time.sleep(2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def failed_task_logs(ctx: dict[str, Any], run_id: str, lines: int = 40) -> str:
    """The last log lines of each failed task of a run: what CI prints when a run ends failed."""
    logs = ctx["local"].home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}"
    report = []
    for task_id, ti in task_instances(ctx, run_id).items():
        if ti["state"] not in ("success", "skipped"):
            tail = [
                f"{path.relative_to(logs)}: " + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
                for path in sorted(logs.glob(f"task_id={task_id}/*.log"))
            ]
            report.append(f"{task_id} ({ti['state']}):\n" + "\n".join(tail))
    return "\n\n".join(report)


def wait_for_backfills(ctx: dict[str, Any], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status, body = api(ctx, "GET", f"/api/v2/backfills?dag_id={DAG_ID}")
        assert status == 200, body
        if body["backfills"] and all(b["completed_at"] for b in body["backfills"]):
            return
        assert time.monotonic() < deadline, body
        time.sleep(3)


def task_instances(ctx: dict[str, Any], run_id: str) -> dict[str, dict[str, Any]]:
    status, body = api(ctx, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
    assert status == 200, body
    return {ti["task_id"]: ti for ti in body["task_instances"]}


def runs(ctx: dict[str, Any], run_type: str | None = None) -> list[dict[str, Any]]:
    status, body = api(ctx, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns?limit=100&order_by=start_date")
    assert status == 200, body
    return [r for r in body["dag_runs"] if run_type is None or r["run_type"] == run_type]


def warehouse_rows(ctx: dict[str, Any]) -> tuple[list[tuple], list[tuple]]:
    _, papers = ctx["warehouse"].query("SELECT * FROM arxiv_papers ORDER BY arxiv_id")
    _, labels = ctx["warehouse"].query("SELECT * FROM arxiv_paper_labels ORDER BY arxiv_id, model_id")
    return papers, labels


def ids_of_days(days: list[str]) -> list[str]:
    entries = [json.loads(line) for line in DEMO_JSONL.read_text().splitlines() if line.strip()]
    return sorted(e["id"] for e in entries if e["update_date"] in days)


def test_1_scheduler_runs_the_latest_interval_and_an_empty_day_is_zero_papers(airflow: dict[str, Any]) -> None:
    started = time.monotonic()
    status, body = api(airflow, "PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    assert status == 200, body
    deadline = time.monotonic() + 120
    while not runs(airflow, "scheduled"):
        assert time.monotonic() < deadline, "the scheduler made no run after unpausing"
        time.sleep(2)
    (scheduled,) = runs(airflow, "scheduled")  # catchup off: only the latest interval
    assert wait_for_run(airflow, scheduled["dag_run_id"])["state"] == "success"
    _, recorded = airflow["warehouse"].query(
        "SELECT harvested, classified, status FROM arxiv_pipeline_runs WHERE run_id = ?", (scheduled["dag_run_id"],)
    )
    assert recorded == [(0, 0, "success")]  # no replay records that day: zero papers, not an error
    PHASES["scheduled run"] = time.monotonic() - started


def test_2_trigger_like_the_ui_form(airflow: dict[str, Any]) -> None:
    started = time.monotonic()
    status, run = api(
        airflow,
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        {"logical_date": None, "conf": {"from_date": DAYS[1], "until_date": DAYS[1]}},
    )
    assert status == 200, run
    assert wait_for_run(airflow, run["dag_run_id"])["state"] == "success"
    papers, labels = warehouse_rows(airflow)
    assert sorted(p[0] for p in papers) == ids_of_days([DAYS[1]])
    assert len(labels) == len({(r[0], r[1]) for r in labels}) > 0
    PHASES["UI-style trigger"] = time.monotonic() - started


@pytest.mark.parametrize(
    ("conf", "named"),
    [
        ({"from_dte": DAYS[0]}, "from_dte"),
        ({"from_date": DAYS[2], "until_date": DAYS[0]}, "until_date"),
        ({"from_date": DAYS[0], "sets": ["cs:nonexistent"]}, "cs:nonexistent"),
        ({"from_date": DAYS[0], "model_uri": "https://example.org/model.zip"}, "model_uri"),
        ({}, "from_date"),
    ],
)
def test_3_bad_conf_is_refused_naming_the_param_and_harvests_nothing(
    airflow: dict[str, Any], conf: dict[str, Any], named: str
) -> None:
    before = warehouse_rows(airflow)
    _, runs_before = airflow["warehouse"].query("SELECT count(*) FROM arxiv_pipeline_runs")
    requests_before = len(airflow["oai"].log.queries)
    status, body = api(airflow, "POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf})
    if status != 200:
        assert 400 <= status < 500 and named in json.dumps(body), body  # the API's schema check names the param
    else:
        run = wait_for_run(airflow, body["dag_run_id"])
        assert run["state"] == "failed"
        tis = task_instances(airflow, body["dag_run_id"])
        assert tis["resolve_run"]["state"] == "failed"
        assert tis["harvest"]["state"] == "upstream_failed"
        status, tries = api(
            airflow,
            "GET",
            f"/api/v2/dags/{DAG_ID}/dagRuns/{body['dag_run_id']}/taskInstances/resolve_run/logs/1?full_content=true",
        )
        assert status == 200 and named in json.dumps(tries)  # the failed task's message names the param
    assert len(airflow["oai"].log.queries) == requests_before  # nothing harvested: not one OAI request
    assert warehouse_rows(airflow) == before
    assert airflow["warehouse"].query("SELECT count(*) FROM arxiv_pipeline_runs")[1] == runs_before


def test_4_backfill_three_days_two_at_a_time(airflow: dict[str, Any]) -> None:
    started = time.monotonic()
    # backfill picks the intervals starting in [from, to]: 11-18 06:00, 11-19 06:00, 11-20 06:00 cover 11-18..11-20
    airflow["local"].airflow(
        "backfill", "create", "--dag-id", DAG_ID, "--from-date", "2026-11-18", "--to-date", "2026-11-21", "--max-active-runs", "2"
    )
    wait_for_backfills(airflow)
    backfilled = runs(airflow, "backfill")
    assert [r["state"] for r in backfilled] == ["success"] * 3
    windows = []
    for run in backfilled:
        harvest = task_instances(airflow, run["dag_run_id"])["harvest"]
        assert harvest["pool"] == "arxiv_oai"
        windows.append((harvest["start_date"], harvest["end_date"]))
    windows.sort()
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(windows))  # the pool: never two at once
    papers, labels = warehouse_rows(airflow)
    assert sorted(p[0] for p in papers) == ids_of_days(DAYS)
    assert len(labels) == len({(r[0], r[1]) for r in labels})  # once per model
    run_ids = [r["dag_run_id"] for r in backfilled]
    _, audit = airflow["warehouse"].query("SELECT run_id FROM arxiv_pipeline_runs")
    assert sorted(r[0] for r in audit if r[0] in run_ids) == sorted(run_ids)  # one audit row per run
    PHASES["backfill 3 days"] = time.monotonic() - started

    started = time.monotonic()
    airflow["local"].airflow(
        "backfill", "create", "--dag-id", DAG_ID, "--from-date", "2026-11-18", "--to-date", "2026-11-21",
        "--max-active-runs", "2", "--reprocess-behavior", "completed",
    )  # fmt: skip
    wait_for_backfills(airflow)
    rerun = runs(airflow, "backfill")
    assert len(rerun) == 3 and all(r["state"] == "success" for r in rerun)
    assert warehouse_rows(airflow)[1] == labels  # no label row changed
    PHASES["backfill again (completed)"] = time.monotonic() - started


def test_5_clearing_classify_reruns_it_and_changes_nothing(airflow: dict[str, Any]) -> None:
    started = time.monotonic()
    finished = next(r for r in runs(airflow, "manual") if r["state"] == "success")
    before = warehouse_rows(airflow)
    first_end = task_instances(airflow, finished["dag_run_id"])["classify"]["end_date"]
    status, body = api(
        airflow,
        "POST",
        f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
        {
            "dry_run": False,
            "only_failed": False,
            "task_ids": ["classify"],
            "dag_run_id": finished["dag_run_id"],
            "include_downstream": True,
        },
    )
    assert status == 200, body
    deadline = time.monotonic() + 300
    while True:  # the cleared task runs again: a new end date, then the downstream load and check
        tis = task_instances(airflow, finished["dag_run_id"])
        rerun = tis["classify"]["end_date"] and tis["classify"]["end_date"] > first_end
        if rerun and all(tis[t]["state"] in ("success", "failed") for t in ("classify", "load_warehouse", "check_labels")):
            break
        assert time.monotonic() < deadline, tis["classify"]
        time.sleep(2)
    assert [tis[t]["state"] for t in ("classify", "load_warehouse", "check_labels")] == ["success"] * 3
    assert wait_for_run(airflow, finished["dag_run_id"])["state"] == "success"
    assert warehouse_rows(airflow) == before
    PHASES["clear classify"] = time.monotonic() - started


def test_5b_the_same_interval_triggered_twice_at_once(airflow: dict[str, Any]) -> None:
    started = time.monotonic()
    conf = {"from_date": DAYS[2], "until_date": DAYS[2], "reclassify": True}  # both runs classify and load every paper
    triggered = []
    for _ in range(2):
        status, run = api(airflow, "POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf})
        assert status == 200, run
        triggered.append(run["dag_run_id"])
    states = [wait_for_run(airflow, run_id)["state"] for run_id in triggered]
    assert states == ["success", "success"], "\n".join(failed_task_logs(airflow, run_id) for run_id in triggered)
    papers, labels = warehouse_rows(airflow)
    assert len(papers) == len({p[0] for p in papers}) and len(labels) == len({(r[0], r[1]) for r in labels})
    _, audit = airflow["warehouse"].query(
        "SELECT count(*) FROM arxiv_pipeline_runs WHERE run_id IN (?, ?) AND status = 'success'", tuple(triggered)
    )
    assert audit == [(2,)]
    PHASES["same interval twice at once"] = time.monotonic() - started


def test_6_the_labels_page_in_airflow(airflow: dict[str, Any], tmp_path: Path) -> None:
    import requests

    started = time.monotonic()
    base = airflow["local"].url
    assert requests.get(f"{base}/arxiv-labeler/", timeout=30).status_code == 401  # no credentials
    assert requests.get(f"{base}/arxiv-labeler/api/summary", timeout=30).status_code == 401
    forged = {"Authorization": "Bearer not-a-jwt"}
    assert requests.get(f"{base}/arxiv-labeler/api/summary", headers=forged, timeout=30).status_code in (401, 403)

    status, plugins = api(airflow, "GET", "/api/v2/plugins")
    (ours,) = [p for p in plugins["plugins"] if p["name"] == "arxiv_labeler"]
    assert ours["external_views"][0]["href"] == "/arxiv-labeler/" and ours["fastapi_apps"]
    backfilled = runs(airflow, "backfill")[0]
    status, links = api(
        airflow, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{backfilled['dag_run_id']}/taskInstances/load_warehouse/links"
    )
    assert status == 200, links
    assert links["extra_links"]["arXiv labels"].startswith("/arxiv-labeler/?from=2026-11-1"), links  # the run's days

    query = {"from": DAYS[0], "until": DAYS[-1]}
    summary = requests.get(
        f"{base}/arxiv-labeler/api/summary", params=query, headers={"Authorization": f"Bearer {airflow['token']}"}, timeout=30
    ).json()
    _, expected = airflow["warehouse"].query(
        "SELECT count(*) FROM arxiv_paper_labels l JOIN arxiv_papers p USING (arxiv_id) "
        "WHERE NOT p.withdrawn AND p.datestamp BETWEEN ? AND ?",
        (dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[-1])),
    )
    assert summary["papers"] == expected[0][0] > 0

    from playwright.sync_api import sync_playwright

    screenshot = Path(os.environ.get("ARXIV_LABELER_SCREENSHOT") or tmp_path / "arxiv-labels.png")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 1000})
            context.add_cookies([{"name": "_token", "value": airflow["token"], "url": base}])  # the UI's session cookie
            page = context.new_page()
            page.goto(f"{base}/arxiv-labeler/?from={DAYS[0]}&until={DAYS[-1]}")
            page.wait_for_selector("body[data-loaded=true]", timeout=30_000)
            assert page.inner_text("#total-papers") == str(expected[0][0])
            for row in summary["per_day"]:
                cell = page.inner_text(f'#per-day td[data-day="{row["day"]}"][data-label="{row["label"]}"]')
                assert int(cell) == sum(
                    r["papers"] for r in summary["per_day"] if (r["day"], r["label"]) == (row["day"], row["label"])
                )
            assert page.locator("#chart rect").count() >= len({r["day"] for r in summary["per_day"]})
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
    PHASES["labels page + browser"] = time.monotonic() - started


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
LABELED = "FROM arxiv_paper_labels l JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id WHERE NOT p.withdrawn"
LISTED = f"{LABELED} AND p.datestamp BETWEEN ? AND ?"


def read_warehouse(ctx: dict[str, Any], sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows through a read-only session: the api-server reads the same DuckDB file meanwhile, a writer would lock it out."""
    from arxiv_labeler.ui.reader import WarehouseReader

    with WarehouseReader(f"duckdb://{ctx['root'] / 'data' / 'warehouse.duckdb'}").session() as session:
        return session.query(sql, params)[1]


def latest_labeled_days(ctx: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The range the papers view opens on, computed here from the rows: the last labeled day and 29 days before it."""
    ((latest,),) = read_warehouse(ctx, f"SELECT max(p.datestamp) {LABELED}")
    ((earliest,),) = read_warehouse(ctx, f"SELECT min(p.datestamp) {LISTED}", (latest - dt.timedelta(days=29), latest))
    return earliest, latest


def listed(
    ctx: dict[str, Any], start: dt.date, end: dt.date, where: str = "", params: tuple[Any, ...] = ()
) -> list[tuple[str, str]]:
    """(arxiv_id, model_id) of the list's rows, newest day first, as the page's default sort shows them."""
    order = "ORDER BY p.datestamp DESC, p.arxiv_id DESC, l.model_id DESC"
    return [
        (r[0], r[1])
        for r in read_warehouse(ctx, f"SELECT p.arxiv_id, l.model_id {LISTED} {where} {order}", (start, end, *params))
    ]


def shown(frame: Any) -> list[tuple[str, str]]:
    rows = frame.locator("#papers tbody tr[data-arxiv-id]")
    return [(r.get_attribute("data-arxiv-id"), r.get_attribute("data-model-id")) for r in rows.all()]


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: ``ARXIV_LABELER_SCREENSHOT_DIR`` (docs/ for the README) or the test's temporary directory."""
    folder = Path(os.environ.get("ARXIV_LABELER_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def test_6b_the_papers_view_from_the_navigation_and_the_task_link(airflow: dict[str, Any], tmp_path: Path) -> None:
    import csv
    import io

    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    base = airflow["local"].url
    start, end = latest_labeled_days(airflow)
    everything = listed(airflow, start, end)
    assert len(everything) > 10  # enough rows for two pages of ten
    label_counts = read_warehouse(airflow, f"SELECT l.label, count(*) {LISTED} GROUP BY 1 ORDER BY 2 DESC, 1", (start, end))
    label = label_counts[0][0]
    ((title,),) = read_warehouse(airflow, f"SELECT min(p.title) {LISTED} AND l.label = ?", (start, end, label))
    word = max(title.split(), key=len).strip(".,:;()").lower()
    searched = listed(
        airflow, start, end, "AND l.label = ? AND (p.title ILIKE ? OR p.abstract ILIKE ?)", (label, f"%{word}%", f"%{word}%")
    )
    backfilled = runs(airflow, "backfill")[0]
    status, links = api(
        airflow, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{backfilled['dag_run_id']}/taskInstances/load_warehouse/links"
    )
    assert status == 200, links
    link = links["extra_links"]["arXiv labels"]
    run_days = [dt.date.fromisoformat(v.split("=")[1]) for v in link.split("?")[1].split("&")]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            context.add_cookies([{"name": "_token", "value": airflow["token"], "url": base}])  # the UI's session cookie
            page = context.new_page()
            page.goto(f"{base}/")
            page.get_by_role("button", name="Browse").click()  # Airflow's navigation: Browse > arXiv labels
            page.get_by_role("menuitem", name="arXiv labels").click()
            frame = page.frame_locator("iframe[title='arXiv labels']")  # Airflow shows external views in an iframe
            loaded = frame.locator("body[data-loaded=true]")
            loaded.wait_for(timeout=30_000)
            # the page opens on the latest labeled days and its inputs say which
            assert (frame.get_by_label("From").input_value(), frame.get_by_label("Until").input_value()) == (str(start), str(end))
            assert shown(frame) == everything[:50] and frame.locator("#total-papers").inner_text() == str(len(everything))
            page.screenshot(path=str(screenshot_path(tmp_path, "ui-papers-view.png")))

            frame.get_by_label("Label", exact=True).select_option(label)  # filter and search
            frame.get_by_label("Search titles and abstracts").fill(word)
            frame.get_by_role("button", name="Show").click()
            loaded.wait_for()
            assert shown(frame) == searched[:50] and searched

            frame.get_by_role("button", name="Reset").click()  # pages of ten: next, previous
            loaded.wait_for()
            frame.get_by_label("Rows per page").select_option("10")
            loaded.wait_for()
            assert shown(frame) == everything[:10]
            frame.get_by_role("button", name="Next").click()
            loaded.wait_for()
            assert shown(frame) == everything[10:20]
            assert frame.locator("#page-info").inner_text().startswith(f"11–20 of {len(everything)}")
            frame.get_by_role("button", name="Previous").click()
            loaded.wait_for()
            assert shown(frame) == everything[:10]

            arxiv_id, model_id = everything[0]  # a paper's detail, opened with the keyboard
            frame.locator(f'#papers tr[data-arxiv-id="{arxiv_id}"] a[data-paper]').first.focus()
            page.keyboard.press("Enter")
            loaded.wait_for()
            ((paper_title, scores),) = read_warehouse(
                airflow,
                "SELECT p.title, CAST(l.scores AS VARCHAR) FROM arxiv_papers p JOIN arxiv_paper_labels l USING (arxiv_id) "
                "WHERE arxiv_id = ? AND l.model_id = ?",
                (arxiv_id, model_id),
            )
            assert frame.locator("#detail-title").inner_text() == paper_title
            expected_scores = sorted(json.loads(scores).items(), key=lambda item: (-item[1], item[0]))
            score_rows = frame.locator(f'.model-scores[data-model-id="{model_id}"] tr[data-score-label]')
            assert [r.get_attribute("data-score-label") for r in score_rows.all()] == [k for k, _ in expected_scores]
            assert frame.locator("#detail-abs").get_attribute("href") == f"https://arxiv.org/abs/{arxiv_id}"
            frame.get_by_role("button", name="Back to the list").click()
            loaded.wait_for()

            with page.expect_download() as download:  # the export: the whole filter, not the page
                frame.get_by_role("link", name="Export CSV").click()
            exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
            assert [(r["arxiv_id"], r["model_id"]) for r in exported] == everything
            with page.expect_download() as download:
                frame.get_by_role("link", name="Export Parquet").click()
            import pyarrow.parquet as pq

            assert pq.read_table(download.value.path()).num_rows == len(everything)

            dark = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="dark")
            dark.add_cookies([{"name": "_token", "value": airflow["token"], "url": base}])
            dark_page = dark.new_page()
            dark_page.goto(f"{base}/plugin/arxiv-labels")
            dark_frame = dark_page.frame_locator("iframe[title='arXiv labels']")
            dark_frame.locator("body[data-loaded=true]").wait_for(timeout=30_000)
            assert dark_frame.locator("html").get_attribute("data-theme") == "dark"  # Airflow's dark mode, followed
            dark_page.screenshot(path=str(screenshot_path(tmp_path, "ui-papers-view-dark.png")))

            page.goto(f"{base}{link}")  # the load_warehouse task's extra link: the run's days
            page.wait_for_selector("body[data-loaded=true]", timeout=30_000)
            assert (page.get_by_label("From").input_value(), page.get_by_label("Until").input_value()) == tuple(
                map(str, run_days)
            )
            assert shown(page) == listed(airflow, run_days[0], run_days[1])[:50]
        finally:
            browser.close()
    PHASES["papers view + browser"] = time.monotonic() - started


def test_7_a_run_cleared_after_a_model_change_labels_with_the_new_model(airflow: dict[str, Any]) -> None:
    from tests.support.tiny_model import build_tiny_model

    started = time.monotonic()
    run = next(r for r in runs(airflow, "manual") if r["state"] == "success" and r["conf"].get("from_date") == DAYS[1])
    _, before = airflow["warehouse"].query("SELECT DISTINCT model_id FROM arxiv_paper_labels")
    new_model = build_tiny_model(airflow["root"] / "retrained", seed=7)
    airflow["stack"].upload_model(new_model.rename(new_model.with_name("tiny.zip")))  # same key, new ETag
    status, body = api(
        airflow,
        "POST",
        f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
        {"dry_run": False, "only_failed": False, "dag_run_id": run["dag_run_id"], "reset_dag_runs": True},
    )
    assert status == 200, body
    deadline = time.monotonic() + 300
    while api(airflow, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")[1]["state"] not in ("queued", "running"):
        assert time.monotonic() < deadline, "the cleared run was not queued again"
        time.sleep(1)
    assert wait_for_run(airflow, run["dag_run_id"])["state"] == "success"
    _, after = airflow["warehouse"].query("SELECT DISTINCT model_id FROM arxiv_paper_labels")
    (new_id,) = {r[0] for r in after} - {r[0] for r in before}  # fetch_model saw the new ETag: a new model id
    _, labeled = airflow["warehouse"].query("SELECT arxiv_id FROM arxiv_paper_labels WHERE model_id = ? ORDER BY 1", (new_id,))
    assert [r[0] for r in labeled] == ids_of_days([DAYS[1]])  # the day's papers, labeled once by the new model
    PHASES["clear after a model change"] = time.monotonic() - started


def test_7b_two_models_compared_in_the_papers_view(airflow: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    base = airflow["local"].url
    start, end = latest_labeled_days(airflow)
    ((old, new),) = [tuple(r[0] for r in read_warehouse(airflow, "SELECT model_id FROM arxiv_models ORDER BY registered_at"))]
    pairs = read_warehouse(
        airflow,
        "SELECT a.arxiv_id, a.label = b.label FROM arxiv_paper_labels a JOIN arxiv_paper_labels b ON b.arxiv_id = a.arxiv_id "
        "JOIN arxiv_papers p ON p.arxiv_id = a.arxiv_id WHERE a.model_id = ? AND b.model_id = ? AND NOT p.withdrawn "
        "AND p.datestamp BETWEEN ? AND ? ORDER BY a.arxiv_id",
        (old, new, start, end),
    )
    assert pairs  # the day the new model labeled again
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_cookies([{"name": "_token", "value": airflow["token"], "url": base}])
            page = context.new_page()
            page.goto(f"{base}/arxiv-labeler/")
            page.wait_for_selector("body[data-loaded=true]", timeout=30_000)
            page.get_by_role("tab", name="Compare models").click()
            assert (page.get_by_label("Model A").input_value(), page.get_by_label("Model B").input_value()) == (old, new)
            page.get_by_role("button", name="Compare", exact=True).click()
            page.wait_for_selector("body[data-loaded=true] #agreement")
            agreed = sum(1 for _, same in pairs if same)
            assert page.inner_text("#compared-papers") == f"{len(pairs):,}"
            assert page.inner_text("#agreement") == f"{100 * agreed / len(pairs):.1f}%"
            changed = [r.get_attribute("data-arxiv-id") for r in page.locator("#changed tbody tr[data-arxiv-id]").all()]
            assert changed == [arxiv_id for arxiv_id, same in pairs if not same][:50]
            page.screenshot(path=str(screenshot_path(tmp_path, "ui-papers-view-compare.png")), full_page=True)
        finally:
            browser.close()
    PHASES["models compared + browser"] = time.monotonic() - started
