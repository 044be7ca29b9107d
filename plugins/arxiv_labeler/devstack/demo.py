"""``make demo``: the DAG for one day on the local stack, then a short report."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from arxiv_labeler.devstack.dag_runs import PROJECT_ROOT, airflow_env, prepare_airflow_home, run_dag
from arxiv_labeler.devstack.local_stack import LocalStack
from arxiv_labeler.devstack.oai_replay import ReplayArchive
from arxiv_labeler.errors import DevstackError
from arxiv_labeler.warehouse import Warehouse, open_warehouse
from arxiv_labeler.warehouse.report import build_report, render

# The replay data is package data (devstack/replay/): an installed wheel carries it too.
REPLAY_DIR = Path(__file__).resolve().parent / "replay"
DEFAULT_REPLAY_DATA = REPLAY_DIR / "arxiv-2008-11-26.jsonl"  # 276 real papers of one day
DEMO_REPLAY_DATA = REPLAY_DIR / "arxiv-demo.jsonl"  # 24 hand-written records over 2026-11-18..20 (the tests)
DEFAULT_MODEL = PROJECT_ROOT / "data" / "demo-model" / "arxiv_groups_demo.zip"


def _venv_command() -> str:
    """How to call the CLI from the project's venv (a path relative to the working directory when possible)."""
    script = Path(sys.executable).parent / "arxiv-labeler"
    if not script.exists():
        return f"{sys.executable} -m arxiv_labeler"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def print_trust(warehouse: Warehouse, lineage_file: Path) -> None:
    """The run's quality checks, what the confidence policy did, and the lineage events' datasets."""
    _, runs = warehouse.query("SELECT run_id, quality_status FROM arxiv_pipeline_runs ORDER BY finished_at DESC LIMIT 1")
    if runs:
        run_id, status = runs[0]
        _, checks = warehouse.query(
            "SELECT check_name, status, value FROM arxiv_quality_checks WHERE run_id = ? ORDER BY check_name", (run_id,)
        )
        print(f"\nquality ({status}): " + ", ".join(f"{name} {state}" for name, state, _ in checks))
        _, policy = warehouse.query(
            "SELECT count(*) FROM arxiv_paper_labels WHERE run_id = ? AND label = 'unclassified'", (run_id,)
        )
        print(f"confidence policy: {policy[0][0]} papers unclassified (params min_score / label_thresholds; default 0)")
    if lineage_file.exists():
        events = [json.loads(line) for line in lineage_file.read_text().splitlines() if line.strip()]
        named = sorted(
            {
                f"{d['namespace']}/{d['name']}"
                for e in events
                if e.get("eventType") == "COMPLETE"
                for d in (e.get("inputs") or []) + (e.get("outputs") or [])
            }
        )
        print(f"lineage: {len(events)} OpenLineage events in {lineage_file}; datasets: {', '.join(named)}")


def run_demo(args: argparse.Namespace) -> int:
    """Start S3 + OAI replay, run the DAG for the day through Airflow, print labels per group, stop."""
    replay_data = Path(args.replay_data) if args.replay_data else DEFAULT_REPLAY_DATA
    model = Path(args.model) if args.model else DEFAULT_MODEL
    if not model.exists():
        raise DevstackError(f"model zip {model} not found: run `make demo-model` first, or pass --model")
    days = ReplayArchive.from_file(replay_data).days_with_records()
    day = args.day or days[-1]
    data_dir = Path(args.data_dir).resolve()
    print(f"demo: labeling {day} from {replay_data} with {model.name}")
    with LocalStack(model, replay_data) as stack, tempfile.TemporaryDirectory(prefix="arxiv-airflow-") as home:
        lineage_file = data_dir / "lineage.jsonl"
        lineage_file.unlink(missing_ok=True)
        lineage = {  # Airflow's OpenLineage provider, with the file transport: the events of this run
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "log_file_path": str(lineage_file), "append": True}),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "arxiv-labeler-demo",
        }
        env = airflow_env(Path(home), stack.env(data_dir) | lineage)
        print(f"demo: local S3 at {stack.s3_endpoint}, OAI-PMH replay at {stack.oai.url if stack.oai else ''}")
        prepare_airflow_home(env)
        log_file = data_dir / "logs" / f"{day}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text("")
        result = run_dag(env, day, log_file=log_file)
    if result.returncode != 0 or "state=success" not in result.stdout:
        print(f"demo: the DAG run failed; see {log_file}")
        return 1
    warehouse_file = data_dir / "warehouse.duckdb"
    warehouse = open_warehouse(f"duckdb://{warehouse_file}")
    print(render(build_report(warehouse, day, day)))
    print_trust(warehouse, lineage_file)
    cli = _venv_command()
    print(f"\nwarehouse: {warehouse_file}")
    print("query it:")
    print(f"  {cli} report --warehouse duckdb://{warehouse_file} --from {day} --until {day}")
    print(f"  {cli} report --warehouse duckdb://{warehouse_file} --format csv > labels.csv")
    query = "SELECT label, count(*) FROM arxiv_current_labels GROUP BY 1"
    print(f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{warehouse_file}', read_only=True).sql('{query}'))\"")
    print(f"Airflow log: {log_file}")
    return 0
