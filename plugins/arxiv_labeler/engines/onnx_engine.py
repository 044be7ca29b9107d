"""The ``onnx`` engine: the model's ONNX graph inside Spark, via ``mapInPandas`` on Arrow batches."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from pyspark import SparkFiles
from pyspark.sql import DataFrame, SparkSession

from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier
from arxiv_labeler.engines.schema import ENGINE_OUTPUT_SCHEMA
from arxiv_labeler.model.archive import ModelArchive

log = logging.getLogger(__name__)

# One classifier per Python worker process, reused across batches and tasks (workers are reused).
_WORKER_CLASSIFIERS: dict[tuple[str, str, int, int, str], OnnxSequenceClassifier] = {}


def worker_classifier(
    model_file: str, sha256: str, threads: int, batch_size: int, quantize: str = "none"
) -> OnnxSequenceClassifier:
    """The worker's classifier for a shipped model zip, created on first use."""
    key = (model_file, sha256, threads, batch_size, quantize)
    classifier = _WORKER_CLASSIFIERS.get(key)
    if classifier is None:
        local = Path(model_file) if Path(model_file).is_absolute() else Path(SparkFiles.get(model_file))
        archive = ModelArchive.open(local, sha256=sha256)
        onnx_bytes = None
        if quantize == "int8":
            from arxiv_labeler.model.quantize import quantized_onnx_bytes

            onnx_bytes = quantized_onnx_bytes(archive)
        classifier = OnnxSequenceClassifier(archive, threads=threads, batch_size=batch_size, onnx_bytes=onnx_bytes)
        _WORKER_CLASSIFIERS[key] = classifier
    return classifier


class OnnxEngine:
    """Classifies a papers DataFrame (arxiv_id, text_sha256, text) with onnxruntime on the executors."""

    name = "onnx"

    def __init__(
        self, model_zip: Path, sha256: str, threads_per_task: int | None = None, batch_size: int = 0, quantize: str = "none"
    ) -> None:
        self.model_zip = model_zip
        self.sha256 = sha256
        self.threads_per_task = threads_per_task
        self.batch_size = batch_size
        self.quantize = quantize

    def classify(self, spark: SparkSession, papers: DataFrame) -> DataFrame:
        """Return ``ENGINE_OUTPUT_SCHEMA`` rows for ``papers``; the model travels by SparkFiles."""
        context = spark.sparkContext
        if str(context.master).startswith("local"):
            model_ref = str(self.model_zip.resolve())  # same machine: no copy needed
        else:
            context.addFile(str(self.model_zip))
            model_ref = self.model_zip.name
        threads = self.threads_per_task or max(1, (os.cpu_count() or 1) // max(1, context.defaultParallelism))
        sha256, batch_size, quantize = self.sha256, self.batch_size, self.quantize

        def classify_batches(batches: Iterable[pd.DataFrame]) -> Iterable[pd.DataFrame]:
            classifier = worker_classifier(model_ref, sha256, threads, batch_size, quantize)
            for batch in batches:
                annotations = classifier.classify(batch["text"].tolist())
                yield pd.DataFrame(
                    {
                        "arxiv_id": batch["arxiv_id"],
                        "text_sha256": batch["text_sha256"],
                        "class": [
                            [
                                {
                                    "annotatorType": "category",
                                    "begin": c.begin,
                                    "end": c.end,
                                    "result": c.result,
                                    "metadata": c.metadata,
                                    "embeddings": [],
                                }
                                for c in doc
                            ]
                            for doc in annotations
                        ],
                    }
                )

        log.info("onnx engine: %s threads per task, model %s", threads, model_ref)
        return papers.select("arxiv_id", "text_sha256", "text").mapInPandas(classify_batches, ENGINE_OUTPUT_SCHEMA)
