"""Classify-stage benchmark: the stage vs. bare onnxruntime vs. the transformers pipeline, fp32 and int8.

Run with ``make bench``. Every figure comes from this one run, on the same texts,
the same model and the same thread budget; ratios are between figures of this run.
Writes ``bench/results/classify_benchmark.json`` and ``classify_benchmark.png``.

Model: a DistilBERT-base-shaped classifier (66M parameters, random weights; speed
does not depend on the weights) packaged by the project's own ``model package``.
Texts: real abstracts (Kaggle-snapshot JSONL), title + abstract as the stage builds them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pyarrow.parquet as pq

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "plugins"))

from arxiv_labeler.engines.classify_stage import classify_records  # noqa: E402
from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier  # noqa: E402
from arxiv_labeler.engines.onnx_engine import OnnxEngine  # noqa: E402
from arxiv_labeler.engines.spark_session import SparkSettings, start_session  # noqa: E402
from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, pad_batch  # noqa: E402
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record  # noqa: E402
from arxiv_labeler.harvest.models import records_table  # noqa: E402
from arxiv_labeler.model.archive import ModelArchive  # noqa: E402
from arxiv_labeler.model.quantize import quantized_onnx_bytes  # noqa: E402
from arxiv_labeler.text import paper_text  # noqa: E402

RESULTS = PROJECT / "bench" / "results"
DEFAULT_DATA = PROJECT.parent / "shared" / "data" / "arxiv-metadata-sample.jsonl"
FALLBACK_DATA = PROJECT / "include" / "replay" / "arxiv-demo.jsonl"
MAX_LENGTH = 128
BATCH_SIZE = 16


def build_model(directory: Path) -> tuple[Path, Path]:
    """DistilBERT-base shape (dim 768, 6 layers, 12 heads, ffn 3072, vocab 30522), saved and packaged."""
    zip_path = directory / "distilbert_base_random.zip"
    hf_dir = directory / "hf"
    if zip_path.exists() and hf_dir.exists():
        return zip_path, hf_dir
    import torch
    from arxiv_labeler.model.demo import minilm_dir
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(0)
    labels = ["cs", "econ", "eess", "math", "physics", "q-bio", "q-fin", "stat"]
    config = DistilBertConfig(
        num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={v: k for k, v in enumerate(labels)}
    )
    model = DistilBertForSequenceClassification(config).eval()
    hf_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(hf_dir)
    (hf_dir / "vocab.txt").write_bytes((minilm_dir() / "vocab.txt").read_bytes())  # bert-base-uncased vocabulary
    from transformers import BertTokenizerFast

    BertTokenizerFast(vocab_file=str(hf_dir / "vocab.txt"), do_lower_case=True).save_pretrained(hf_dir)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "arxiv_labeler",
            "model",
            "package",
            "--huggingface",
            str(hf_dir),
            "--param",
            f"maxSentenceLength={MAX_LENGTH}",
            "--param",
            f"batchSize={BATCH_SIZE}",
            "--param",
            "caseSensitive=false",
            "-o",
            str(zip_path),
        ],
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT / "plugins")},
    )
    return zip_path, hf_dir


class PeakMemory:
    """Peak RSS of this process and its children (Spark JVM, Python workers), sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def model_flops(archive: ModelArchive, lengths: list[int]) -> float:
    """Forward FLOPs of the encoder for sequences of these lengths (matmuls + attention), head ignored."""
    dim, layers, ffn = 768, 6, 3072
    per_token = layers * 2 * (4 * dim * dim + 2 * dim * ffn)
    attention = sum(layers * 2 * 2 * n * n * dim for n in lengths)
    return float(sum(lengths) * per_token + attention)


def bare_onnxruntime(classifier: OnnxSequenceClassifier, id_lists: list[list[int]]) -> float:
    """Seconds for session.run alone over the same length-sorted batches the engine would build."""
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
    batches = [pad_batch([id_lists[i] for i in order[s : s + BATCH_SIZE]]) for s in range(0, len(order), BATCH_SIZE)]
    classifier.session.run(["logits"], {"input_ids": batches[0][0], "attention_mask": batches[0][1]})  # warm-up
    started = time.perf_counter()
    for ids, mask in batches:
        classifier.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})
    return time.perf_counter() - started


def transformers_pipeline(hf_dir: Path, texts: list[str], threads: int) -> float:
    """Seconds for the Hugging Face text-classification pipeline, defaults + truncation to MAX_LENGTH."""
    import torch
    from transformers import pipeline

    torch.set_num_threads(threads)
    classifier = pipeline("text-classification", model=str(hf_dir), tokenizer=str(hf_dir), device="cpu")
    classifier(texts[:2], truncation=True, max_length=MAX_LENGTH)  # warm-up
    started = time.perf_counter()
    classifier(texts, truncation=True, max_length=MAX_LENGTH)
    return time.perf_counter() - started


def stage(spark: Any, zip_path: Path, archive: ModelArchive, records_path: Path, quantize: str, out: Path) -> tuple[float, int]:
    """Seconds for the classify stage end to end (read, tokenize, ONNX, annotate, write), and peak RSS."""
    engine = OnnxEngine(zip_path, archive.sha256, quantize=quantize, batch_size=BATCH_SIZE)
    frame = spark.read.parquet(str(records_path))
    # warm-up on a handful of rows: Python workers start and load their ONNX session once, as in a long backfill
    classify_records(spark, frame.limit(8), engine, archive, str(out / "warmup"), dt.datetime.now(dt.UTC).isoformat())
    with PeakMemory() as memory:
        started = time.perf_counter()
        result = classify_records(spark, frame, engine, archive, str(out / quantize), dt.datetime.now(dt.UTC).isoformat())
        seconds = time.perf_counter() - started
    assert result.classified == frame.count(), result
    return seconds, memory.peak


