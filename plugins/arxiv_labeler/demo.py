"""``make demo``: the DAG for one day on the local stack, then a short report."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from arxiv_labeler.dag_runs import PROJECT_ROOT, airflow_env, prepare_airflow_home, run_dag
from arxiv_labeler.harvest.replay_server import ReplayArchive
from arxiv_labeler.local_stack import LocalStack
from arxiv_labeler.warehouse import open_warehouse
from arxiv_labeler.warehouse.report import build_report, render

DEFAULT_REPLAY_DATA = PROJECT_ROOT / "include" / "replay" / "arxiv-2008-11-26.jsonl"
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


def run_demo(args: argparse.Namespace) -> int:
    """Start S3 + OAI replay, run the DAG for the day through Airflow, print labels per group, stop."""
    replay_data = Path(args.replay_data) if args.replay_data else DEFAULT_REPLAY_DATA
    model = Path(args.model) if args.model else DEFAULT_MODEL
    if not model.exists():
        raise FileNotFoundError(f"model zip {model} not found: run `make demo-model` first, or pass --model")
    days = ReplayArchive.from_file(replay_data).days_with_records()
    day = args.day or days[-1]
    data_dir = Path(args.data_dir).resolve()
    print(f"demo: labeling {day} from {replay_data} with {model.name}")
    with LocalStack(model, replay_data) as stack, tempfile.TemporaryDirectory(prefix="arxiv-airflow-") as home:
        env = airflow_env(Path(home), stack.env(data_dir))
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
    print(render(build_report(open_warehouse(f"duckdb://{warehouse_file}"), day, day)))
    cli = _venv_command()
    print(f"\nwarehouse: {warehouse_file}")
    print("query it:")
    print(f"  {cli} report --warehouse duckdb://{warehouse_file} --from {day} --until {day}")
    print(f"  {cli} report --warehouse duckdb://{warehouse_file} --format csv > labels.csv")
    query = "SELECT label, count(*) FROM arxiv_current_labels GROUP BY 1"
    print(f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{warehouse_file}', read_only=True).sql('{query}'))\"")
    print(f"Airflow log: {log_file}")
    return 0
