"""The ``sparknlp`` engine: Spark NLP's own pipeline, where its jar is on the classpath."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

JVM_CLASS = "com.johnsnowlabs.nlp.annotators.classifier.dl.DistilBertForSequenceClassification"


def sparknlp_available(spark: SparkSession) -> tuple[bool, str]:
    """Whether Spark NLP's JVM classes load in this session, and why not."""
    try:
        import sparknlp  # noqa: F401
    except ImportError as exc:
        return False, f"the spark-nlp Python package is not installed ({exc})"
    try:
        jvm: Any = spark.sparkContext._jvm
        jvm.java.lang.Class.forName(JVM_CLASS, False, jvm.Thread.currentThread().getContextClassLoader())
    except Exception as exc:  # py4j wraps ClassNotFoundException in Py4JJavaError
        return False, f"Spark NLP's jar is not on the classpath ({type(exc).__name__})"
    return True, "Spark NLP JVM classes load"


def build_pipeline(model_dir: Path) -> Any:
    """``DocumentAssembler -> Tokenizer -> DistilBertForSequenceClassification.load(dir)``."""
    from pyspark.ml import Pipeline
    from sparknlp.annotator import DistilBertForSequenceClassification, Tokenizer
    from sparknlp.base import DocumentAssembler

    document = DocumentAssembler().setInputCol("text").setOutputCol("document")
    token = Tokenizer().setInputCols(["document"]).setOutputCol("token")
    classifier = (
        DistilBertForSequenceClassification.load(str(model_dir))
        .setInputCols(["document", "token"])  # "document", not the model card's "documents"
        .setOutputCol("class")
    )
    return Pipeline(stages=[document, token, classifier])


class SparkNlpEngine:
    """Classifies a papers DataFrame (arxiv_id, text_sha256, text_source, text) with Spark NLP's pipeline."""

    name = "sparknlp"

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir

    def classify(self, spark: SparkSession, papers: DataFrame) -> DataFrame:
        """Return ``ENGINE_OUTPUT_SCHEMA`` rows (``class`` as Spark NLP writes it)."""
        pipeline = build_pipeline(self.model_dir)
        annotated = pipeline.fit(papers).transform(papers)
        return annotated.select("arxiv_id", "text_sha256", "text_source", "class")

    def timings(self) -> None:
        """Spark NLP's annotators run in the JVM: no per-step profile."""
        return None
