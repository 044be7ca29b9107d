"""``arxiv-labeler harvest``: whole UTC days of OAI-PMH into Parquet, as the DAG's harvest task does."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.cli.options import iso_date
from arxiv_labeler.errors import ConfigError


def harvest(args: argparse.Namespace) -> int:
    """Harvest ``--from`` .. ``--until`` into ``--out``; print the result as JSON."""
    from tqdm import tqdm

    from arxiv_labeler.harvest.client import oai_client
    from arxiv_labeler.harvest.harvester import Harvester
    from arxiv_labeler.harvest.result import DayResult
    from arxiv_labeler.harvest.taxonomy import validate_set

    if args.until < args.from_date:
        raise ConfigError(f"--until {args.until} is before --from {args.from_date}")
    for spec in args.set or []:
        validate_set(spec)  # arXiv's sets, before any request
    options = {"delay_seconds": args.delay, "max_retries": args.max_retries, "backoff_seconds": args.retry_wait}
    client = oai_client(args.endpoint, options)  # the factory the DAG's OAI hook uses, with the flags as its extras
    # Another endpoint (a mirror, the replay server) is checked against its own ListSets.
    known_sets = frozenset(client.list_sets()) if args.set and client.endpoint != settings.ARXIV_OAI_ENDPOINT else None
    with tqdm(unit=" pages", desc="harvest", disable=args.quiet) as bar:

        def progress(day: DayResult) -> None:
            bar.update(1)
            bar.set_postfix(day=str(day.day))

        harvester = Harvester(
            client, Path(args.out), args.metadata_prefix, args.set or [], on_page=progress, known_sets=known_sets
        )
        result = harvester.harvest(args.from_date, args.until)
    print(json.dumps(result.to_xcom(), indent=2))
    return 0


def register(sub: Any) -> None:
    """Add ``harvest`` to the top-level subparsers."""
    command = sub.add_parser("harvest", help="harvest arXiv OAI-PMH for whole UTC days into Parquet")
    command.add_argument("--from", dest="from_date", required=True, metavar="YYYY-MM-DD", type=iso_date("--from"))
    command.add_argument("--until", required=True, metavar="YYYY-MM-DD", type=iso_date("--until"))
    command.add_argument("--set", action="append", help="OAI set, e.g. cs or physics:astro-ph (repeatable)")
    command.add_argument("--endpoint", help="OAI-PMH base URL (default: arXiv's)")
    command.add_argument("--metadata-prefix", choices=["arXivRaw", "arXiv"], default="arXivRaw")
    command.add_argument("--delay", type=float, help="seconds between requests (>= 3 except on loopback)")
    command.add_argument("--out", required=True)
    command.add_argument("--max-retries", type=int, default=5, help="retries per request after a failure (default 5)")
    command.add_argument("--retry-wait", type=float, default=10.0, help="first wait in seconds, doubled per retry (default 10)")
    command.add_argument("--quiet", action="store_true")
    command.set_defaults(func=harvest)
