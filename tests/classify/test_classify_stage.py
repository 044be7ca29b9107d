"""The classify stage on local Spark: Spark NLP's output schema, skipping, title-only and empty papers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from arxiv_labeler.classify.labeled_columns import OUTPUT_COLUMNS, flatten_class_column
from arxiv_labeler.classify.landed_papers import count_papers, latest_row_per_id
from arxiv_labeler.classify.stage import (
    PARTITIONS_PER_CORE,
    choose_engine,
    classify_records,
    papers_to_classify,
    spread_over_cores,
)
from arxiv_labeler.engines.engine_timings import STEPS
from arxiv_labeler.engines.onnx_engine import OnnxEngine
from arxiv_labeler.engines.schema import CLASS_COLUMN_TYPE
from arxiv_labeler.harvest.models import PaperRecord, records_table
from arxiv_labeler.model.archive import ModelArchive

pytestmark = [pytest.mark.spark, pytest.mark.slow]
DAY = dt.date(2026, 11, 20)
LABELED_AT = "2026-11-21T06:00:00+00:00"


def records(tmp_path: Path) -> str:
    papers = [
        PaperRecord("2611.00001", DAY, 1, DAY, DAY, "Deep learning networks", "We show a graph model."),
        PaperRecord("2611.00002", DAY, 2, DAY, DAY, "Quantum field theory", "Electrons spin.\x07 In a stable state."),
        PaperRecord("2611.00003", DAY, 1, DAY, DAY, "A title only paper", ""),
        PaperRecord("2611.00004", DAY, 1, DAY, DAY, "", ""),
        PaperRecord("0704.0010", DAY, 1, DAY, DAY, "Old style id", "Numbers 3.14 and e-mail."),
        PaperRecord("2611.00005", DAY, deleted=True),
    ]
    path = tmp_path / "records.parquet"
    pq.write_table(records_table(papers, DAY, DAY, DAY), path)
    return str(path)


def test_output_contract_and_counts(spark, tiny_zip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = ModelArchive.open(tiny_zip)
    engine = OnnxEngine(tiny_zip, archive.sha256, threads_per_task=1)
    result = classify_records(
        spark, spark.read.parquet(records(tmp_path)), engine, archive, str(tmp_path / "out"), "2026-11-21T06:00:00+00:00"
    )
    assert (result.papers, result.classified, result.title_only, result.no_text, result.skipped_unchanged) == (5, 4, 1, 1, 0)
    out = spark.read.parquet(str(tmp_path / "out"))
    assert out.columns == OUTPUT_COLUMNS
    # Parquet drops nullability on read; the types are Spark NLP's Annotation struct exactly.
    assert (
        out.schema["class"].dataType.simpleString()
        == CLASS_COLUMN_TYPE.simpleString()
        == (
            "array<struct<annotatorType:string,begin:int,end:int,result:string,metadata:map<string,string>,embeddings:array<float>>>"
        )
    )
    rows = {r.arxiv_id: r for r in out.collect()}
    assert set(rows) == {"2611.00001", "2611.00002", "2611.00003", "0704.0010"}  # id stays a string
    row = rows["2611.00001"]
    (annotation,) = row["class"]
    assert annotation.annotatorType == "category" and annotation.begin == 0
    assert annotation.end == len("Deep learning networks We show a graph model.") - 1
    assert row.label == annotation.result and row.score == pytest.approx(float(annotation.metadata[row.label]))
    assert set(row.scores) == set(archive.labels) and row.model_id == archive.model_id
    assert rows["2611.00003"].text_source == "title_only"
    # where the workers' time went, summed over the tasks by an accumulator
    timings = result.engine_timings
    assert timings is not None and timings["papers"] == result.classified and timings["tasks"] >= 1
    assert list(timings["seconds"]) == list(STEPS) and all(v >= 0 for v in timings["seconds"].values())
    # the graph's run takes milliseconds; tokenizing three short texts can take less than the 1 ms the report rounds to
    assert timings["seconds"]["graph"] > 0


def test_papers_are_spread_evenly_over_the_cores(spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    one_file = spark.range(0, 1001).selectExpr("cast(id * 7919 as string) as arxiv_id").coalesce(1)
    sizes = [r["count"] for r in spread_over_cores(one_file).groupBy(F.spark_partition_id()).count().collect()]
    assert len(sizes) == spark.sparkContext.defaultParallelism * PARTITIONS_PER_CORE
    assert sum(sizes) == 1001 and max(sizes) - min(sizes) <= 1  # a hash of the ids would leave tasks dozens apart


def test_unchanged_papers_are_skipped_unless_reclassify(spark, tiny_zip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = ModelArchive.open(tiny_zip)
    engine = OnnxEngine(tiny_zip, archive.sha256, threads_per_task=1)
    frame = spark.read.parquet(records(tmp_path))
    known = [(r.arxiv_id, r.text_sha256) for r in frame.select("arxiv_id", "text_sha256").collect()][:2]
    skipped = classify_records(spark, frame, engine, archive, str(tmp_path / "a"), "2026-11-21T06:00:00", known=known)
    assert (skipped.skipped_unchanged, skipped.classified) == (2, 2)
    again = classify_records(
        spark, frame, engine, archive, str(tmp_path / "b"), "2026-11-21T06:00:00", known=known, reclassify=True
    )
    assert (again.skipped_unchanged, again.classified) == (0, 4)


def test_counts_from_the_landed_arrow_table_give_the_result_a_spark_count_gives(spark, tiny_zip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = ModelArchive.open(tiny_zip)
    engine = OnnxEngine(tiny_zip, archive.sha256, threads_per_task=1)
    path = records(tmp_path)
    frame = spark.read.parquet(path)
    known = [(r.arxiv_id, r.text_sha256) for r in frame.where("arxiv_id = '2611.00001'").collect()]
    counts = count_papers(pq.read_table(path), set(known), reclassify=False)
    from_arrow = classify_records(spark, frame, engine, archive, str(tmp_path / "a"), LABELED_AT, known=known, counts=counts)
    from_spark = classify_records(spark, frame, engine, archive, str(tmp_path / "b"), LABELED_AT, known=known)
    fields = ("papers", "classified", "skipped_unchanged", "title_only", "no_text")
    assert [getattr(from_arrow, f) for f in fields] == [getattr(from_spark, f) for f in fields] == [5, 3, 1, 1, 1]


def test_spark_keeps_the_row_of_a_repeated_id_that_arrow_counts(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    later = DAY + dt.timedelta(days=1)
    days = [
        records_table(
            [PaperRecord("2611.00001", DAY, 1, DAY, DAY, "", ""), PaperRecord("2611.00002", DAY, 1, DAY, DAY, "T", "")],
            DAY,
            DAY,
            DAY,
        ),
        records_table([PaperRecord("2611.00001", later, 2, DAY, later, "Titled now", "With text.")], later, later, later),
    ]
    for number, table in enumerate(days):
        pq.write_table(table, tmp_path / f"day-{number}.parquet")
    frame = spark.read.parquet(str(tmp_path / "day-0.parquet"), str(tmp_path / "day-1.parquet"))
    picked = {r.arxiv_id: (r.text_sha256, r.text_source) for r in papers_to_classify(frame).collect()}
    expected = latest_row_per_id(pa.concat_tables(days))
    assert picked == {r["arxiv_id"]: (r["text_sha256"], r["text_source"]) for r in expected.to_pylist()}
    assert picked["2611.00001"][1] == "title_abstract"  # the later day's row, not the empty one
    # with unique ids promised, nothing is dropped: the caller must know (count_papers tells)
    assert papers_to_classify(frame, unique_ids=True).count() == 3


def test_auto_falls_back_to_onnx_and_says_why(spark, tiny_zip: Path) -> None:  # type: ignore[no-untyped-def]
    archive = ModelArchive.open(tiny_zip)
    engine, reason = choose_engine(spark, "auto", archive, tiny_zip, None)
    assert engine.name == "onnx" and "not on the classpath" in reason
    with pytest.raises(RuntimeError, match="engine=sparknlp requested but unavailable"):
        choose_engine(spark, "sparknlp", archive, tiny_zip, None)


def test_flattening_a_spark_nlp_class_column(spark) -> None:  # type: ignore[no-untyped-def]
    """The sparknlp engine's output (a `class` column as Spark NLP writes it) flattens the same way."""
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType(
        [StructField("arxiv_id", StringType()), StructField("text_sha256", StringType()), StructField("class", CLASS_COLUMN_TYPE)]
    )
    sigmoid_row = [
        ("category", 0, 9, "a", {"sentence": "0", "a": "0.9", "b": "0.95"}, []),
        ("category", 0, 9, "b", {"sentence": "0", "a": "0.9", "b": "0.95"}, []),
    ]
    frame = spark.createDataFrame(
        [
            ("1", "h", [("category", 0, 9, "b", {"sentence": "0", "a": "0.25", "b": "0.75"}, [])]),
            ("2", "h", []),
            ("3", "h", sigmoid_row),
        ],
        schema,
    )
    rows = {r.arxiv_id: r for r in flatten_class_column(frame, "m@sha256:x", "2026-11-21T00:00:00").collect()}
    assert (rows["1"].label, rows["1"].score, rows["1"].scores) == ("b", 0.75, {"a": 0.25, "b": 0.75})
    assert rows["2"].label is None and rows["2"].scores is None
    assert rows["3"].label == "b"  # multi-label: the top-scoring annotation


