"""The ``onnx`` engine: the model's ONNX graph inside Spark, via ``mapInPandas`` on Arrow batches."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
from pyspark import SparkFiles
from pyspark.accumulators import Accumulator, AccumulatorParam
from pyspark.sql import DataFrame, SparkSession

from arxiv_labeler.engines.engine_timings import EngineTimings
from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier
from arxiv_labeler.engines.schema import ENGINE_OUTPUT_SCHEMA
from arxiv_labeler.engines.scoring import Category
from arxiv_labeler.engines.worker_bundle import ModelSpec, bundle_paths, prepare_bundle
from arxiv_labeler.model.archive import ModelArchive

log = logging.getLogger(__name__)

# One classifier per Python worker process, reused across batches and tasks (workers are reused).
_WORKER_CLASSIFIERS: dict[tuple[str, str, int, int], OnnxSequenceClassifier] = {}


def _local_file(ref: str) -> Path:
    return Path(ref) if Path(ref).is_absolute() else Path(SparkFiles.get(ref))


def worker_classifier(onnx_ref: str, spec_ref: str, threads: int, batch_size: int) -> OnnxSequenceClassifier:
    """The worker's classifier for a shipped bundle, created on first use."""
    key = (onnx_ref, spec_ref, threads, batch_size)
    classifier = _WORKER_CLASSIFIERS.get(key)
    if classifier is None:
        spec = ModelSpec.load(_local_file(spec_ref))
        classifier = OnnxSequenceClassifier(spec, _local_file(onnx_ref), threads=threads, batch_size=batch_size or None)
        _WORKER_CLASSIFIERS[key] = classifier
    return classifier


class EngineTimingsParam(AccumulatorParam[EngineTimings]):
    """How Spark merges the workers' ``EngineTimings`` into the driver's."""

    def zero(self, value: EngineTimings) -> EngineTimings:
        """An empty profile."""
        return EngineTimings()

    def addInPlace(self, value1: EngineTimings, value2: EngineTimings) -> EngineTimings:  # noqa: N802 (PySpark's name)
        """``value1`` plus ``value2``."""
        return value1.add(value2)


def _annotation_frame(batch: pd.DataFrame, annotations: list[list[Category]]) -> pd.DataFrame:
    """The engine's output rows for a batch: its ids, text source and Spark NLP's ``class`` column."""
    return pd.DataFrame(
        {
            "arxiv_id": batch["arxiv_id"],
            "text_sha256": batch["text_sha256"],
            "text_source": batch["text_source"],
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


class OnnxEngine:
    """Classifies a papers DataFrame (arxiv_id, text_sha256, text_source, text) with onnxruntime on the executors.

    ``quantize`` names the graph: ``none`` (fp32) or ``int8``; ``auto`` is decided before (``engines.int8_check``).
    """

    name = "onnx"

    def __init__(
        self,
        model_zip: Path,
        sha256: str,
        threads_per_task: int | None = None,
        batch_size: int = 0,
        quantize: str = "none",
    ) -> None:
        self.model_zip = model_zip
        self.sha256 = sha256
        self.threads_per_task = threads_per_task
        self.batch_size = batch_size
        self.quantize = quantize
        self._timings: Accumulator[EngineTimings] | None = None

    def timings(self) -> EngineTimings | None:
        """Where the workers' time went in the last job over ``classify``'s output (None before one ran)."""
        return self._timings.value if self._timings is not None else None

    def classify(self, spark: SparkSession, papers: DataFrame) -> DataFrame:
        """Return ``ENGINE_OUTPUT_SCHEMA`` rows for ``papers``; the model travels by SparkFiles."""
        directory = self.model_zip.parent / ".worker-bundles"
        bundle = bundle_paths(directory, self.sha256, self.quantize)
        if not (bundle.onnx_path.exists() and bundle.spec_path.exists()):  # the zip is read only the first time
            bundle = prepare_bundle(ModelArchive.open(self.model_zip, sha256=self.sha256), directory, self.quantize)
        context = spark.sparkContext
        if str(context.master).startswith("local"):
            onnx_ref, spec_ref = str(bundle.onnx_path.resolve()), str(bundle.spec_path.resolve())  # same machine: no copy
        else:
            context.addFile(str(bundle.onnx_path))
            context.addFile(str(bundle.spec_path))
            onnx_ref, spec_ref = bundle.onnx_path.name, bundle.spec_path.name
        threads = self.threads_per_task or max(1, (os.cpu_count() or 1) // max(1, context.defaultParallelism))
        batch_size = self.batch_size

        accumulator = context.accumulator(EngineTimings(), EngineTimingsParam())
        self._timings = accumulator

        def classify_batches(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            timings = EngineTimings(tasks=1)
            try:
                with timings.step("session_load"):
                    classifier = worker_classifier(onnx_ref, spec_ref, threads, batch_size)
                inputs = iter(batches)
                while True:
                    with timings.step("arrow_in"):  # waiting for the JVM's next Arrow batch, as pandas
                        batch = next(inputs, None)
                    if batch is None:
                        return
                    annotations = classifier.classify(batch["text"].tolist(), timings)
                    with timings.step("annotate"):
                        frame = _annotation_frame(batch, annotations)
                    timings.papers += len(batch)
                    yielded = time.perf_counter()
                    yield frame  # PySpark turns it into Arrow and sends it before asking for the next one
                    timings.seconds["arrow_out"] += time.perf_counter() - yielded
            finally:
                accumulator.add(timings)

        log.info("onnx engine: %s threads per task, model %s (%s)", threads, onnx_ref, self.quantize)
        columns = papers.select("arxiv_id", "text_sha256", "text_source", "text")
        return columns.mapInPandas(classify_batches, ENGINE_OUTPUT_SCHEMA)
