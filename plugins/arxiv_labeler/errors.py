"""Every error arxiv-labeler raises, under one root; catch by category.

::

    ArxivLabelerError                  the root: the CLI prints it as one line and exits 2
    +-- PermanentError                 the mark of an error a retry cannot fix: the task fails without retries
    +-- ConfigError [P]                a param, option, URI or connection that is unusable as given
    |   +-- RunConfigError [P]         the run's params or data interval (``run/config.py``)
    +-- ModelError                     the model zip
    |   +-- ModelArchiveError [P]      not a usable Spark NLP DistilBertForSequenceClassification
    |   |   +-- SequenceFileError [P], JavaSerializationError [P]   its ``fields/*`` files
    |   +-- UnsafeArchiveError [P]     an entry that could escape the target or exhaust the disk
    |   +-- ModelFetchError            S3 unreachable, denied, missing; a cut download; an unwritable cache
    |       +-- ObjectChangedError     an S3 object replaced between HEAD and GET (fetched again; object_cache.py)
    +-- HarvestError                   OAI-PMH (``harvest/exceptions.py``: one class per OAI error code [P],
    |   |                              OaiHttpError, MalformedResponse)
    |   +-- SnapshotError [P]          a Kaggle-snapshot JSONL that cannot be read
    +-- ClassifyError                  the classify stage
    |   +-- ClassifyJobError           a Spark job failed (the cause and the setting to change in the message)
    |   +-- EngineUnavailableError [P] engine=sparknlp without Spark NLP's jar
    |   +-- LabeledOutputMissingError [P]  the load finds no labeled output where classify published it
    |   +-- SparkSessionError          a session on another master already runs in this process
    |   +-- SparkNlpJarFetchError      the jar at ``sparknlp_jar_uri``: S3 unreachable, denied, missing; a cut download
    +-- WarehouseError                 the warehouse
    |   +-- WarehouseFileError         a DuckDB file the load cannot use
    |   |   +-- CorruptWarehouseFileError [P]  not a database (truncated, overwritten): never replaced by a new one
    |   |   +-- WarehouseLockedError   held by another writer past the lock timeout
    |   +-- WarehouseUnavailableError  the labels page cannot read it now (it answers 503)
    |   |   +-- WarehouseBusyError     a read while a load holds the DuckDB file
    |   +-- WarehouseConnectionError   PostgreSQL lost or unreachable (a retry is safe)
    +-- QualityCheckFailedError [P]    a data-quality check failed (the load stays committed)
    +-- ParquetFileError [P]           a landed or labeled Parquet file that cannot be read (re-run the task that wrote it)
    +-- ConfigError [P] subclasses in ui/: ParameterError (a query parameter: 400), CursorError (a page cursor)
    +-- DevstackError                  the local development stack (``devstack/``)

``[P]``: subclasses :class:`PermanentError`. Project errors keep the built-in base they had
(``ValueError`` for bad input, ``RuntimeError`` for failures), so ``except ValueError`` still works.
"""

from __future__ import annotations


class ArxivLabelerError(Exception):
    """The root of every error this project raises; its message names the object, the problem and the fix."""


class PermanentError(ArxivLabelerError):
    """Marks an error that a retry of the same task cannot fix (bad input, not a passing failure)."""


class ConfigError(PermanentError, ValueError):
    """A param, option, URI or connection setting that is unusable as given."""


class RunConfigError(ConfigError):
    """The run's params or interval are unusable; the message says what to set."""


class ModelError(ArxivLabelerError):
    """Base of the model zip's errors."""


class ModelArchiveError(ModelError, PermanentError, ValueError):
    """The model is not a Spark NLP DistilBertForSequenceClassification this project can run."""


class SequenceFileError(ModelArchiveError):
    """A ``fields/*`` file is not a Hadoop SequenceFile of the expected kind, or is truncated."""


class JavaSerializationError(ModelArchiveError):
    """A ``fields/*`` value is not the Java-serialized ``Tuple2[]`` Spark NLP writes."""


class UnsafeArchiveError(ModelError, PermanentError, ValueError):
    """The zip holds an entry that could escape the target directory or exhaust the disk."""


class ModelFetchError(ModelError, RuntimeError):
    """The object could not be fetched or did not verify."""


class ObjectChangedError(ModelFetchError):
    """The object was replaced between HEAD and GET (its ETag no longer matches)."""


class HarvestError(ArxivLabelerError, RuntimeError):
    """Base of everything the harvest raises (the OAI-PMH subtree is in ``harvest/exceptions.py``)."""


class SnapshotError(HarvestError, PermanentError, ValueError):
    """A Kaggle-snapshot JSONL file that cannot be read (names the file and line)."""


class ClassifyError(ArxivLabelerError, RuntimeError):
    """Base of the classify stage's errors."""


class ClassifyJobError(ClassifyError):
    """The Spark job failed; nothing was published at the output path."""


class EngineUnavailableError(ClassifyError, PermanentError):
    """The requested engine cannot run here (``sparknlp`` without Spark NLP's jar)."""


class LabeledOutputMissingError(ClassifyError, PermanentError):
    """The labeled output classify reported is not there any more: classify must run again."""


class SparkSessionError(ClassifyError):
    """A Spark session this process cannot use (another master already runs in it)."""


class SparkNlpJarFetchError(ClassifyError):
    """Spark NLP's jar could not be fetched from ``sparknlp_jar_uri`` or did not verify (nothing cached)."""


class WarehouseError(ArxivLabelerError, RuntimeError):
    """Base of the warehouse's errors."""


class WarehouseFileError(WarehouseError):
    """A DuckDB warehouse file the load cannot use; the message says what to do."""


class CorruptWarehouseFileError(WarehouseFileError, PermanentError):
    """A DuckDB warehouse file that is not a database (truncated, overwritten); never replaced by a new one."""


class WarehouseLockedError(WarehouseFileError):
    """A DuckDB warehouse file stayed locked by another process past the lock timeout."""


class WarehouseUnavailableError(WarehouseError):
    """The warehouse cannot be read right now; the labels page says to retry (503 with Retry-After)."""


class WarehouseBusyError(WarehouseUnavailableError):
    """The DuckDB file is locked by a writer (a load in progress); a reader retries in a moment."""


class WarehouseConnectionError(WarehouseError):
    """The connection to PostgreSQL failed or was lost; the transaction did not complete."""


class ParquetFileError(PermanentError, ValueError):
    """A Parquet file a stage wrote cannot be read (names the file): the task that wrote it must run again."""


class QualityCheckFailedError(PermanentError):
    """A data-quality check failed; the load it checked stays committed."""


class DevstackError(ArxivLabelerError, RuntimeError):
    """The local development stack would not start; the message says what to do."""