def chart(figures: dict[str, Any], path: Path) -> None:
    """Papers/s of each configuration, as a bar chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["stage_fp32", "bare_onnxruntime_fp32", "transformers_fp32", "stage_int8", "bare_onnxruntime_int8"]
    values = [figures["papers_per_second"][n] for n in names]
    fig, axis = plt.subplots(figsize=(8, 4))
    bars = axis.bar(
        [n.replace("_", "\n", 1) for n in names], values, color=["#2b6cb0", "#90cdf4", "#a0aec0", "#2f855a", "#9ae6b4"]
    )
    axis.bar_label(bars, fmt="%.1f")
    axis.set_ylabel("papers / s")
    axis.set_title(f"Classify stage, DistilBERT-base (66M), {figures['papers']} real abstracts, {figures['threads']} threads")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def tokenization(vocabulary: dict[str, int], texts: list[str], max_length: int) -> dict[str, float]:
    """Papers/s on one thread, cold caches: the ids fast path and the full encode (tokens + offsets) it replaced."""
    rates = {}
    for name in ("encode_with_offsets", "encode_ids"):
        tokenizer = WordpieceTokenizer(vocabulary, case_sensitive=False, max_sentence_length=max_length)
        run = tokenizer.encode if name == "encode_with_offsets" else tokenizer.encode_ids
        started = time.perf_counter()
        for text in texts:
            run(text)
        rates[name] = round(len(texts) / (time.perf_counter() - started), 1)
    rates["speedup"] = round(rates["encode_ids"] / rates["encode_with_offsets"], 2)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA)
    parser.add_argument("--papers", type=int, default=600)
    parser.add_argument("--skip-transformers", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    threads = os.cpu_count() or 1

    records = [to_record(entry) for entry in read_snapshot(args.data)][: args.papers]
    day = dt.date(2026, 1, 1)
    records_path = RESULTS / "records.parquet"
    pq.write_table(records_table(records, day, day, day), records_path)
    texts = [paper_text(r.title, r.abstract)[0] for r in records]

    zip_path, hf_dir = build_model(RESULTS / "model")
    archive = ModelArchive.open(zip_path).validate()
    fp32 = OnnxSequenceClassifier.from_archive(archive, threads=threads, batch_size=BATCH_SIZE)
    int8 = OnnxSequenceClassifier.from_archive(
        archive, threads=threads, batch_size=BATCH_SIZE, onnx_bytes=quantized_onnx_bytes(archive)
    )
    id_lists = [fp32.tokenizer.encode_ids(t) or [101, 102] for t in texts]
    lengths = [len(ids) for ids in id_lists]
    flops = model_flops(archive, lengths)

    tokenize = tokenization(archive.vocabulary, texts, MAX_LENGTH)
    seconds: dict[str, float] = {}
    seconds["bare_onnxruntime_fp32"] = bare_onnxruntime(fp32, id_lists)
    seconds["bare_onnxruntime_int8"] = bare_onnxruntime(int8, id_lists)
    spark_started = time.perf_counter()
    spark = start_session(SparkSettings(master=f"local[{threads}]", driver_memory="4g"))
    spark_startup = time.perf_counter() - spark_started
    try:
        seconds["stage_fp32"], peak_fp32 = stage(spark, zip_path, archive, records_path, "none", RESULTS / "out")
        seconds["stage_int8"], peak_int8 = stage(spark, zip_path, archive, records_path, "int8", RESULTS / "out")
    finally:
        spark.stop()
    if not args.skip_transformers:
        seconds["transformers_fp32"] = transformers_pipeline(hf_dir, texts, threads)

    fp32_labels = [c[0].result for c in fp32.classify(texts)]
    int8_labels = [c[0].result for c in int8.classify(texts)]
    rate = {name: len(texts) / value for name, value in seconds.items()}
    figures: dict[str, Any] = {
        "papers": len(texts),
        "data": str(args.data),
        "threads": threads,
        "model": {
            "shape": "DistilBERT-base (dim 768, 6 layers, 66M parameters), random weights",
            "zip": zip_path.name,
            "max_sentence_length": MAX_LENGTH,
            "batch_size": BATCH_SIZE,
        },
        "mean_tokens": float(np.mean(lengths)),
        "tokenize_papers_per_second_one_thread": tokenize,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "spark_startup_seconds": round(spark_startup, 3),
        "papers_per_second": {k: round(v, 2) for k, v in rate.items()},
        "model_gflops_per_second": {k: round(flops / seconds[k] / 1e9, 1) for k in ("bare_onnxruntime_fp32", "stage_fp32")},
        "ratio_vs_bare_onnxruntime": round(rate["stage_fp32"] / rate["bare_onnxruntime_fp32"], 3),
        "int8_ratio_vs_bare_onnxruntime": round(rate["stage_int8"] / rate["bare_onnxruntime_int8"], 3),
        "int8_speedup_vs_fp32_stage": round(rate["stage_int8"] / rate["stage_fp32"], 3),
        "int8_label_agreement_random_weights": round(float(np.mean(np.array(fp32_labels) == np.array(int8_labels))), 4),
        "peak_rss_bytes": {"stage_fp32": peak_fp32, "stage_int8": peak_int8},
    }
    if "transformers_fp32" in rate:
        figures["ratio_vs_transformers"] = round(rate["stage_fp32"] / rate["transformers_fp32"], 3)
        figures["int8_ratio_vs_transformers"] = round(rate["stage_int8"] / rate["transformers_fp32"], 3)
    (RESULTS / "classify_benchmark.json").write_text(json.dumps(figures, indent=2))
    if "transformers_fp32" in rate:
        chart(figures, RESULTS / "classify_benchmark.png")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
