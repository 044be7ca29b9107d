"""The errors a user can cause and fix: the CLI prints these as one line, never a traceback."""

from __future__ import annotations

from arxiv_labeler.harvest.exceptions import HarvestError
from arxiv_labeler.harvest.kaggle import SnapshotError
from arxiv_labeler.local_airflow import LocalAirflowError
from arxiv_labeler.model.archive import ModelArchiveError
from arxiv_labeler.model.extract import UnsafeArchiveError
from arxiv_labeler.model.fetch import ModelFetchError
from arxiv_labeler.run_config import RunConfigError
from arxiv_labeler.warehouse.duckdb_store import WarehouseFileError

USER_ERRORS: tuple[type[Exception], ...] = (
    ModelArchiveError,
    UnsafeArchiveError,
    ModelFetchError,
    HarvestError,
    SnapshotError,
    RunConfigError,
    LocalAirflowError,
    WarehouseFileError,
    FileNotFoundError,
    ValueError,
)
