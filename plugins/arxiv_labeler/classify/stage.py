"""The classify stage: landed records in, labeled Parquet out, on Spark.

Text is title, a space, abstract (both already whitespace-normalised at
harvest); unchanged text already labeled by the same model is skipped unless
``reclassify``; papers without any text are counted, not classified.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from arxiv_labeler.classify.labeled_columns import OUTPUT_COLUMNS, flatten_class_column
from arxiv_labeler.classify.labeled_output import local_path, staged_write
from arxiv_labeler.classify.landed_papers import LATEST_ROW_FIRST, NO_TEXT_EXAMPLES, PaperCounts
from arxiv_labeler.classify.phases import PhaseClock
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.engines.engine_timings import EngineTimings
from arxiv_labeler.errors import ClassifyJobError, ConfigError, EngineUnavailableError
from arxiv_labeler.harvest.models import PAPER_SCHEMA
from arxiv_labeler.model.archive import ModelArchive
from arxiv_labeler.settings import ENGINES
from arxiv_labeler.spark.failures import describe_spark_failure, jvm_exit_code, jvm_going_away

log = logging.getLogger(__name__)

# A few tasks per core: small enough to balance uneven abstract lengths, large enough to batch well.
PARTITIONS_PER_CORE = 2


class Engine(Protocol):
    """What an engine provides: a name and ``classify`` from papers to ``ENGINE_OUTPUT_SCHEMA`` rows."""

    name: str

    def classify(self, spark: SparkSession, papers: DataFrame) -> DataFrame:
        """Return (arxiv_id, text_sha256, text_source, class) rows for the papers (the same columns and text)."""

    def timings(self) -> EngineTimings | None:
        """Where the engine's time went in the last job over its output, when it measures that."""


def result_without_spark(output_path: str, archive: ModelArchive, counts: PaperCounts) -> ClassifyResult | None:
    """The stage's result when no paper needs the model (an empty day, or every text already labeled), else None.

    A rerun of a labeled day then costs seconds: no Spark session is started.
    """
    if counts.to_classify > 0:
        return None
    reason = "unchanged text" if counts.already_labeled else "no papers to classify"
    log.info(
        "%d papers, %d already labeled by %s, %d without text: nothing to classify",
        counts.papers,
        counts.already_labeled,
        archive.model_id,
        counts.no_text,
    )
    return ClassifyResult(
        output_path, "none", reason, archive.model_id, archive.labels, counts.papers, 0, counts.already_labeled, 0, counts.no_text
    )


