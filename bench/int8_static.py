"""Static (calibrated) int8 beside the engine's dynamic int8, on the demo model's real weights (``make bench-int8``).

onnxruntime's ``quantize_static`` in QDQ format with per-channel int8 weights, the activation scales fixed
in advance from a calibration pass (MinMax, Entropy or Percentile), activations QUInt8 or QInt8, with or
without ``reduce_range`` (7-bit weights). Entropy's ranges are computed here with 2,048 histogram bins and
handed to ``quantize_static`` as its calibration cache: through ``quantize_static`` alone the entropy
calibrator gets 128 bins for 128 quantized bins, so its search has no threshold to try but the full range
and its scales equal MinMax's (measured: the same scales, the same labels).

Calibration: 128 papers of the shared labeled abstracts that are not in the evaluation sample (rows after
the first 2,000 of ``arxiv-labeled-abstracts.csv``, whose first 2,000 are the evaluation JSONL), each a full
128 word pieces long: the histogram calibrators need batches of one shape, and full-length papers need no
padding (padded positions would enter the ranges).

Evaluation: the 2,000 papers of the shared sample, as ``make bench`` scores them: label agreement with fp32,
accuracy against the primary group, speed against the plain fp32 graph run first and last (``compare_graphs``,
two threads, one pass: noisy on a shared machine), speed once more as the best of three interleaved rounds over
every fifth paper with one thread (what an engine task runs; the best round is the least disturbed one),
and the agreement on the 276 papers of 2008-11-26 (the shipped calibration sample of ``quantize=auto``, a
subset of the 2,000), i.e. what auto would decide for each graph. Writes ``bench/results/int8_static.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "plugins"))
sys.path.insert(0, str(PROJECT / "bench"))

from arxiv_labeler import settings  # noqa: E402
from arxiv_labeler.engines.int8_check import decide_int8  # noqa: E402
from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier  # noqa: E402
from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, pad_batch  # noqa: E402
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record  # noqa: E402
from arxiv_labeler.model.archive import ModelArchive  # noqa: E402
from arxiv_labeler.model.quantize import quantized_onnx_bytes  # noqa: E402
from arxiv_labeler.text import paper_text  # noqa: E402
from classify_benchmark import BATCH_SIZE, DEFAULT_DATA, RESULTS, bare_onnxruntime, compare_graphs, demo_model  # noqa: E402

LABELED_NAME = "arxiv-labeled-abstracts.csv"  # beside the evaluation JSONL in the shared data
EVALUATION_ROWS = 2000  # the labeled CSV's first rows are the evaluation JSONL's records
CALIBRATION_PAPERS = 128
CALIBRATION_BATCH = 8
METHODS = ("MinMax", "Entropy", "Percentile")
ENTROPY_BINS = 2048  # histogram bins; the entropy search tries thresholds between 128 and this many bins
SPEED_ROUNDS = 3


class Batches:
    """An onnxruntime ``CalibrationDataReader`` over pre-padded batches (rewindable: some calibrators read twice)."""

    def __init__(self, id_lists: list[list[int]], batch_size: int) -> None:
        self.batches = [pad_batch(id_lists[i : i + batch_size]) for i in range(0, len(id_lists), batch_size)]
        self.position = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.position >= len(self.batches):
            return None
        ids, mask = self.batches[self.position]
        self.position += 1
        return {"input_ids": ids, "attention_mask": mask}

    def rewind(self) -> None:
        self.position = 0


def calibration_ids(labeled: Path, tokenizer: WordpieceTokenizer, evaluation_texts: set[str], max_length: int) -> list[list[int]]:
    """``CALIBRATION_PAPERS`` full-length papers of the labeled CSV after its evaluation rows, spread over the file."""
    with labeled.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[EVALUATION_ROWS:]
    texts = [paper_text(r["title"], r["abstract"])[0] for r in rows]
    full = [ids for t in texts if t not in evaluation_texts and len(ids := tokenizer.encode_ids(t) or []) == max_length]
    step = max(1, len(full) // CALIBRATION_PAPERS)
    return full[::step][:CALIBRATION_PAPERS]


def entropy_ranges(source: Path, calibration: list[list[int]], cache: Path) -> None:
    """The entropy calibrator's ranges with ``ENTROPY_BINS`` bins, written as a ``quantize_static`` calibration cache."""
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator, save_tensors_data

    calibrator = create_calibrator(
        source,
        ["MatMul"],
        augmented_model_path=str(cache.with_suffix(".augmented.onnx")),
        calibrate_method=CalibrationMethod.Entropy,
        extra_options={"num_bins": ENTROPY_BINS, "num_quantized_bins": 128},
    )
    calibrator.collect_data(Batches(calibration, CALIBRATION_BATCH))
    save_tensors_data(calibrator.compute_data(), cache)