def test_a_running_session_on_another_master_is_refused(spark) -> None:  # type: ignore[no-untyped-def]
    from arxiv_labeler.spark.session import SparkSettings, start_session

    with pytest.raises(RuntimeError, match=r"master 'local\[2,4\]' is already running in this process"):
        start_session(SparkSettings(master="local[1]"))


def test_local_masters_gain_task_retries_and_cluster_masters_are_kept() -> None:
    from arxiv_labeler.spark.session import with_task_retries

    assert with_task_retries("local") == "local[1,4]"
    assert with_task_retries("local[*]") == "local[*,4]"
    assert with_task_retries("local[2]") == "local[2,4]"
    assert with_task_retries("local[2,1]") == "local[2,1]"  # said explicitly: kept
    assert with_task_retries("spark://127.0.0.1:7077") == "spark://127.0.0.1:7077"


def test_driver_heap_is_sized_from_the_job() -> None:
    from arxiv_labeler.spark.session import driver_memory_for

    assert driver_memory_for(2_000, 268_000_000) == "1024m"  # a day with the onnx engine: the graph is outside the heap
    assert driver_memory_for(64_000, 268_000_000, text_bytes=83_000_000) == "1280m"  # a month's backfill: the text decides
    assert driver_memory_for(64_000, 268_000_000) == "1024m"  # not the paper count: nothing collects the papers
    assert driver_memory_for(2_000, 268_000_000, sparknlp=True) == "1792m"  # the JVM holds the model
    assert driver_memory_for(2_000, 268_000_000, text_bytes=2_500_000) == "1024m"  # a day's real text
    assert driver_memory_for(300, 268_000_000, text_bytes=360_000_000) == "2304m"  # 1.2 MB papers: the text decides


def test_a_failure_inside_a_python_worker_is_named_by_the_worker_s_own_error(spark, tiny_zip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from arxiv_labeler.engines.worker_bundle import prepare_bundle
    from arxiv_labeler.errors import ClassifyJobError

    model_zip = Path(shutil.copy(tiny_zip, tmp_path / "model.zip"))
    archive = ModelArchive.open(model_zip)
    bundle = prepare_bundle(archive, model_zip.parent / ".worker-bundles")
    bundle.onnx_path.write_bytes(b"not an ONNX graph")  # what only the workers read: the driver never loads it
    engine = OnnxEngine(model_zip, archive.sha256, threads_per_task=1)
    with pytest.raises(ClassifyJobError) as failure:
        classify_records(spark, spark.read.parquet(records(tmp_path)), engine, archive, str(tmp_path / "out"), "2026-11-21")
    message = str(failure.value)
    assert "a Python worker raised" in message and "An exception was thrown from the Python worker" not in message
    assert "INVALID_PROTOBUF" in message or "Protobuf parsing failed" in message, message
    assert not (tmp_path / "out").exists()
