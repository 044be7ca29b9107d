"""``arxiv-labeler demo | airflow | oai-replay``: the local development stack (``devstack/``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from arxiv_labeler.cli.options import iso_date


def demo(args: argparse.Namespace) -> int:
    """The DAG for one day on the local stack (``make demo``)."""
    from arxiv_labeler.devstack.demo import run_demo

    return run_demo(args)


def airflow(args: argparse.Namespace) -> int:
    """The real Airflow services and the local stack in the foreground (``make airflow``)."""
    from arxiv_labeler.devstack.airflow_services import run_foreground
    from arxiv_labeler.devstack.demo import DEFAULT_MODEL, DEFAULT_REPLAY_DATA

    return run_foreground(
        Path(args.data_dir),
        Path(args.model) if args.model else DEFAULT_MODEL,
        Path(args.replay_data) if args.replay_data else DEFAULT_REPLAY_DATA,
        port=args.port,
    )


def oai_replay(args: argparse.Namespace) -> int:
    """Serve a Kaggle-snapshot JSONL as an OAI-PMH endpoint until Ctrl-C."""
    from arxiv_labeler.devstack.oai_replay import Faults, OaiReplayServer, ReplayArchive

    faults = Faults(status_503_on=set(args.fail_503_on or []), status_429_on=set(args.fail_429_on or []))
    server = OaiReplayServer(ReplayArchive.from_file(Path(args.data)), port=args.port, page_size=args.page_size, faults=faults)
    server.start()
    print(f"OAI-PMH replay of {args.data} at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


def register(sub: Any) -> None:
    """Add ``demo``, ``airflow`` and ``oai-replay`` to the top-level subparsers."""
    command = sub.add_parser("demo", help="run the DAG for one day on the local stack (what `make demo` runs)")
    command.add_argument(
        "--day", type=iso_date("--day"), help="YYYY-MM-DD (default: the latest day with records in the replay data)"
    )
    command.add_argument(
        "--replay-data", help="Kaggle-snapshot JSONL (default: the package's replay/arxiv-2008-11-26.jsonl, 276 real papers)"
    )
    command.add_argument("--model", help="model zip to serve from the local S3 (default: the demo model)")
    command.add_argument("--data-dir", default="data/demo")
    command.set_defaults(func=demo)

    command = sub.add_parser("airflow", help="the real Airflow services + local stack in the foreground (`make airflow`)")
    command.add_argument("--port", type=int, default=8080, help="api-server port on 127.0.0.1 (default 8080)")
    command.add_argument("--model", help="model zip to serve from the local S3 (default: the demo model)")
    command.add_argument("--replay-data", help="Kaggle-snapshot JSONL served over OAI-PMH (default: the real 2008-11-26 slice)")
    command.add_argument("--data-dir", default="data/airflow", help="AIRFLOW_HOME, warehouse and landing (reused)")
    command.set_defaults(func=airflow)

    command = sub.add_parser("oai-replay", help="serve a Kaggle-snapshot JSONL as a local OAI-PMH endpoint")
    command.add_argument("--data", required=True)
    command.add_argument("--port", type=int, default=8008)
    command.add_argument("--page-size", type=int, default=100)
    command.add_argument("--fail-503-on", type=int, action="append", metavar="N", help="answer request N with 503 + Retry-After")
    command.add_argument("--fail-429-on", type=int, action="append", metavar="N")
    command.set_defaults(func=oai_replay)