def static_graph(
    source: Path, target: Path, calibration: list[list[int]], method: str, activation: str, reduce_range: bool
) -> float:
    """``quantize_static`` (QDQ, per-channel int8 weights, MatMuls with constant weights); returns its seconds."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    started = time.perf_counter()
    cache = target.with_name(f"{method}-ranges.json")  # Entropy's, computed once for all its variants
    if method == "Entropy" and not cache.exists():
        entropy_ranges(source, calibration, cache)
    quantize_static(
        str(source),
        str(target),
        Batches(calibration, CALIBRATION_BATCH),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        reduce_range=reduce_range,
        activation_type=getattr(QuantType, activation),
        weight_type=QuantType.QInt8,
        calibrate_method=getattr(CalibrationMethod, method),
        extra_options={"MatMulConstBOnly": True},  # the weight MatMuls, as the dynamic recipe quantizes
        calibration_cache_path=cache if method == "Entropy" else None,
    )
    return time.perf_counter() - started


def dynamic_graph(source: Path, target: Path, reduce_range: bool) -> float:
    """``quantize_dynamic`` with per-channel int8 weights; returns its seconds."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    started = time.perf_counter()
    quantize_dynamic(
        str(source), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"], per_channel=True,
        reduce_range=reduce_range,
    )  # fmt: skip
    return time.perf_counter() - started


def one_thread_speeds(archive: ModelArchive, graphs: dict[str, bytes], id_lists: list[list[int]]) -> dict[str, Any]:
    """Speed against plain fp32 with one thread: the best of ``SPEED_ROUNDS`` rounds, the graphs interleaved in each."""
    classifiers = {
        name: OnnxSequenceClassifier.from_archive(archive, threads=1, batch_size=BATCH_SIZE, onnx_bytes=graph)
        for name, graph in graphs.items()
    }
    seconds: dict[str, list[float]] = {name: [] for name in graphs}
    for _ in range(SPEED_ROUNDS):
        for name, classifier in classifiers.items():
            seconds[name].append(bare_onnxruntime(classifier, id_lists)[0])
    best = {name: min(values) for name, values in seconds.items()}
    return {
        "papers": len(id_lists),
        "rounds": SPEED_ROUNDS,
        "speed_vs_plain_fp32": {name: round(best["plain_fp32"] / value, 3) for name, value in best.items()},
        "seconds_per_round": {name: [round(v, 2) for v in values] for name, values in seconds.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--labeled", type=Path, help=f"the labeled CSV (default: {LABELED_NAME} beside --data)")
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--method", action="append", choices=METHODS, help="calibration methods (all three by default)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    archive = ModelArchive.open(demo_model(PROJECT / "data" / "demo-model")).validate()
    max_length = archive.params.max_sentence_length
    tokenizer = WordpieceTokenizer(archive.vocabulary, archive.params.case_sensitive, max_length)
    records = [to_record(entry) for entry in read_snapshot(args.data)][: args.papers]
    texts = [paper_text(r.title, r.abstract)[0] for r in records]
    id_lists = [tokenizer.encode_ids(t) or [101, 102] for t in texts]
    labeled = args.labeled or args.data.parent / LABELED_NAME
    calibration = calibration_ids(labeled, tokenizer, set(texts), max_length)
    shipped = {entry["id"] for entry in read_snapshot(settings.calibration_sample_path())}
    shipped_rows = [i for i, r in enumerate(records) if r.arxiv_id in shipped]

    variants: list[tuple[str, str, bool]] = [
        (method, activation, reduce_range)
        for method in args.method or METHODS
        for activation, reduce_range in (("QUInt8", False), ("QUInt8", True), ("QInt8", False))
    ]
    graphs: dict[str, bytes] = {"plain_fp32": archive.onnx_bytes, "dynamic_int8_7bit_engine": quantized_onnx_bytes(archive)}
    quantize_seconds: dict[str, float] = {}
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="arxiv-int8-static-") as scratch:
        work = Path(scratch)
        source = work / "fp32.onnx"
        source.write_bytes(archive.onnx_bytes)
        quantize_seconds["dynamic_int8_8bit"] = dynamic_graph(source, work / "dynamic8.onnx", reduce_range=False)
        graphs["dynamic_int8_8bit"] = (work / "dynamic8.onnx").read_bytes()
        for method, activation, reduce_range in variants:
            name = f"static_{method.lower()}_{activation.lower()}_{'7bit' if reduce_range else '8bit'}"
            target = work / f"{name}.onnx"
            try:
                quantize_seconds[name] = static_graph(source, target, calibration, method, activation, reduce_range)
            except (ValueError, RuntimeError, MemoryError) as exc:  # a calibrator that cannot run here: the finding
                failed[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                continue
            graphs[name] = target.read_bytes()
            print(f"{name}: quantized in {quantize_seconds[name]:.1f} s", flush=True)
    figures: dict[str, Any] = compare_graphs(
        archive, graphs, id_lists, args.threads, [r.group for r in records], {"shipped_sample": shipped_rows}
    )
    figures["one_thread"] = one_thread_speeds(archive, graphs, id_lists[::5])
    figures["quantize_failed"] = failed
    figures["quantize_seconds"] = {k: round(v, 1) for k, v in quantize_seconds.items()}
    figures["threads"] = args.threads
    figures["calibration"] = {
        "papers": len(calibration),
        "tokens_each": max_length,
        "batch": CALIBRATION_BATCH,
        "source": f"{labeled.name} rows after the first {EVALUATION_ROWS} (none of them in the evaluation sample)",
    }
    figures["shipped_sample_papers_in_evaluation"] = len(shipped_rows)
    figures["auto_check"] = decide_int8(archive, None).to_dict()  # what quantize=auto decides for the demo model
    (RESULTS / "int8_static.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