def read_landed_records(spark: SparkSession, partitions: Sequence[str]) -> DataFrame:
    """The landed day partitions as a DataFrame, read with the landed schema (no Spark job to infer it from a footer)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return spark.read.schema(from_arrow_schema(PAPER_SCHEMA)).parquet(*partitions)


def papers_to_classify(records: DataFrame, unique_ids: bool = False) -> DataFrame:
    """Records neither deleted nor withdrawn, one per arXiv id, with their text, text source and text hash.

    Of an id landed more than once, the row ``LATEST_ROW_FIRST`` puts first, as ``landed_papers`` counts it;
    ``unique_ids`` (known from the landed Arrow table) spares that shuffle.
    """
    title = F.coalesce(F.col("title"), F.lit(""))
    abstract = F.coalesce(F.col("abstract"), F.lit(""))
    text = F.concat_ws(" ", F.when(title != "", title), F.when(abstract != "", abstract))
    current = records.where(~F.coalesce(F.col("deleted"), F.lit(False)) & ~F.coalesce(F.col("withdrawn"), F.lit(False)))
    if not unique_ids:
        order = [F.col(name).desc_nulls_last() for name, _ in LATEST_ROW_FIRST]
        rank = F.row_number().over(Window.partitionBy("arxiv_id").orderBy(*order))
        current = current.withColumn("_row", rank).where(F.col("_row") == 1)
    return current.select("arxiv_id", "text_sha256", "text_source", text.alias("text"))


def spread_over_cores(papers: DataFrame) -> DataFrame:
    """``papers`` in ``PARTITIONS_PER_CORE`` tasks per core, round robin: every task gets the same number of papers.

    A day's Parquet is one small file, i.e. one partition, so it must be spread for every core to classify.
    Round robin, not by hash: hashing 2,000 ids into 4 tasks left them up to 4% apart, and one core idle
    for the last 4 s of a day (measured by ``make bench``). Spark sorts before a round robin, so a retried
    task gets the same papers.
    """
    partitions = max(1, papers.sparkSession.sparkContext.defaultParallelism * PARTITIONS_PER_CORE)
    return papers.repartition(partitions)


def choose_engine(
    spark: SparkSession, requested: str, archive: ModelArchive, model_zip: Path, model_dir: Path | None, **onnx_options: object
) -> tuple[Engine, str]:
    """The engine to run and why: ``auto`` prefers Spark NLP when its JVM classes load."""
    from arxiv_labeler.engines.onnx_engine import OnnxEngine
    from arxiv_labeler.engines.sparknlp_engine import SparkNlpEngine, sparknlp_available

    if requested not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {requested!r}")
    if requested in ("auto", "sparknlp"):
        available, why = sparknlp_available(spark)
        if available and model_dir is not None:
            return SparkNlpEngine(model_dir), why
        if requested == "sparknlp":
            raise EngineUnavailableError(
                f"engine=sparknlp requested but unavailable: {why}; use engine=onnx or add the Spark NLP jar"
            )
        reason = f"auto: {why}; using onnx"
    else:
        reason = "onnx requested"
    return OnnxEngine(model_zip, archive.sha256, **onnx_options), reason  # type: ignore[arg-type]


def publish_labeled(labeled: DataFrame, output_path: str) -> tuple[int, int]:
    """Write the labeled Parquet beside ``output_path``, then swap it in (see ``labeled_output``).

    A failed, full-disk or killed write never leaves a partial output where the load
    reads; the previous output stays until the new one is complete. The rows are counted
    in the staging directory, before the swap: once published, another run of the same
    interval may replace the output at any time.

    Returns:
        The rows written and how many of them were classified on the title alone.
    """
    target = local_path(output_path)
    if target is None:  # a cluster file system: Spark's own commit protocol
        labeled.write.mode("overwrite").parquet(output_path)
        return _written_counts(labeled.sparkSession, output_path)
    with staged_write(target) as staging:
        labeled.write.parquet(str(staging))
        return _local_written_counts(staging)


@contextmanager
def _failures_explained(spark: SparkSession, output_path: str) -> Iterator[None]:
    """Any failure of the stage's Spark jobs as a ``ClassifyJobError`` naming the cause and the setting to change."""
    try:
        yield
    except Exception as exc:  # Py4J and captured Spark exceptions: the cause is in their text or the JVM's exit code
        jvm_exit = jvm_exit_code(spark, wait_seconds=30.0 if jvm_going_away(spark, exc) else 0.0)
        raise ClassifyJobError(
            f"the classify job failed: {describe_spark_failure(exc, jvm_exit)}; nothing was published at {output_path} "
            "(a partial output is removed)"
        ) from exc


def _local_written_counts(directory: Path) -> tuple[int, int]:
    """Rows and title-only rows of a labeled output on local disk, read back with pyarrow (no Spark job)."""
    text_source = pq.read_table(directory, columns=["text_source"]).column("text_source")
    return len(text_source), int(pc.sum(pc.equal(text_source, "title_only")).as_py() or 0)


def _written_counts(spark: SparkSession, path: str) -> tuple[int, int]:
    """Rows and title-only rows of a written labeled output, read back by Spark (what the load will see)."""
    counts = (
        spark.read.parquet(path)
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.when(F.col("text_source") == "title_only", 1).otherwise(0)).alias("title_only"),
        )
        .first()
    )
    assert counts is not None  # an aggregate always returns one row
    return int(counts["rows"] or 0), int(counts["title_only"] or 0)


