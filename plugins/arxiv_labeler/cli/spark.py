"""``arxiv-labeler spark-class-archive``: record the Spark driver's classes once so later drivers start faster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def record_class_archive(args: argparse.Namespace) -> int:
    """Record the archive (``make venv`` and the image build run this)."""
    from arxiv_labeler.spark.class_archive import build_class_archive, default_archive_path

    target = Path(args.output) if args.output else default_archive_path()
    if target is None:
        print("the class archive is turned off (ARXIV_LABELER_SPARK_CLASS_ARCHIVE is empty)", file=sys.stderr)
        return 1
    if target.is_file() and not args.force:
        print(f"{target} (already there; --force records it again)")
        return 0
    print(build_class_archive(target))
    return 0


def register(sub: Any) -> None:
    """Add ``spark-class-archive`` to the top-level subparsers."""
    command = sub.add_parser(
        "spark-class-archive", help="record the Spark driver's classes once so later drivers start faster (make venv)"
    )
    command.add_argument("--output", help="archive path (default: this JDK's and PySpark's, under ~/.cache/arxiv-labeler)")
    command.add_argument("--force", action="store_true", help="record again even if the archive exists")
    command.set_defaults(func=record_class_archive)
