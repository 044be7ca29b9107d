"""The sparknlp engine: what can be checked without Spark NLP's jar, and the real pipeline where it exists."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from arxiv_labeler.spark.session import SPARK_NLP_PACKAGE, SparkSettings


def test_session_config_is_what_sparknlp_start_sets_with_explicit_memory() -> None:
    conf = SparkSettings(master="local[2]", driver_memory="3g", sparknlp=True).conf()
    assert conf["spark.serializer"] == "org.apache.spark.serializer.KryoSerializer"
    assert conf["spark.kryoserializer.buffer.max"] == "2000M"
    assert conf["spark.driver.maxResultSize"] == "0"
    assert conf["spark.driver.memory"] == "3g"  # sized, not sparknlp.start()'s 16G
    assert conf["spark.jars.packages"] == SPARK_NLP_PACKAGE
    assert conf["spark.pyspark.python"] == sys.executable


def test_offline_jar_replaces_maven() -> None:
    conf = SparkSettings(sparknlp=True, sparknlp_jars=("/opt/jars/spark-nlp.jar",)).conf()
    assert conf["spark.jars"] == "/opt/jars/spark-nlp.jar" and "spark.jars.packages" not in conf


def test_pipeline_wiring_uses_document_and_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Stage order and input columns, with Spark NLP's Python classes replaced by recorders."""
    import sparknlp.annotator
    import sparknlp.base
    from arxiv_labeler.engines import sparknlp_engine

    class Recorder:
        calls: list[tuple[str, object]] = []

        def __init__(self, name: str = "") -> None:
            self.name = name

        def __getattr__(self, method: str):  # type: ignore[no-untyped-def]
            def record(*args: object) -> Recorder:
                Recorder.calls.append((f"{self.name}.{method}", args[0] if args else None))
                return self

            return record

    monkeypatch.setattr(sparknlp.base, "DocumentAssembler", lambda: Recorder("DocumentAssembler"))
    monkeypatch.setattr(sparknlp.annotator, "Tokenizer", lambda: Recorder("Tokenizer"))
    monkeypatch.setattr(sparknlp.annotator, "DistilBertForSequenceClassification", Recorder("DistilBert"))
    monkeypatch.setattr("pyspark.ml.Pipeline", lambda stages: stages)
    stages = sparknlp_engine.build_pipeline(tmp_path)
    assert len(stages) == 3
    assert ("DistilBert.load", str(tmp_path)) in Recorder.calls
    assert ("DistilBert.setInputCols", ["document", "token"]) in Recorder.calls
    assert ("Tokenizer.setInputCols", ["document"]) in Recorder.calls
    assert ("DocumentAssembler.setOutputCol", "document") in Recorder.calls


@pytest.mark.spark
@pytest.mark.slow
def test_sparknlp_engine_matches_onnx_engine(spark, tiny_zip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Where Spark NLP's jar is on the classpath: both engines give the same labels and scores."""
    import zipfile

    from arxiv_labeler.engines.onnx_engine import OnnxEngine
    from arxiv_labeler.engines.sparknlp_engine import SparkNlpEngine, sparknlp_available
    from arxiv_labeler.model.archive import ModelArchive
    from pyspark.sql import functions as F

    available, why = sparknlp_available(spark)
    if not available:
        pytest.skip(f"Spark NLP JVM classes unavailable here ({why}); the jar comes from Maven, which this machine cannot reach")
    model_dir = tmp_path / "model"
    with zipfile.ZipFile(tiny_zip) as archive_zip:
        archive_zip.extractall(model_dir)
    archive = ModelArchive.open(tiny_zip)
    texts = ["Deep learning-based networks.", "Quantum field theory of electrons", "O'Brien's e-mail 3.14"]
    papers = spark.createDataFrame(
        [(str(i), "h", "title_abstract", t) for i, t in enumerate(texts)],
        "arxiv_id string, text_sha256 string, text_source string, text string",
    )
    onnx = {r.arxiv_id: r for r in OnnxEngine(tiny_zip, archive.sha256, threads_per_task=1).classify(spark, papers).collect()}
    nlp = {r.arxiv_id: r for r in SparkNlpEngine(model_dir).classify(spark, papers).select("arxiv_id", F.col("class")).collect()}
    for key, row in onnx.items():
        assert [a.result for a in row["class"]] == [a.result for a in nlp[key]["class"]]
        for mine, theirs in zip(row["class"], nlp[key]["class"], strict=True):
            assert {k: pytest.approx(float(v), abs=1e-5) for k, v in mine.metadata.items()} == {
                k: float(v) for k, v in theirs.metadata.items()
            }
