"""``quantize=auto``: does a model's int8 graph keep its fp32 labels? Measured once per model, then cached.

The model's calibration sample (its own ``calibration/abstracts.jsonl``, else the shipped 276 papers)
is tokenized as the engine tokenizes and scored by the fp32 and the int8 graph, one thread each, in
the engine's batches; int8 is used when it gives fp32's label(s) to at least
``settings.INT8_MIN_AGREEMENT`` of the papers. The decision is cached per (model sha256, int8 recipe,
onnxruntime version, sample sha256): a new onnxruntime or another sample measures again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from arxiv_labeler import settings
from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier
from arxiv_labeler.engines.scoring import categories_for
from arxiv_labeler.model.archive import ModelArchive
from arxiv_labeler.model.calibration import CalibrationSample, calibration_sample
from arxiv_labeler.model.quantize import INT8_RECIPE, Int8Decision, quantized_onnx_bytes

log = logging.getLogger(__name__)


def onnxruntime_version() -> str:
    """The installed onnxruntime's version: its kernels decide what int8 does to the labels."""
    import onnxruntime

    return str(onnxruntime.__version__)


def decision_file(cache_dir: Path, archive: ModelArchive, sample: CalibrationSample) -> Path:
    """The cache file of one (model, recipe, onnxruntime, sample) decision."""
    return cache_dir / f"{archive.sha256[:16]}-{INT8_RECIPE}-ort{onnxruntime_version()}-{sample.sha256[:16]}.json"


def decide_int8(
    archive: ModelArchive, cache_dir: Path | None, min_agreement: float = settings.INT8_MIN_AGREEMENT
) -> Int8Decision:
    """``auto``'s decision for ``archive``: read from ``cache_dir`` when measured before, else measured and stored there.

    Without any calibration sample (no zip entry, the shipped file missing) the decision is fp32, with the reason.

    Raises:
        ModelArchiveError: the zip's calibration entry is malformed (the model check refuses it first).
    """
    sample = calibration_sample(archive)
    if sample is None:
        decision = Int8Decision(
            "none",
            reason=(
                f"no calibration sample: the model has no calibration/abstracts.jsonl and {settings.calibration_sample_path()} "
                f"does not exist (set {settings.ENV_CALIBRATION_SAMPLE}); fp32"
            ),
            min_agreement=min_agreement,
            onnxruntime=onnxruntime_version(),
        )
        log.warning("quantize=auto for %s: %s", archive.model_id, decision.reason)
        return decision
    path = decision_file(cache_dir, archive, sample) if cache_dir is not None else None
    cached = _read(path) if path is not None else None
    if cached is not None:
        decision = _judged(cached, min_agreement)
        log.info("quantize=auto for %s: %s (decided before: %s)", archive.model_id, decision.quantize, decision.reason)
        return decision
    decision = measure_int8(archive, sample, min_agreement)
    if path is not None:
        _write(path, decision)
    log.info(
        "quantize=auto for %s: %s (%s; int8 %sx fp32's speed, one thread; %.1f s)",
        archive.model_id,
        decision.quantize,
        decision.reason,
        decision.int8_speed_ratio,
        decision.seconds,
    )
    return decision


def measure_int8(archive: ModelArchive, sample: CalibrationSample, min_agreement: float) -> Int8Decision:
    """Score ``sample`` with the fp32 and the int8 graph (one thread each) and decide from the label agreement."""
    started = time.perf_counter()
    fp32 = OnnxSequenceClassifier.from_archive(archive, threads=1)
    try:
        int8 = OnnxSequenceClassifier(fp32.spec, quantized_onnx_bytes(archive), threads=1)
    except Exception as exc:  # onnxruntime's quantizer and session raise many kinds; any of them leaves int8 unproven
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        reason = f"the int8 graph could not be built or loaded ({type(exc).__name__}: {first_line}); fp32"
        return Int8Decision("none", reason, min_agreement=min_agreement, onnxruntime=onnxruntime_version())
    id_lists = [ids for text in sample.texts if (ids := fp32.tokenizer.encode_ids(text)) is not None]
    fp32_seconds, fp32_labels = _scored(fp32, id_lists)
    int8_seconds, int8_labels = _scored(int8, id_lists)
    changed = sum(a != b for a, b in zip(fp32_labels, int8_labels, strict=True))
    measured = Int8Decision(
        "none",
        reason="",
        agreement=round(1 - changed / len(id_lists), 4) if id_lists else None,
        papers=len(id_lists),
        changed=changed,
        sample_source=sample.source,
        sample_location=sample.location,
        sample_sha256=sample.sha256,
        onnxruntime=onnxruntime_version(),
        int8_speed_ratio=round(fp32_seconds / int8_seconds, 2) if int8_seconds > 0 else None,
        seconds=round(time.perf_counter() - started, 2),
    )
    return _judged(measured, min_agreement)


def _judged(measured: Int8Decision, min_agreement: float) -> Int8Decision:
    """``measured`` with its verdict for ``min_agreement`` (a cached figure is judged again by today's threshold)."""
    of = f"{measured.papers} papers of the {measured.sample_source} sample"
    if measured.agreement is None:
        quantize, reason = "none", f"no paper of the {measured.sample_source} sample has tokens; fp32"
    elif (measured.papers - measured.changed) / measured.papers >= min_agreement:  # not the rounded figure
        quantize, reason = "int8", f"int8 gives fp32's label to {measured.papers - measured.changed} of {of}: "
        reason += f"agreement {measured.agreement:.4f} >= {min_agreement}"
    else:
        quantize, reason = "none", f"int8 changes the label of {measured.changed} of {of}: "
        reason += f"agreement {measured.agreement:.4f} < {min_agreement}; fp32"
    return dataclasses.replace(measured, quantize=quantize, reason=reason, min_agreement=min_agreement)


def _scored(classifier: OnnxSequenceClassifier, id_lists: Sequence[list[int]]) -> tuple[float, list[tuple[str, ...]]]:
    """Graph seconds over ``id_lists`` (after one warm-up batch) and each paper's labels, as the engine would label it."""
    classifier.logits(id_lists[:1])  # the first run allocates: keep it out of the speed ratio
    started = time.perf_counter()
    logits = classifier.logits(id_lists)
    seconds = time.perf_counter() - started
    params = classifier.params
    return seconds, [
        tuple(c.result for c in categories_for(row, classifier.labels, params.activation, params.threshold, 0, 0))
        for row in classifier.scores(logits)
    ]


def _read(path: Path) -> Int8Decision | None:
    """A cached decision, or None when there is none (or it is unreadable: measured again)."""
    if not path.is_file():
        return None
    try:
        return Int8Decision.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):  # not JSON, or not a decision (ConfigError is a ValueError)
        log.warning("int8 decision %s is unreadable; measuring again", path)
        return None


def _write(path: Path, decision: Int8Decision) -> None:
    """Store ``decision`` atomically; a cache that cannot be written costs a measurement next time, not the run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")  # two tasks may measure at once
        partial.write_text(json.dumps(decision.to_dict(), indent=2) + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        log.warning("cannot store the int8 decision at %s (%s); it will be measured again", path, exc)
