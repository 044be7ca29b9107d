"""``pip install arxiv-labeler`` as a platform team does it: the wheel, a fresh venv, Airflow's CLI and its services.

The wheel is built from this tree and installed with ``--no-deps`` into a new venv. That venv
gets its dependencies (Airflow and the rest, gigabytes) from the project's venv through one
``.pth`` line pointing at a directory of links to its site-packages, minus this project's own
editable install: downloading and installing them again would take many minutes and need the
network, and ``--system-site-packages`` cannot help (the project's venv is not a system Python).
So the venv sees Airflow and the wheel's ``arxiv_labeler``, nothing of this checkout: no
PYTHONPATH, no plugins folder, an empty dags folder but for the one file a platform team adds.

Then Airflow itself, run from that venv, lists the provider, its hooks, extra link and plugin
(CLI, private SQLite ``AIRFLOW_HOME``), and its four services (PostgreSQL metadata database)
serve the connection forms, load the plugin and the DAGs, and run them: a refused run and a
quality warning are mailed to a local SMTP server, and the scheduled run's deadline alert fires.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arxiv_labeler.devstack.airflow_services import LocalAirflow, drop_database, postgres_admin_dsn
from arxiv_labeler.devstack.local_stack import LocalStack

from tests.conftest import DEMO_JSONL
from tests.support.smtp_sink import MailSink, body_text, free_port

pytestmark = [pytest.mark.slow]
PROJECT = Path(__file__).resolve().parents[2]
SITE_PACKAGES = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p, "airflow").is_dir()))
DAG_ID = "arxiv_labeling"
PHASES: dict[str, float] = {}


def build_wheel(out: Path) -> Path:
    """The wheel of this tree, built from a copy (a build in place leaves build/ and egg-info behind)."""
    source = out / "source"
    source.mkdir(parents=True)
    shutil.copy(PROJECT / "pyproject.toml", source / "pyproject.toml")
    shutil.copytree(
        PROJECT / "plugins" / "arxiv_labeler", source / "plugins" / "arxiv_labeler", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = out.glob("arxiv_labeler-*.whl")
    return wheel


def make_venv(root: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel installed and the project venv's packages (not this project) visible; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    deps = root / "dependencies"
    deps.mkdir()
    for entry in SITE_PACKAGES.iterdir():
        if not entry.name.startswith(("arxiv_labeler", "__editable__.arxiv_labeler", "__pycache__")):
            (deps / entry.name).symlink_to(entry)
    # addsitedir also runs the .pth files there (setuptools' distutils shim), as in the project's venv
    (site / "_project_dependencies.pth").write_text(f"import site; site.addsitedir({str(deps)!r})\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        timeout=600,
    )
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The wheel and the venv it is installed in; a dags folder holding only the file a platform team adds."""
    started = time.monotonic()
    root = tmp_path_factory.mktemp("installed-provider")
    wheel = build_wheel(root / "dist")
    python = make_venv(root, wheel)
    (root / "dags").mkdir()
    shutil.copy(PROJECT / "dags" / "arxiv_labeler_dags.py", root / "dags" / "arxiv_labeler_dags.py")
    (root / "plugins").mkdir()  # empty: the plugin must come from the entry point
    PHASES["wheel + venv"] = time.monotonic() - started
    return {"root": root, "wheel": wheel, "python": python}


