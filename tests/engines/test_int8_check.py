"""quantize=auto's check: int8 where it keeps fp32's labels on the calibration sample, fp32 elsewhere; measured once."""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from arxiv_labeler import settings
from arxiv_labeler.engines import int8_check
from arxiv_labeler.engines.int8_check import decide_int8, decision_file
from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier
from arxiv_labeler.engines.worker_bundle import bundle_paths
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.model.archive import CALIBRATION_ENTRY, ModelArchive
from arxiv_labeler.model.calibration import calibration_sample
from arxiv_labeler.model.package import export_onnx, write_model_zip

from tests.support.tiny_model import LABELS, PROTOTYPES, _prototype_head, tiny_config, vocabulary

FILLERS = ["the", "of", "a", "and", "in", "we", "for", "on", "is", "with", "paper", "show", "that"]
MIN_MARGIN = 5.0  # logits between a paper's top two labels: far beyond what int8's rounding moves


@pytest.fixture(scope="module")
def confident_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model sure of its labels, carrying a calibration sample of 400 papers it labels with a wide margin.

    The tiny_zip model's weights (initializer range 0.02) give every text nearly the same [CLS] state, so its
    labels are near-ties that int8 flips (see the next test); weights drawn 10x wider separate the prototypes.
    """
    import torch
    from transformers import DistilBertForSequenceClassification

    directory = tmp_path_factory.mktemp("confident-model")
    torch.manual_seed(0)
    config = tiny_config(LABELS)
    config.initializer_range = 0.2  # type: ignore[attr-defined]
    model = DistilBertForSequenceClassification(config).eval()
    _prototype_head(model, vocabulary(), len(LABELS))
    graph = export_onnx(model, directory / "confident.onnx").read_bytes()
    plain = write_model_zip(directory / "plain.zip", graph, vocabulary(), LABELS, {"caseSensitive": False})
    classifier = OnnxSequenceClassifier.from_archive(ModelArchive.open(plain), threads=1)
    texts = [f"{x} {prototype} {y}" for prototype in PROTOTYPES for x, y in itertools.permutations(FILLERS, 2)]
    logits = classifier.logits([classifier.tokenizer.encode_ids(t) or [] for t in texts])
    top_two = np.sort(logits, axis=1)[:, -2:]
    sure = [t for t, (second, first) in zip(texts, top_two, strict=True) if first - second >= MIN_MARGIN][:400]
    assert len(sure) == 400 and len({int(np.argmax(row)) for row in logits}) == len(LABELS)  # every label
    sample = "".join(json.dumps({"title": t, "abstract": ""}) + "\n" for t in sure).encode()
    return write_model_zip(directory / "confident.zip", graph, vocabulary(), LABELS, {"caseSensitive": False}, calibration=sample)


def test_a_model_whose_int8_keeps_its_labels_gets_int8(
    confident_zip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import onnxruntime

    with caplog.at_level(logging.INFO, logger="arxiv_labeler.engines.int8_check"):
        decision = decide_int8(ModelArchive.open(confident_zip), tmp_path)
    assert decision.quantize == "int8", decision.reason
    assert decision.agreement is not None and decision.agreement >= settings.INT8_MIN_AGREEMENT
    assert (decision.papers, decision.sample_source, decision.sample_location) == (400, "model zip", CALIBRATION_ENTRY)
    assert decision.onnxruntime == onnxruntime.__version__ and decision.int8_speed_ratio is not None
    assert decision.reason.startswith(f"int8 gives fp32's label to {400 - decision.changed} of 400 papers of the model zip")
    logged = caplog.text
    assert "quantize=auto for confident@sha256:" in logged and "int8" in logged and "agreement" in logged


def test_the_tiny_model_on_real_abstracts_stays_fp32(tiny_zip: Path, tmp_path: Path) -> None:
    # Real abstracts are mostly [UNK] to the tiny vocabulary and its labels near-ties: int8 changes most of them.
    decision = decide_int8(ModelArchive.open(tiny_zip), tmp_path)
    assert (decision.quantize, decision.sample_source, decision.papers) == ("none", "shipped", 276)
    assert decision.agreement is not None and decision.agreement < settings.INT8_MIN_AGREEMENT
    assert decision.reason.endswith(f"< {settings.INT8_MIN_AGREEMENT}; fp32") and decision.changed > 0


def test_the_decision_is_measured_once_per_model_onnxruntime_and_sample(
    confident_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = ModelArchive.open(confident_zip)
    first = decide_int8(archive, tmp_path)
    sample = calibration_sample(archive)
    assert sample is not None
    (stored,) = tmp_path.iterdir()
    assert stored == decision_file(tmp_path, archive, sample)
    assert archive.sha256[:16] in stored.name and sample.sha256[:16] in stored.name and "ort" in stored.name

    def never(*args: object) -> None:
        raise AssertionError("measured again")

    monkeypatch.setattr(int8_check, "measure_int8", never)
    assert decide_int8(archive, tmp_path) == first
    monkeypatch.setattr(int8_check, "onnxruntime_version", lambda: "99.0.0")  # another onnxruntime: measure again
    with pytest.raises(AssertionError, match="measured again"):
        decide_int8(archive, tmp_path)


def test_a_cached_figure_is_judged_by_todays_threshold(confident_zip: Path, tmp_path: Path) -> None:
    archive = ModelArchive.open(confident_zip)
    decide_int8(archive, tmp_path)
    stricter = decide_int8(archive, tmp_path, min_agreement=1.5)
    assert stricter.quantize == "none" and stricter.reason.endswith("< 1.5; fp32") and stricter.min_agreement == 1.5


def test_an_unreadable_cache_file_is_measured_again(tiny_zip: Path, tmp_path: Path) -> None:
    archive = ModelArchive.open(tiny_zip)
    sample = calibration_sample(archive)
    assert sample is not None
    decision_file(tmp_path, archive, sample).write_text("{not json")
    assert decide_int8(archive, tmp_path).papers == 276
    assert json.loads(decision_file(tmp_path, archive, sample).read_text())["papers"] == 276


def test_without_any_calibration_sample_auto_runs_fp32(tiny_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ENV_CALIBRATION_SAMPLE, str(tmp_path / "missing.jsonl"))
    decision = decide_int8(ModelArchive.open(tiny_zip), tmp_path)
    assert decision.quantize == "none" and decision.agreement is None
    assert "no calibration sample" in decision.reason and settings.ENV_CALIBRATION_SAMPLE in decision.reason
    assert not list(tmp_path.glob("*.json"))  # nothing measured, nothing cached


def test_a_graph_that_cannot_be_quantized_stays_fp32(tiny_zip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(archive: ModelArchive) -> bytes:
        raise ValueError("Unsupported operator\nsecond line")

    monkeypatch.setattr(int8_check, "quantized_onnx_bytes", unsupported)
    decision = decide_int8(ModelArchive.open(tiny_zip), None)
    assert decision.quantize == "none"
    assert decision.reason == "the int8 graph could not be built or loaded (ValueError: Unsupported operator); fp32"


def test_a_worker_bundle_holds_a_graph_never_auto(tmp_path: Path) -> None:
    assert bundle_paths(tmp_path, "ab" * 32, "int8").onnx_path.name == "abababababababab-int8.onnx"
    with pytest.raises(ConfigError, match=r"got quantize='auto' \(auto is decided before"):
        bundle_paths(tmp_path, "ab" * 32, "auto")


@pytest.mark.slow
def test_the_demo_model_stays_fp32_on_the_shipped_sample(tmp_path: Path) -> None:
    """The demo model's int8 changes about 2% of its labels (near-ties): auto keeps it in fp32."""
    pytest.importorskip("torch")
    from arxiv_labeler.devstack.demo_model import build_demo_model

    archive = ModelArchive.open(Path(build_demo_model(tmp_path)["model_zip"]))
    decision = decide_int8(archive, tmp_path / "decisions")
    assert (decision.quantize, decision.sample_source, decision.papers) == ("none", "shipped", 276)
    assert decision.agreement is not None and 0.95 <= decision.agreement < settings.INT8_MIN_AGREEMENT
    assert decision.int8_speed_ratio is not None and decision.int8_speed_ratio > 1  # measured, not asserted tightly


def test_the_verdict_is_taken_on_the_counts_not_the_rounded_agreement() -> None:
    from arxiv_labeler.model.quantize import Int8Decision

    measured = Int8Decision("none", "", agreement=round(1 - 10 / 1999, 4), papers=1999, changed=10)
    assert measured.agreement == 0.995  # 0.994997 rounded
    assert int8_check._judged(measured, 0.995).quantize == "none"
    assert int8_check._judged(Int8Decision("none", "", agreement=0.995, papers=2000, changed=10), 0.995).quantize == "int8"
