"""The onnx engine's classifier: the torch model's scores, batching-independent, Spark NLP's annotations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier
from arxiv_labeler.engines.scoring import softmax
from arxiv_labeler.model.archive import ModelArchive

from tests.support.tiny_model import LABELS, torch_logits

TEXTS = [
    "Deep learning-based networks for quantum field theory.",
    "We show that the graph model is stable.",
    "",
    "中文 electrons spin",
    "x",
    " ".join(["deep learning"] * 400),
]


def test_scores_equal_the_pytorch_model(tiny_zip: Path, tiny_dir: Path) -> None:
    classifier = OnnxSequenceClassifier.from_archive(ModelArchive.open(tiny_zip), threads=1)
    encoded = [classifier.tokenizer.encode_ids(t) for t in TEXTS if classifier.tokenizer.encode_ids(t)]
    reference = np.array(torch_logits(tiny_dir, encoded), dtype=np.float32)  # type: ignore[arg-type]
    np.testing.assert_allclose(classifier.logits(encoded), reference, atol=1e-5)  # type: ignore[arg-type]


def test_batching_does_not_change_results(tiny_zip: Path) -> None:
    archive = ModelArchive.open(tiny_zip)
    one = OnnxSequenceClassifier.from_archive(archive, threads=1, batch_size=1).classify(TEXTS)
    many = OnnxSequenceClassifier.from_archive(archive, threads=1, batch_size=64).classify(TEXTS)
    assert [[c.result for c in doc] for doc in one] == [[c.result for c in doc] for doc in many]
    for a, b in zip(one, many, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_allclose([float(x.metadata[k]) for k in LABELS], [float(y.metadata[k]) for k in LABELS], atol=1e-6)


def test_annotations_like_spark_nlp(tiny_zip: Path) -> None:
    classifier = OnnxSequenceClassifier.from_archive(ModelArchive.open(tiny_zip), threads=1)
    results = classifier.classify(TEXTS)
    assert results[2] == []  # no tokens: never sent to the model, no label
    first = results[0][0]
    assert (first.begin, first.end) == (0, len(TEXTS[0]) - 1)
    assert first.result in LABELS and set(first.metadata) == {"sentence", *LABELS}
    ids = classifier.tokenizer.encode_ids(TEXTS[0])
    scores = softmax(classifier.logits([ids]))[0]  # type: ignore[list-item]
    assert first.result == LABELS[int(np.argmax(scores))]
    assert len({doc[0].result for doc in results if doc}) > 1  # the tiny model does tell texts apart


def test_int8_variant_runs(tiny_zip: Path) -> None:
    from arxiv_labeler.model.quantize import quantized_onnx_bytes

    archive = ModelArchive.open(tiny_zip)
    int8 = OnnxSequenceClassifier.from_archive(archive, threads=1, onnx_bytes=quantized_onnx_bytes(archive))
    assert len(int8.classify(TEXTS)) == len(TEXTS)


def test_worker_bundle_gives_the_same_results(tiny_zip: Path, tmp_path: Path) -> None:
    from arxiv_labeler.engines.worker_bundle import ModelSpec, prepare_bundle

    archive = ModelArchive.open(tiny_zip)
    bundle = prepare_bundle(archive, tmp_path, "none")
    assert prepare_bundle(archive, tmp_path, "none") == bundle  # prepared once
    from_bundle = OnnxSequenceClassifier(ModelSpec.load(bundle.spec_path), bundle.onnx_path, threads=1).classify(TEXTS)
    direct = OnnxSequenceClassifier.from_archive(archive, threads=1).classify(TEXTS)
    assert from_bundle == direct
    int8 = prepare_bundle(archive, tmp_path, "int8")
    assert int8.onnx_path != bundle.onnx_path and int8.onnx_path.stat().st_size < bundle.onnx_path.stat().st_size


def test_timings_cover_each_step_and_change_no_result(tiny_zip: Path) -> None:
    from arxiv_labeler.engines.engine_timings import EngineTimings

    classifier = OnnxSequenceClassifier.from_archive(ModelArchive.open(tiny_zip), threads=1, batch_size=2)
    timings = EngineTimings()
    assert classifier.classify(TEXTS, timings) == classifier.classify(TEXTS)
    assert all(timings.seconds[step] > 0 for step in ("tokenize", "batch", "graph", "annotate"))
    assert timings.seconds["session_load"] == timings.seconds["arrow_in"] == 0.0  # the engine's steps, not the classifier's
    total = EngineTimings(papers=3, tasks=1).add(EngineTimings(papers=2, tasks=1).add(timings))
    assert (total.papers, total.tasks) == (5, 2) and total.busy_seconds() == timings.busy_seconds()
