"""Every setting of arxiv-labeler: production defaults, the variables that override them, the one day parser.

Imports nothing of the project, so every module may import it. The ``ARXIV_LABELER_*``
variables are all named here, with the default each overrides. With no override set, the
pipeline talks to the real arXiv OAI-PMH endpoint, reads the published model zip anonymously
from S3, runs Spark locally and writes a DuckDB file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

# The production endpoints.
ARXIV_OAI_ENDPOINT = "https://oaipmh.arxiv.org/oai"
PUBLISHED_MODEL_URI = "s3://auxdata.johnsnowlabs.com/public/models/arxiv_classifier_en_5.5.1_3.0_1744125685973.zip"
MIN_OAI_DELAY_SECONDS = 3.0  # arXiv's etiquette between two requests (loopback test servers may go faster)

# Airflow connection ids the operators look up; each is optional (see README: Configuration).
MODEL_S3_CONN_ID = "arxiv_models_s3"  # absent: anonymous reads of a public bucket
OAI_CONN_ID = "arxiv_oai"  # absent: the real arXiv endpoint
WAREHOUSE_CONN_ID = "arxiv_warehouse"  # absent: DuckDB file under the data dir
SPARK_CONN_ID = "arxiv_spark"  # absent: local[*]
ALERT_SMTP_CONN_ID = "smtp_default"  # the alerts' mail server (Airflow's SMTP provider); ARXIV_LABELER_ALERT_SMTP_CONN_ID

# The provider's own connection types (forms with the extras as fields). The hooks also accept the older
# types: arxiv_oai may stay an `http` connection and arxiv_spark a `spark` one.
OAI_CONN_TYPE = "arxiv_oai_pmh"
SPARK_CONN_TYPE = "arxiv_labeler_spark"

# The harvest's pool: one slot, so concurrent runs never open two connections to arXiv.
OAI_POOL = "arxiv_oai"
OAI_POOL_SLOTS = 1
OAI_POOL_DESCRIPTION = "one connection to arXiv OAI-PMH at a time"

# What a run can choose (the DAG's params, the CLI's options).
ENGINES = ("auto", "onnx", "sparknlp")
QUANTIZE_MODES = ("none", "int8", "auto")  # auto: int8 where it keeps fp32's labels on a calibration sample
GRAPH_QUANTIZATIONS = ("none", "int8")  # the graphs a worker runs: auto is decided (at fetch) to one of these
DEFAULT_ENGINE = "auto"
DEFAULT_QUANTIZE = "auto"
INT8_MIN_AGREEMENT = 0.995  # auto runs int8 only when it gives fp32's label to this share of the calibration papers
CALIBRATION_SAMPLE_NAME = "arxiv-2008-11-26.jsonl"  # the shipped sample: 276 real papers of one day (devstack/replay)
DRIFT_WARN = 0.25  # Jensen-Shannon distance of a day's labels to its trailing history: warn above
DRIFT_FAIL = 0.5  # ... and fail above
CATEGORY_AGREEMENT_WARN = 0.8  # share of a run's labels matching the authors' primary group or category: warn below
CATEGORY_AGREEMENT_FAIL = 0.6  # ... and fail below (labels in the wrong order, a model for another taxonomy)
RECLASSIFICATION_SCORE = 0.57  # arXiv proposes a reclassification when its classifier's top score is at least this

# The environment variables, each with the default it overrides.
ENV_DATA_DIR = "ARXIV_LABELER_DATA_DIR"  # $AIRFLOW_HOME/arxiv-labeler
ENV_MODEL_URI = "ARXIV_LABELER_MODEL_URI"  # PUBLISHED_MODEL_URI
ENV_WAREHOUSE_URL = "ARXIV_LABELER_WAREHOUSE_URL"  # duckdb://<data dir>/warehouse.duckdb
ENV_TASK_RETRIES = "ARXIV_LABELER_TASK_RETRIES"  # 3
ENV_CLASSIFY_TIMEOUT_MINUTES = "ARXIV_LABELER_CLASSIFY_TIMEOUT_MINUTES"  # 240
ENV_SPARK_CLASS_ARCHIVE = "ARXIV_LABELER_SPARK_CLASS_ARCHIVE"  # ~/.cache/arxiv-labeler/spark-<version>-<key>.jsa
ENV_SQL_DIR = "ARXIV_LABELER_SQL_DIR"  # warehouse/sql inside the package
ENV_ALERT_EMAIL = "ARXIV_LABELER_ALERT_EMAIL"  # unset: no mail (alerts are logged only)
ENV_ALERT_FROM = "ARXIV_LABELER_ALERT_FROM"  # the SMTP connection's from_email
ENV_ALERT_SMTP_CONN_ID = "ARXIV_LABELER_ALERT_SMTP_CONN_ID"  # smtp_default
ENV_ALERT_NOTIFIER = "ARXIV_LABELER_ALERT_NOTIFIER"  # unset: mail; else module.function returning any Airflow notifier
ENV_DEADLINE_UTC = "ARXIV_LABELER_DEADLINE_UTC"  # 09:00; empty: no deadline alert
ENV_CALIBRATION_SAMPLE = "ARXIV_LABELER_CALIBRATION_SAMPLE"  # devstack/replay/arxiv-2008-11-26.jsonl in the package

DEFAULT_TASK_RETRIES = 3
DEFAULT_CLASSIFY_TIMEOUT_MINUTES = 240.0  # a day takes minutes, a month's backfill about an hour
DEFAULT_DEADLINE_UTC = "09:00"  # the day's labels are due 3 h after the 06:00 UTC run starts
SCHEDULE_TIME_UTC = dt.time(6, 0)  # when the scheduled run of a day starts (the DAG's cron 0 6 * * *)

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def data_dir() -> Path:
    """Where caches, landed data and the DuckDB file live."""
    configured = os.environ.get(ENV_DATA_DIR)
    if configured:
        return Path(configured)
    airflow_home = os.environ.get("AIRFLOW_HOME", str(Path.home() / "airflow"))
    return Path(airflow_home) / "arxiv-labeler"


def default_model_uri() -> str:
    """The model zip the DAG uses by default (``ARXIV_LABELER_MODEL_URI`` or the published one)."""
    return os.environ.get(ENV_MODEL_URI, PUBLISHED_MODEL_URI)


def default_warehouse_url() -> str:
    """The warehouse URL when no connection is set (``ARXIV_LABELER_WAREHOUSE_URL`` or DuckDB)."""
    return os.environ.get(ENV_WAREHOUSE_URL, f"duckdb://{data_dir() / 'warehouse.duckdb'}")


def task_retries() -> int:
    """Retries of the network-facing tasks (``ARXIV_LABELER_TASK_RETRIES``; 0 lets local runs fail at once)."""
    return int(os.environ.get(ENV_TASK_RETRIES, str(DEFAULT_TASK_RETRIES)))


def classify_timeout() -> dt.timedelta:
    """The classify task's ``execution_timeout``: a stuck Spark job must not hold a worker slot for ever."""
    return dt.timedelta(minutes=float(os.environ.get(ENV_CLASSIFY_TIMEOUT_MINUTES, str(DEFAULT_CLASSIFY_TIMEOUT_MINUTES))))


