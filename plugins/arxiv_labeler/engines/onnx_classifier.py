"""Run a ``ModelArchive``'s ONNX graph with onnxruntime: Spark NLP's scores, without its jar."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np

from arxiv_labeler.engines.engine_timings import EngineTimings
from arxiv_labeler.engines.scoring import Category, categories_for, sigmoid, softmax
from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, pad_batch, utf16_len
from arxiv_labeler.engines.worker_bundle import ModelSpec
from arxiv_labeler.model.archive import ModelArchive, ModelArchiveError


class OnnxSequenceClassifier:
    """One onnxruntime session and tokenizer for a model; reuse it across batches.

    ``batch_size`` defaults to the model's ``batchSize`` param; documents are
    grouped by length before batching (as Spark NLP 7 does) so padding stays small.
    """

    def __init__(
        self,
        spec: ModelSpec,
        graph: bytes | Path,
        threads: int | None = None,
        batch_size: int | None = None,
    ) -> None:
        import onnxruntime as ort

        self.spec = spec
        self.labels = spec.labels
        self.params = spec.params
        self.batch_size = batch_size or self.params.batch_size
        self.tokenizer = WordpieceTokenizer(spec.vocabulary, self.params.case_sensitive, self.params.max_sentence_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        model = str(graph) if isinstance(graph, Path) else graph
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        inputs = {i.name for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        if not {"input_ids", "attention_mask"} <= inputs or "logits" not in outputs:
            raise ModelArchiveError(
                f"ONNX graph has inputs {sorted(inputs)} and outputs {sorted(outputs)}; "
                "expected input_ids, attention_mask -> logits"
            )

    @classmethod
    def from_archive(
        cls, archive: ModelArchive, threads: int | None = None, batch_size: int | None = None, onnx_bytes: bytes | None = None
    ) -> OnnxSequenceClassifier:
        """A classifier straight from a model zip (validated first); ``onnx_bytes`` replaces its graph (int8)."""
        archive.validate()
        spec = ModelSpec(archive.model_id, archive.vocabulary, archive.labels, archive.params)
        return cls(spec, onnx_bytes or archive.onnx_bytes, threads=threads, batch_size=batch_size)

    def logits(self, id_lists: Sequence[list[int]], timings: EngineTimings | None = None) -> np.ndarray:
        """Logits for encoded documents, in input order, batched by length; ``timings`` gets batch and graph seconds."""
        order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
        out = np.zeros((len(id_lists), len(self.labels)), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            with _step(timings, "batch"):
                input_ids, attention_mask = pad_batch([id_lists[i] for i in chunk])
            with _step(timings, "graph"):
                (batch_logits,) = self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": attention_mask})
            out[chunk] = batch_logits
        return out

    def scores(self, logits: np.ndarray) -> np.ndarray:
        """Activation from the model params (softmax or sigmoid)."""
        return sigmoid(logits) if self.params.activation == "sigmoid" else softmax(logits)

    def classify(self, texts: Sequence[str], timings: EngineTimings | None = None) -> list[list[Category]]:
        """Spark NLP ``class`` annotations per document; [] for a document with no tokens.

        ``timings``, when given, gets the seconds of each step (tokenize, batch, graph, annotate).
        """
        with _step(timings, "tokenize"):
            encoded = [self.tokenizer.encode_ids(text) for text in texts]
        present = [i for i, ids in enumerate(encoded) if ids is not None]
        results: list[list[Category]] = [[] for _ in texts]
        if not present:
            return results
        logits = self.logits([encoded[i] for i in present], timings)  # type: ignore[misc]
        with _step(timings, "annotate"):
            self._annotate(texts, present, self.scores(logits), results)
        return results

    def _annotate(self, texts: Sequence[str], present: list[int], scores: np.ndarray, results: list[list[Category]]) -> None:
        for row, index in enumerate(present):
            # one document = one sentence (no sentence detector), so coalescing changes nothing
            results[index] = categories_for(
                scores[row],
                self.labels,
                self.params.activation,
                self.params.threshold,
                begin=0,
                end=utf16_len(texts[index]) - 1,
            )


def _step(timings: EngineTimings | None, name: str) -> AbstractContextManager[None]:
    """A timer for step ``name`` when profiling, else nothing."""
    return timings.step(name) if timings is not None else nullcontext()
