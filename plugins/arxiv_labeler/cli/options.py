"""Arguments several command groups share: days, and a model given as a path or an ``s3://`` URI."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from arxiv_labeler import settings


def iso_date(option: str) -> Callable[[str], dt.date]:
    """An argparse type for ``option``: a real date written ``YYYY-MM-DD`` (``2011-2-3`` is refused)."""

    def parse(value: str) -> dt.date:
        try:
            return settings.parse_day(value, option)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def model_path(value: str, cache: Path | None = None) -> Path:
    """A local zip or directory as given, or an ``s3://`` URI fetched through the model cache.

    The S3 client is the one the DAG's hook builds without a connection: signed when the
    environment has AWS credentials, anonymous otherwise.
    """
    if not value.startswith("s3://"):
        return Path(value)
    from arxiv_labeler.hooks.model_store import ModelStoreHook
    from arxiv_labeler.model.fetch import ModelFetcher

    fetched = ModelFetcher(ModelStoreHook(aws_conn_id=None).get_client(), cache or settings.data_dir() / "models").fetch(value)
    return Path(fetched.zip_path)


def int8_decisions_dir(value: str, model: Path) -> Path | None:
    """Where quantize=auto's decision for ``model`` is kept: an ``s3://`` model's cache entry, as the DAG's fetch does.

    None for a local zip or directory, which is measured each time (no cache beside the user's files).
    """
    if not value.startswith("s3://"):
        return None
    from arxiv_labeler.model.fetch import INT8_DECISIONS

    return model.parent / INT8_DECISIONS