def airflow_env(installed: dict[str, Any], home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ARXIV_LABELER"))}
    return (
        env
        | {
            "PYTHONPATH": "",  # nothing of this checkout
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(installed["root"] / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(installed["root"] / "plugins"),
        }
        | (extra or {})
    )


def run_airflow(installed: dict[str, Any], *args: str) -> Any:
    home = installed["root"] / "cli-home"
    result = subprocess.run(
        [str(installed["python"]), "-m", "airflow", *args, "-o", "json"],
        env=airflow_env(installed, home),
        cwd=installed["root"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout[result.stdout.index("[") :])


def test_1_the_wheel_holds_the_whole_package(installed: dict[str, Any]) -> None:
    package = PROJECT / "plugins" / "arxiv_labeler"
    expected = {
        "arxiv_labeler/" + str(p.relative_to(package))
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        names = set(wheel.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        points = wheel.read(entry_points).decode()
    assert expected - names == set()  # modules, migrations, replay data, the demo head, the page
    assert "provider_info = arxiv_labeler.provider_info:get_provider_info" in points
    assert "arxiv_labeler = arxiv_labeler.airflow_plugin:ArxivLabelerPlugin" in points


def test_2_the_installed_package_is_the_wheels_and_migrates_a_warehouse(installed: dict[str, Any]) -> None:
    code = (
        "import arxiv_labeler, json; from arxiv_labeler.warehouse import open_warehouse; "
        "w = open_warehouse('duckdb:///' + __import__('sys').argv[1]); "
        "print(json.dumps([arxiv_labeler.__file__, w.migrate()]))"
    )
    result = subprocess.run(
        [str(installed["python"]), "-c", code, str(installed["root"] / "w.duckdb")],
        env=airflow_env(installed, installed["root"] / "cli-home"),
        cwd=installed["root"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    location, applied = json.loads(result.stdout.splitlines()[-1])
    assert location.startswith(str(installed["root"] / "venv")) and applied[:3] == [1, 2, 3]  # the SQL came with the wheel


def test_3_airflow_lists_the_provider_its_hooks_link_and_plugin(installed: dict[str, Any]) -> None:
    started = time.monotonic()
    assert run_airflow(installed, "providers", "get", "arxiv-labeler") == [{"Provider": "arxiv-labeler", "Version": "0.1.0"}]
    hooks = {
        h["connection_type"]: h for h in run_airflow(installed, "providers", "hooks") if h["package_name"] == "arxiv-labeler"
    }
    assert {t: h["class"] for t, h in hooks.items()} == {
        "arxiv_oai_pmh": "arxiv_labeler.hooks.oai.OaiHook",
        "arxiv_labeler_spark": "arxiv_labeler.hooks.spark.SparkHook",
    }
    links = [link["extra_link_class_name"] for link in run_airflow(installed, "providers", "links")]
    assert "arxiv_labeler.ui.links.ArxivLabelsLink" in links
    (plugin,) = [p for p in run_airflow(installed, "plugins") if p["name"] == "arxiv_labeler"]
    assert "EntryPoint(name='arxiv_labeler'" in plugin["source"] and plugin["external_views"][0]["url_route"] == "arxiv-labels"
    PHASES["CLI listings"] = time.monotonic() - started


def deadline_time_passed_at_creation(now: dt.datetime) -> str:
    """An ARXIV_LABELER_DEADLINE_UTC that the latest scheduled run's deadline has passed when the run is created."""
    # After 06:00 the latest run's interval ends today at 06:00 (deadline today + T); before, yesterday (yesterday + T).
    return "06:01" if now.time() >= dt.time(6, 2) else "23:59"


@pytest.fixture(scope="module")
def services(installed: dict[str, Any], tiny_zip: Path) -> Iterator[dict[str, Any]]:
    """The four services run from the venv, on the local stack, with mail to a local SMTP server."""
    started = time.monotonic()
    root: Path = installed["root"]
    database = f"arxiv_provider_{uuid.uuid4().hex[:8]}"
    due = deadline_time_passed_at_creation(dt.datetime.now(dt.UTC))
    try:
        with MailSink() as sink, LocalStack(tiny_zip, DEMO_JSONL, page_size=5, oai_delay_seconds=0.05) as stack:
            # arxiv_oai as the provider's own type, with what its form saves for fields left empty
            assert stack.oai is not None
            extra = {
                "delay_seconds": 0.05,
                "backoff_seconds": 0.5,
                "read_timeout": None,
                "max_retries": None,
                "max_backoff_seconds": None,
            }
            oai = {"conn_type": "arxiv_oai_pmh", "host": stack.oai.url, "extra": extra}
            env = (
                stack.env(root / "data")
                | sink.connection_env()
                | {
                    "AIRFLOW_CONN_ARXIV_OAI": json.dumps(oai),
                    "ARXIV_LABELER_ALERT_EMAIL": "data-team@example.org",
                    "ARXIV_LABELER_DEADLINE_UTC": due,
                    "PYTHONPATH": "",
                    "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
                    "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
                }
            )
            config = {
                "AIRFLOW__CORE__PARALLELISM": "3",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",  # the forms' Test button
            }
            local = LocalAirflow(
                root / "home",
                database,
                free_port(),
                extra_env=env,
                config=config,
                airflow_command=(str(installed["python"]), "-m", "airflow"),
                cwd=root,
            )
            with local:
                PHASES["start services"] = time.monotonic() - started
                yield {"local": local, "token": local.token(), "sink": sink, "due": due, "oai_url": stack.oai.url}
    finally:
        drop_database(database, postgres_admin_dsn())
        print("\ninstalled provider test phases (s):", json.dumps({k: round(v, 1) for k, v in PHASES.items()}))


def api(ctx: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    status, answer = ctx["local"].api(method, path, body, ctx["token"])
    assert status == 200, (path, status, answer)
    return answer


def wait_for_run(ctx: dict[str, Any], run_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(ctx, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        if run["state"] in ("success", "failed"):
            return run  # type: ignore[no-any-return]
        time.sleep(2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def test_4_the_connection_forms_come_from_the_installed_provider(services: dict[str, Any]) -> None:
    forms = {form["connection_type"]: form for form in api(services, "GET", "/ui/connections/hook_meta")}
    oai, spark = forms["arxiv_oai_pmh"], forms["arxiv_labeler_spark"]
    assert oai["hook_name"] == "arXiv OAI-PMH" and oai["standard_fields"]["host"]["title"] == "Base URL"
    assert list(oai["extra_fields"]) == ["delay_seconds", "read_timeout", "max_retries", "backoff_seconds", "max_backoff_seconds"]
    assert oai["extra_fields"]["delay_seconds"]["schema"]["type"] == ["number", "null"]
    assert set(spark["extra_fields"]) == {"driver_memory", "executor_memory", "sparknlp_jars", "sparknlp_jar_uri"}
    assert "http" in forms and "aws" in forms  # the types the other connections keep


def test_4b_the_oai_forms_test_button_asks_the_endpoint(services: dict[str, Any]) -> None:
    body = {"connection_id": "arxiv_oai_new", "conn_type": "arxiv_oai_pmh", "host": services["oai_url"], "extra": "{}"}
    answer = api(services, "POST", "/api/v2/connections/test", body)
    assert answer["status"] is True and answer["message"].startswith(f"{services['oai_url']}: ")
    down = body | {"host": f"http://127.0.0.1:{free_port()}/oai"}
    answer = api(services, "POST", "/api/v2/connections/test", down)
    assert answer["status"] is False and "connection refused" in answer["message"]


def test_5_the_plugin_and_the_dags_load_from_the_package(services: dict[str, Any]) -> None:
    plugins = api(services, "GET", "/api/v2/plugins")
    (plugin,) = [p for p in plugins["plugins"] if p["name"] == "arxiv_labeler"]
    assert "EntryPoint" in plugin["source"] and plugin["fastapi_apps"][0]["url_prefix"] == "/arxiv-labeler"
    assert api(services, "GET", "/api/v2/plugins/importErrors")["import_errors"] == []
    dags = {d["dag_id"]: d for d in api(services, "GET", "/api/v2/dags")["dags"]}
    assert {"arxiv_labeling", "arxiv_label_summary"} <= set(dags)
    assert dags[DAG_ID]["fileloc"].endswith("/dags/arxiv_labeler_dags.py")
    assert api(services, "GET", "/api/v2/importErrors")["import_errors"] == []
    (alert,) = api(services, "GET", f"/ui/dags/{DAG_ID}/deadlineAlerts")["deadline_alerts"]
    assert alert["name"] == "labels_loaded"


def test_6_unpaused_the_scheduled_run_misses_its_deadline_and_it_is_mailed(services: dict[str, Any]) -> None:
    started = time.monotonic()
    api(services, "PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    deadline = time.monotonic() + 120
    while not (
        runs := [r for r in api(services, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns")["dag_runs"] if r["run_type"] == "scheduled"]
    ):
        assert time.monotonic() < deadline, "the scheduler made no run after unpausing"
        time.sleep(2)
    (scheduled,) = runs
    day = (dt.datetime.fromisoformat(scheduled["data_interval_end"]).date() - dt.timedelta(days=1)).isoformat()
    mail = services["sink"].wait_for(lambda m: "not loaded by" in str(m["Subject"]), timeout=180)
    assert mail["Subject"] == f"[arxiv-labeler] arxiv_labeling: labels of {day} not loaded by {services['due']} UTC"
    assert scheduled["dag_run_id"] in body_text(mail)
    assert "could not be read" not in body_text(mail)  # the triggerer read load_warehouse's state through its API
    (recorded,) = api(services, "GET", f"/ui/dags/{DAG_ID}/dagRuns/{scheduled['dag_run_id']}/deadlines")["deadlines"]
    assert recorded["missed"] is True
    wait_for_run(services, scheduled["dag_run_id"])
    assert [str(m["Subject"]) for m in services["sink"].messages].count(str(mail["Subject"])) == 1  # once, not per check
    PHASES["deadline mailed"] = time.monotonic() - started


def test_7_a_refused_run_is_mailed(services: dict[str, Any]) -> None:
    started = time.monotonic()
    conf = {"from_date": "2026-11-20", "until_date": "2026-11-18"}
    run = api(services, "POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf})
    assert wait_for_run(services, run["dag_run_id"])["state"] == "failed"
    mail = services["sink"].wait_for(lambda m: run["dag_run_id"] in body_text(m))
    assert mail["Subject"] == f"[arxiv-labeler] arxiv_labeling: resolve_run failed ({run['dag_run_id']})"
    assert "until_date 2026-11-18 is before from_date 2026-11-20" in body_text(mail)
    assert "/tasks/resolve_run" in body_text(mail)  # the log link, from the api-server's base URL
    PHASES["refused run mailed"] = time.monotonic() - started


def test_8_a_day_with_quality_warnings_is_mailed_and_gets_no_deadline(services: dict[str, Any]) -> None:
    started = time.monotonic()
    # 2026-11-16 is a Monday with no record in the replay data: zero papers on an announcement day warns
    conf = {"from_date": "2026-11-16", "until_date": "2026-11-16"}
    run = api(services, "POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf})
    assert wait_for_run(services, run["dag_run_id"])["state"] == "success"
    mail = services["sink"].wait_for(lambda m: "quality warning for 2026-11-16" in str(m["Subject"]))
    assert mail["Subject"] == "[arxiv-labeler] arxiv_labeling: quality warning for 2026-11-16"
    assert "Checks that warned: empty_announcement_days" in body_text(mail)
    assert api(services, "GET", f"/ui/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/deadlines")["deadlines"] == []  # manual
    PHASES["warning mailed"] = time.monotonic() - started