def classify_records(
    spark: SparkSession,
    records: DataFrame,
    engine: Engine,
    archive: ModelArchive,
    output_path: str,
    labeled_at: str,
    known: Sequence[tuple[str, str]] = (),
    reclassify: bool = False,
    engine_reason: str = "",
    clock: PhaseClock | None = None,
    counts: PaperCounts | None = None,
) -> ClassifyResult:
    """Classify ``records`` (harvest schema) and write the labeled Parquet to ``output_path``.

    ``counts``: the landed papers' counts (``landed_papers.count_papers``) when the caller holds the
    landed Arrow table; without them a Spark job counts first. ``clock`` (the task's, when it times
    its own phases too) gets ``read_and_count`` and ``classify_and_publish``; the result's
    ``phases`` are the clock's.

    Raises:
        ClassifyJobError: a Spark job failed (or the JVM died), with the cause and the setting to change.
    """
    clock = clock or PhaseClock()
    with _failures_explained(spark, output_path):
        if counts is None:
            counts = _spark_paper_counts(papers_to_classify(records))
        clock.mark("read_and_count")
        candidates = papers_to_classify(records, counts.unique_ids).where(F.col("text_source") != "empty")
        if known and not reclassify:
            known_df = spark.createDataFrame(list(known), "arxiv_id string, text_sha256 string")
            candidates = candidates.join(known_df, ["arxiv_id", "text_sha256"], "left_anti")
        labeled = flatten_class_column(engine.classify(spark, spread_over_cores(candidates)), archive.model_id, labeled_at)
        classified, title_only = publish_labeled(labeled.select(*OUTPUT_COLUMNS), output_path)
    clock.mark("classify_and_publish")
    total, no_text_count = counts.papers, counts.no_text
    skipped = total - no_text_count - classified  # every candidate has one output row, labeled or not
    if no_text_count:
        log.warning(
            "%d papers have neither title nor abstract and were not classified, e.g. %s",
            no_text_count,
            list(counts.no_text_examples),
        )
    timings = engine.timings()
    result = ClassifyResult(
        output_path=output_path,
        engine=engine.name,
        engine_reason=engine_reason,
        model_id=archive.model_id,
        labels=archive.labels,
        papers=total,
        classified=classified,
        skipped_unchanged=skipped,
        title_only=title_only,
        no_text=no_text_count,
        engine_timings=timings.summary() if timings is not None else None,
        phases=dict(clock.phases),
    )
    log.info(
        "classified %d of %d papers with %s (%s); skipped %d unchanged, %d title-only, %d without text; labels %s",
        result.classified,
        total,
        engine.name,
        engine_reason,
        skipped,
        result.title_only,
        no_text_count,
        archive.labels,
    )
    if timings is not None:
        log.info("engine seconds summed over %d tasks: %s", timings.tasks, timings.summary()["seconds"])
    return result


def _spark_paper_counts(papers: DataFrame) -> PaperCounts:
    """``PaperCounts`` of ``papers_to_classify``'s rows by one Spark job (``to_classify`` is not known here)."""
    counts = papers.agg(
        F.count(F.lit(1)).alias("papers"),
        F.sum(F.when(F.col("text_source") == "empty", 1).otherwise(0)).alias("no_text"),
    ).first()
    assert counts is not None  # an aggregate always returns one row
    papers_count, no_text = int(counts["papers"] or 0), int(counts["no_text"] or 0)
    no_text_rows = papers.where(F.col("text_source") == "empty").select("arxiv_id").limit(NO_TEXT_EXAMPLES)
    examples = [r.arxiv_id for r in no_text_rows.collect()] if no_text else []
    return PaperCounts(papers_count, no_text, papers_count - no_text, unique_ids=False, no_text_examples=tuple(examples))
