"""``arxiv-labeler report``: labels per day and group, quality checks, models compared, labels against authors'."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.cli.options import iso_date


def _score(value: str) -> float:
    """An argparse type: a score in [0, 1]."""
    try:
        score = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--proposal-score must be a number in [0, 1], got {value!r}") from None
    if not 0.0 <= score <= 1.0:
        raise argparse.ArgumentTypeError(f"--proposal-score must be in [0, 1], got {value}")
    return score


def report(args: argparse.Namespace) -> int:
    """Print the report the options ask for."""
    from arxiv_labeler.warehouse import open_warehouse
    from arxiv_labeler.warehouse.report import build_report, render

    warehouse = open_warehouse(args.warehouse or settings.default_warehouse_url())
    warehouse.migrate()
    if args.quality:
        from arxiv_labeler.quality.checks import RECENT_CHECKS

        _, rows = warehouse.query(RECENT_CHECKS, (args.limit,))
        print(f"{'run':<48}{'days':<24}{'check':<26}{'status':<7}{'value':>10}{'threshold':>11}  detail")
        for run_id, first, last, check, value, threshold, status, detail in rows:
            shown = "" if value is None else f"{value:.4g}"
            limit = "" if threshold is None else f"{threshold:.4g}"
            print(f"{run_id:<48}{f'{first}..{last}':<24}{check:<26}{status:<7}{shown:>10}{limit:>11}  {detail}")
        return 0
    if args.disagreements:
        from arxiv_labeler.quality.categories import label_disagreements, render_disagreements

        found = label_disagreements(warehouse, args.model, args.from_date, args.until, args.proposal_score)
        print(render_disagreements(found, args.format, args.proposal_score))
        return 0
    if args.agreement:
        from arxiv_labeler.quality.categories import category_agreement_per_day, render_agreement

        agreement = category_agreement_per_day(warehouse, args.model, args.from_date, args.until, by_group=args.by_group)
        print(render_agreement(agreement, args.format))
        return 0
    if args.compare_models:
        from arxiv_labeler.quality.comparison import compare_models

        comparison = compare_models(warehouse, args.compare_models[0], args.compare_models[1], args.from_date, args.until)
        print(comparison.render())
        if args.changed_csv:
            comparison.write_changed_csv(Path(args.changed_csv))
            print(f"changed papers written to {args.changed_csv}")
        return 0
    print(render(build_report(warehouse, args.from_date, args.until), args.format))
    return 0


def register(sub: Any) -> None:
    """Add ``report`` to the top-level subparsers."""
    command = sub.add_parser("report", help="papers and labels per day and group; models in use")
    command.add_argument("--warehouse", help="duckdb:///path or postgresql://... (default: the DAG's DuckDB file)")
    command.add_argument("--from", dest="from_date", metavar="YYYY-MM-DD", type=iso_date("--from"))
    command.add_argument("--until", metavar="YYYY-MM-DD", type=iso_date("--until"))
    command.add_argument("--format", choices=["table", "csv", "json"], default="table")
    command.add_argument("--quality", action="store_true", help="the data-quality checks of recent runs")
    command.add_argument("--limit", type=int, default=50, help="with --quality: how many check rows (default 50)")
    command.add_argument(
        "--compare-models", nargs=2, metavar=("MODEL_A", "MODEL_B"), help="agreement, per group, confusion matrix"
    )
    command.add_argument("--changed-csv", metavar="PATH", help="with --compare-models: the papers whose label changed")
    command.add_argument(
        "--agreement", action="store_true", help="labels against the authors' primary categories, per day (see --by-group)"
    )
    command.add_argument("--by-group", action="store_true", help="with --agreement: per day and primary group")
    command.add_argument(
        "--disagreements",
        action="store_true",
        help="papers labeled other than their author's primary group or category, with both scores",
    )
    command.add_argument("--model", metavar="MODEL_ID", help="with --agreement/--disagreements: default the newest model")
    command.add_argument(
        "--proposal-score",
        type=_score,
        default=settings.RECLASSIFICATION_SCORE,
        metavar="SCORE",
        help=f"with --disagreements: flag a proposal at this top score or above (arXiv's: {settings.RECLASSIFICATION_SCORE})",
    )
    command.set_defaults(func=report)
