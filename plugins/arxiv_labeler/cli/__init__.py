"""``arxiv-labeler`` / ``python -m arxiv_labeler``: every stage runnable outside Airflow.

One module per command group: ``model``, ``classify`` (and ``tokenize``), ``harvest``, ``report``,
``devstack`` (``demo``, ``airflow``, ``oai-replay``) and ``spark`` (``spark-class-archive``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from arxiv_labeler.cli import classify, devstack, harvest, model, report, spark
from arxiv_labeler.errors import ArxivLabelerError


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="arxiv-labeler", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (model, classify, harvest, report, devstack, spark):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, and print any project error as one line (exit 2), never a traceback."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ArxivLabelerError as exc:
        print(f"arxiv-labeler {args.command}: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main"]