def spark_class_archive_override() -> str | None:
    """``ARXIV_LABELER_SPARK_CLASS_ARCHIVE`` as set (empty turns the archive off), or None when unset."""
    return os.environ.get(ENV_SPARK_CLASS_ARCHIVE)


def sparknlp_jar_cache_dir() -> Path:
    """Where Spark NLP's jar fetched from ``sparknlp_jar_uri`` is kept, once per ETag."""
    return data_dir() / "jars"


def alert_recipients() -> tuple[str, ...]:
    """``ARXIV_LABELER_ALERT_EMAIL``: the addresses alerts are mailed to (comma-separated); empty: no mail."""
    return tuple(address.strip() for address in os.environ.get(ENV_ALERT_EMAIL, "").split(",") if address.strip())


def alert_sender() -> str | None:
    """``ARXIV_LABELER_ALERT_FROM``, or None: the SMTP connection's ``from_email`` then."""
    return os.environ.get(ENV_ALERT_FROM) or None


def alert_smtp_conn_id() -> str:
    """``ARXIV_LABELER_ALERT_SMTP_CONN_ID``: the SMTP connection the alert mails go through."""
    return os.environ.get(ENV_ALERT_SMTP_CONN_ID) or ALERT_SMTP_CONN_ID


def alert_notifier_path() -> str | None:
    """``ARXIV_LABELER_ALERT_NOTIFIER``: ``module.function`` that makes the notifier for an alert, or None (mail)."""
    return os.environ.get(ENV_ALERT_NOTIFIER) or None


def deadline_utc() -> dt.time | None:
    """``ARXIV_LABELER_DEADLINE_UTC``: when a day's labels must be loaded, the next day in UTC; None when set empty.

    Raises:
        ValueError: not ``HH:MM``, or not after the scheduled run's start (06:00 UTC): such a deadline would pass
            before the run begins, every day.
    """
    value = os.environ.get(ENV_DEADLINE_UTC, DEFAULT_DEADLINE_UTC).strip()
    if not value:
        return None
    try:
        deadline = dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{ENV_DEADLINE_UTC} must be a UTC time HH:MM such as 09:00, got {value!r}") from None
    if deadline <= SCHEDULE_TIME_UTC:
        raise ValueError(
            f"{ENV_DEADLINE_UTC}={value} is not after {SCHEDULE_TIME_UTC:%H:%M} UTC, when the scheduled run starts: "
            "set a later time (the day's labels are due that time the next day), or empty to turn the alert off"
        )
    return deadline


def sql_dir() -> Path:
    """The versioned DDL: ``warehouse/sql`` in the package (package data: a wheel has it), or ``ARXIV_LABELER_SQL_DIR``."""
    override = os.environ.get(ENV_SQL_DIR)
    return Path(override) if override else Path(__file__).resolve().parent / "warehouse" / "sql"


def calibration_sample_path() -> Path:
    """The shipped calibration sample of ``quantize=auto`` (a model zip may carry its own, which wins).

    The 276 real papers of 2008-11-26 the package carries (``devstack/replay``, Kaggle-snapshot JSONL: the
    demo's replay data too), or ``ARXIV_LABELER_CALIBRATION_SAMPLE``.
    """
    override = os.environ.get(ENV_CALIBRATION_SAMPLE)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "devstack" / "replay" / CALIBRATION_SAMPLE_NAME


def parse_day(value: str, name: str) -> dt.date:
    """A UTC day written ``YYYY-MM-DD`` (``2011-2-3`` and ``2011-02-30`` are refused).

    Raises:
        ValueError: naming ``name`` (the param, option or query parameter) and the value.
    """
    if not _DAY.match(value):
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not a real date: {value!r}") from None
