"""Classify-stage benchmark: the stage vs. bare onnxruntime vs. the transformers pipeline, fp32 and int8.

Run with ``make bench``. Every figure comes from this one run, on the same texts,
the same model and the same thread budget; ratios are between figures of this run.
Writes ``bench/results/classify_benchmark.json`` and ``classify_benchmark.png``.

Model: a DistilBERT-base-shaped classifier (66M parameters, random weights; speed
does not depend on the weights) packaged by the project's own ``model package``.
Label agreement needs real weights (random ones give nearly every paper the same
label): the graph comparisons also run the demo model (``make demo-model``).
Texts: real abstracts (Kaggle-snapshot JSONL), title + abstract as the stage builds them.
The bare graphs run before and after the stages; their mean is the reference.
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
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pyarrow.parquet as pq

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "plugins"))

from arxiv_labeler.classify.landed_papers import count_papers  # noqa: E402
from arxiv_labeler.classify.stage import classify_records  # noqa: E402
from arxiv_labeler.devstack.demo import DEMO_REPLAY_DATA  # noqa: E402
from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier  # noqa: E402
from arxiv_labeler.engines.onnx_engine import OnnxEngine  # noqa: E402
from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, pad_batch  # noqa: E402
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record  # noqa: E402
from arxiv_labeler.harvest.models import records_table  # noqa: E402
from arxiv_labeler.model.archive import ModelArchive  # noqa: E402
from arxiv_labeler.model.quantize import quantize_graph_file, quantized_onnx_bytes  # noqa: E402
from arxiv_labeler.spark.class_archive import ARCHIVE_ENV, default_archive_path, driver_java_options  # noqa: E402
from arxiv_labeler.spark.session import SparkSettings, start_session  # noqa: E402
from arxiv_labeler.text import paper_text  # noqa: E402

RESULTS = PROJECT / "bench" / "results"
DEFAULT_DATA = PROJECT.parent / "shared" / "data" / "arxiv-metadata-sample.jsonl"
FALLBACK_DATA = DEMO_REPLAY_DATA
MAX_LENGTH = 128
BATCH_SIZE = 16


def build_model(directory: Path) -> tuple[Path, Path]:
    """DistilBERT-base shape (dim 768, 6 layers, 12 heads, ffn 3072, vocab 30522), saved and packaged."""
    zip_path = directory / "distilbert_base_random.zip"
    hf_dir = directory / "hf"
    if zip_path.exists() and hf_dir.exists():
        return zip_path, hf_dir
    import torch
    from arxiv_labeler.devstack.demo_model import minilm_dir
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


def write_landed_day(records: list[Any], path: Path) -> list[str]:
    """Write the records as one landed day's Parquet at ``path`` (2026-01-01); each paper's classified text."""
    day = dt.date(2026, 1, 1)
    pq.write_table(records_table(records, day, day, day), path)
    return [paper_text(r.title, r.abstract)[0] for r in records]


def model_flops(archive: ModelArchive, lengths: list[int]) -> float:
    """Forward FLOPs of the encoder for sequences of these lengths (matmuls + attention), head ignored."""
    dim, layers, ffn = 768, 6, 3072
    per_token = layers * 2 * (4 * dim * dim + 2 * dim * ffn)
    attention = sum(layers * 2 * 2 * n * n * dim for n in lengths)
    return float(sum(lengths) * per_token + attention)


def bare_onnxruntime(classifier: OnnxSequenceClassifier, id_lists: list[list[int]]) -> tuple[float, np.ndarray]:
    """Seconds for session.run alone over the same length-sorted batches the engine would build, and the logits."""
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
    chunks = [order[s : s + BATCH_SIZE] for s in range(0, len(order), BATCH_SIZE)]
    batches = [pad_batch([id_lists[i] for i in chunk]) for chunk in chunks]
    classifier.session.run(["logits"], {"input_ids": batches[0][0], "attention_mask": batches[0][1]})  # warm-up
    outputs = []
    started = time.perf_counter()
    for ids, mask in batches:
        outputs.append(classifier.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0])
    seconds = time.perf_counter() - started
    logits = np.zeros((len(id_lists), outputs[0].shape[1]), dtype=np.float32)
    for chunk, out in zip(chunks, outputs, strict=True):
        logits[chunk] = out
    return seconds, logits


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


def stage(
    spark: Any, zip_path: Path, archive: ModelArchive, records_path: Path, quantize: str, out: Path
) -> tuple[float, int, dict[str, Any]]:
    """Seconds for the classify stage end to end (read, tokenize, ONNX, annotate, write), peak RSS, engine timings."""
    engine = OnnxEngine(zip_path, archive.sha256, quantize=quantize, batch_size=BATCH_SIZE)
    frame = spark.read.parquet(str(records_path))
    # warm-up on a handful of rows: Python workers start and load their ONNX session once, as in a long backfill
    classify_records(spark, frame.limit(8), engine, archive, str(out / "warmup"), dt.datetime.now(dt.UTC).isoformat())
    with PeakMemory() as memory:
        started = time.perf_counter()
        counts = count_papers(pq.read_table(records_path), set(), reclassify=False)  # as the operator counts: in Arrow
        labeled_at = dt.datetime.now(dt.UTC).isoformat()
        result = classify_records(spark, frame, engine, archive, str(out / quantize), labeled_at, counts=counts)
        seconds = time.perf_counter() - started
    assert result.classified == frame.count(), result
    assert result.engine_timings is not None and result.engine_timings["papers"] == result.classified, result
    return seconds, memory.peak, result.engine_timings


def breakdown(stage_seconds: float, timings: dict[str, Any], cores: int, spark_startup: float) -> dict[str, float]:
    """Per paper, in wall-clock ms, where the stage's time went: the workers' measured steps and Spark's remainder.

    The workers' steps are core-seconds (one task per core), so each is divided by the cores; what the cores
    did outside them (scheduling, shuffles, counts, the Parquet write, a core idle at the end) is the rest.
    """
    papers = timings["papers"]
    steps = timings["seconds"]
    per_paper = {f"{name}_ms": round(1000 * value / cores / papers, 3) for name, value in steps.items()}
    outside = stage_seconds * cores - sum(steps.values())
    return per_paper | {
        "spark_outside_workers_ms": round(1000 * outside / cores / papers, 3),
        "stage_ms": round(1000 * stage_seconds / papers, 3),
        "session_start_ms_amortised": round(1000 * spark_startup / papers, 3),
    }


CLASSIFY_TASK = """
import json, sys, time
import airflow.sdk  # Airflow's supervisor forks the task process from one that has imported its SDK
forked_at = time.time()
started = time.perf_counter()
sys.path.insert(0, {plugins!r})
from arxiv_labeler.operators.classify import ClassifyPapersOperator
task = ClassifyPapersOperator(
    task_id="classify", run_config={config!r}, model={model!r}, harvest={harvest!r}, output_dir={output!r},
    spark_conn_id=None, warehouse_conn_id=None,
)
imported = time.perf_counter()
result = task.execute({{}})
print("CLASSIFY_TASK", json.dumps({{"execute_seconds": time.perf_counter() - imported, "import_seconds": imported - started,
                  "forked_at": forked_at, "classified": result["classified"], "task_seconds": result["seconds"],
                  "phases": result["phases"], "engine_timings": result["engine_timings"],
                  "engine_reason": result["engine_reason"]}}))
"""


def classify_task(
    zip_path: Path, archive: ModelArchive, records_path: Path, quantize: str, work: Path, class_archive: bool = True
) -> dict[str, Any]:
    """The DAG's classify task (the operator, Spark start-up included) in its own process, as Airflow runs it.

    ``wall_seconds`` runs from where Airflow's supervisor would fork the task (Airflow's SDK
    imported, as the supervisor has it) to the process's exit; ``process_seconds`` from the
    interpreter's start (its start-up and Airflow's import too).

    Peak RSS is sampled separately for the task process and for what it starts (the driver JVM
    and its Python workers): the stage alone is the latter. ``class_archive=False``: the driver
    starts without the class-data-sharing archive (``make venv`` records it), to show what it saves.
    """
    from arxiv_labeler.harvest.result import HarvestResult
    from arxiv_labeler.model.extract import safe_extract
    from arxiv_labeler.model.fetch import FetchedModel
    from arxiv_labeler.run.config import RunConfig

    model_dir = work / "model"
    if not (model_dir / "metadata").exists():
        model_dir.mkdir(parents=True, exist_ok=True)
        safe_extract(zip_path, model_dir)
    partition = work / "papers" / "harvest_day=2026-01-01"
    partition.mkdir(parents=True, exist_ok=True)
    (partition / "part-00000.parquet").write_bytes(records_path.read_bytes())
    day = dt.date(2026, 1, 1)
    config = RunConfig(day, day, "s3://bench/model.zip", engine="onnx", reclassify=True, quantize=quantize).to_xcom()
    model = FetchedModel(
        "s3://bench/model.zip", zip_path.stem, "bench", archive.sha256, zip_path.stat().st_size, str(zip_path),
        str(model_dir), False, tuple(archive.labels), archive.params.activation,
    ).to_xcom()  # fmt: skip
    harvest = HarvestResult(day, day, [str(partition)]).to_xcom()
    script = CLASSIFY_TASK.format(
        plugins=str(PROJECT / "plugins"), config=config, model=model, harvest=harvest, output=str(work / "labeled"),
    )  # fmt: skip
    env = dict(os.environ, AIRFLOW__CORE__LOAD_EXAMPLES="False", PYTHONPATH=str(PROJECT / "plugins"))
    if not class_archive:
        env[ARCHIVE_ENV] = ""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    peaks = {"task_process": 0, "stage": 0, "stage_jvm": 0, "stage_python_workers": 0}
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            own = watched.memory_info().rss
            children = [(c.name(), c.memory_info().rss) for c in watched.children(recursive=True) if c.is_running()]
        except psutil.Error:
            continue
        stage = sum(rss for _, rss in children)
        jvm = sum(rss for name, rss in children if name == "java")  # the rest: PySpark's daemon and its workers
        peaks["task_process"] = max(peaks["task_process"], own)
        peaks["stage"] = max(peaks["stage"], stage)
        peaks["stage_jvm"] = max(peaks["stage_jvm"], jvm)
        peaks["stage_python_workers"] = max(peaks["stage_python_workers"], stage - jvm)
        time.sleep(0.05)
    wall = time.perf_counter() - started
    ended_at = time.time()
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"classify task failed ({process.returncode})")
    (line,) = [line for line in out.splitlines() if line.startswith("CLASSIFY_TASK ")]  # Airflow may log to stdout too
    report = json.loads(line.removeprefix("CLASSIFY_TASK "))
    forked_wall = ended_at - report.pop("forked_at")
    return report | {"wall_seconds": forked_wall, "process_seconds": wall, "peak_rss_bytes": peaks}


def cpu_features() -> dict[str, Any]:
    """The instructions onnxruntime's int8 and bf16 kernels can use here, and its version."""
    import onnxruntime

    flags: set[str] = set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
                break
    wanted = ["avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16"]
    return {"onnxruntime": onnxruntime.__version__, "flags": {f: f in flags for f in wanted}}


def bf16_matmul_graph(graph: bytes) -> bytes:
    """The graph with every weight MatMul in bfloat16: weights stored as bf16, activations cast to bf16 and back."""
    import ml_dtypes
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(graph)
    weights = {w.name: w for w in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights:
            nodes.append(node)
            continue
        weight = weights[node.input[1]]
        weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight).astype(ml_dtypes.bfloat16), weight.name))
        activation, output = node.input[0], node.output[0]
        cast_in = helper.make_node("Cast", [activation], [f"{node.name}_in_bf16"], to=TensorProto.BFLOAT16)
        node.input[0], node.output[0] = cast_in.output[0], f"{node.name}_out_bf16"
        cast_out = helper.make_node("Cast", [node.output[0]], [output], to=TensorProto.FLOAT)
        nodes += [cast_in, node, cast_out]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model.SerializeToString()


def graph_variants(archive: ModelArchive, heads: int, hidden: int, work: Path) -> dict[str, bytes]:
    """The engine's graphs (plain fp32, int8 with 7-bit weights) and the candidates measured against them.

    fused: onnxruntime's transformer optimizer (fused attention, layer norm, GELU), then the engine's int8;
    int8_8bit_weights: full-range weights (safe from saturation only where the CPU has VNNI); bf16: MatMuls in bfloat16.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    work.mkdir(parents=True, exist_ok=True)
    plain = work / "plain.onnx"
    plain.write_bytes(archive.onnx_bytes)
    fused = work / "fused.onnx"
    if not fused.exists():
        model = optimizer.optimize_model(str(plain), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0)
        model.save_model_to_file(str(fused))
    fused_int8 = work / "fused-int8.onnx"
    if not fused_int8.exists():
        quantize_graph_file(fused, fused_int8)  # the engine's int8 settings, applied after fusion
    full_range = work / "int8-8bit.onnx"
    if not full_range.exists():
        quantize_dynamic(
            str(plain), str(full_range), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"], per_channel=True
        )
    return {
        "plain_fp32": plain.read_bytes(),
        "plain_int8": quantized_onnx_bytes(archive),
        "int8_8bit_weights": full_range.read_bytes(),
        "fused_fp32": fused.read_bytes(),
        "fused_int8": fused_int8.read_bytes(),
        "bf16": bf16_matmul_graph(archive.onnx_bytes),
    }


def compare_graphs(
    archive: ModelArchive,
    graphs: dict[str, bytes],
    id_lists: list[list[int]],
    threads: int,
    groups: list[str] | None,
    subsets: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Each graph over the same batches and threads: speed and labels against the plain fp32 graph.

    The plain fp32 graph runs first and last (its mean is the reference), so a drift of the machine's speed
    during the comparison does not favour the graphs in the middle. A graph onnxruntime cannot load is
    reported with its error. ``groups``: each paper's primary group, for accuracy (real weights only).
    ``subsets``: named lists of paper indices whose label agreement is reported too.
    """
    seconds: dict[str, float] = {}
    logits: dict[str, np.ndarray] = {}
    errors: dict[str, str] = {}
    for name in [*graphs, "plain_fp32_again"]:
        graph = graphs[name.removesuffix("_again")]
        try:
            classifier = OnnxSequenceClassifier.from_archive(archive, threads=threads, batch_size=BATCH_SIZE, onnx_bytes=graph)
        except Exception as exc:  # onnxruntime's NOT_IMPLEMENTED and friends: the finding, not a failure
            errors[name] = str(exc).strip().splitlines()[0][:300]
            continue
        seconds[name], logits[name] = bare_onnxruntime(classifier, id_lists)
    reference = (seconds.pop("plain_fp32") + seconds.pop("plain_fp32_again")) / 2
    labels = {name: value.argmax(1) for name, value in logits.items()}
    figures: dict[str, Any] = {
        "papers": len(id_lists),
        "plain_fp32_seconds_mean_of_first_and_last": round(reference, 3),
        "speed_vs_plain_fp32": {k: round(reference / v, 3) for k, v in seconds.items()},
        "label_agreement_with_plain_fp32": {
            k: round(float(np.mean(v == labels["plain_fp32"])), 4) for k, v in labels.items() if k != "plain_fp32_again"
        },
        "fp32_label_counts": dict(Counter(archive.labels[i] for i in labels["plain_fp32"]).most_common()),
        "not_runnable": errors,
    }
    for subset, rows in (subsets or {}).items():
        reference_rows = labels["plain_fp32"][rows]
        figures[f"label_agreement_on_{subset}"] = {
            k: round(float(np.mean(v[rows] == reference_rows)), 4) for k, v in labels.items() if k != "plain_fp32_again"
        }
    if groups is not None:
        figures["accuracy_vs_primary_group"] = {
            k: round(float(np.mean([archive.labels[i] == g for i, g in zip(v, groups, strict=True)])), 4)
            for k, v in labels.items()
            if k != "plain_fp32_again"
        }
    return figures


def demo_model(directory: Path) -> Path:
    """The demo model (MiniLM encoder, real weights, the committed head), built once as ``make demo-model`` does."""
    zip_path = directory / "arxiv_groups_demo.zip"
    if not zip_path.exists():
        command = [sys.executable, "-m", "arxiv_labeler", "model", "demo", "--output-dir", str(directory)]
        subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(PROJECT / "plugins")})
    return zip_path


def kernel_time_shares(graph: bytes, id_lists: list[list[int]], work: Path) -> dict[str, float]:
    """onnxruntime's own profile of 6 batches: the share of kernel time per operator (int8: the quantized GEMMs)."""
    import collections

    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.enable_profiling = True
    options.profile_file_prefix = str(work / "ort-profile")
    work.mkdir(parents=True, exist_ok=True)
    session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))[-6 * BATCH_SIZE :]
    for start in range(0, len(order), BATCH_SIZE):
        ids, mask = pad_batch([id_lists[i] for i in order[start : start + BATCH_SIZE]])
        session.run(["logits"], {"input_ids": ids, "attention_mask": mask})
    events = json.loads(Path(session.end_profiling()).read_text())
    times: collections.Counter[str] = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            times[event["args"]["op_name"]] += event["dur"]
    total = sum(times.values()) or 1
    return {name: round(value / total, 3) for name, value in times.most_common(6)}


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
    parser.add_argument("--papers", type=int, default=2000, help="about one arXiv day")
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--skip-task", action="store_true", help="skip the classify task runs in their own process")
    parser.add_argument("--skip-graphs", action="store_true", help="skip the optimized, int8 and bf16 graph comparisons")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    threads = os.cpu_count() or 1

    records = [to_record(entry) for entry in read_snapshot(args.data)][: args.papers]
    if len(records) < args.papers:  # the shared sample is absent (a fresh clone): say so before any figure is read
        print(f"bench: only {len(records)} papers in {args.data} (asked for {args.papers})", file=sys.stderr)
    records_path = RESULTS / "records.parquet"
    texts = write_landed_day(records, records_path)

    zip_path, hf_dir = build_model(RESULTS / "model")
    archive = ModelArchive.open(zip_path).validate()
    fp32 = OnnxSequenceClassifier.from_archive(archive, threads=threads, batch_size=BATCH_SIZE)
    int8_graph = quantized_onnx_bytes(archive)
    int8 = OnnxSequenceClassifier.from_archive(archive, threads=threads, batch_size=BATCH_SIZE, onnx_bytes=int8_graph)
    id_lists = [fp32.tokenizer.encode_ids(t) or [101, 102] for t in texts]
    lengths = [len(ids) for ids in id_lists]
    flops = model_flops(archive, lengths)

    tokenize = tokenization(archive.vocabulary, texts, MAX_LENGTH)
    # Bare graphs before and after the stages: the reference is their mean, so the machine's drift cancels.
    bare: dict[str, list[float]] = {"fp32": [], "int8": []}
    logits: dict[str, np.ndarray] = {}
    for name, classifier in (("fp32", fp32), ("int8", int8)):
        elapsed, logits[name] = bare_onnxruntime(classifier, id_lists)
        bare[name].append(elapsed)
    spark_started = time.perf_counter()
    spark = start_session(SparkSettings(master=f"local[{threads}]", driver_memory="4g"))
    spark_startup = time.perf_counter() - spark_started
    try:
        stage_fp32, peak_fp32, timings_fp32 = stage(spark, zip_path, archive, records_path, "none", RESULTS / "out")
        stage_int8, peak_int8, timings_int8 = stage(spark, zip_path, archive, records_path, "int8", RESULTS / "out")
    finally:
        spark.stop()
    for name, classifier in (("fp32", fp32), ("int8", int8)):
        bare[name].append(bare_onnxruntime(classifier, id_lists)[0])
    seconds: dict[str, float] = {
        "bare_onnxruntime_fp32": float(np.mean(bare["fp32"])),
        "bare_onnxruntime_int8": float(np.mean(bare["int8"])),
        "stage_fp32": stage_fp32,
        "stage_int8": stage_int8,
    }
    if not args.skip_transformers:
        seconds["transformers_fp32"] = transformers_pipeline(hf_dir, texts, threads)
    tasks = {}
    if not args.skip_task:
        for quantize in ("none", "int8"):
            tasks[quantize] = classify_task(zip_path, archive, records_path, quantize, RESULTS / f"task-{quantize}")
        int8_task = (zip_path, archive, records_path, "int8", RESULTS / "task-int8")
        tasks["int8_without_class_archive"] = classify_task(*int8_task, class_archive=False)
    graphs = {}
    if not args.skip_graphs:
        # Speed on the benchmark's model (its random weights make nearly every label the same: agreement means
        # little there), then speed, agreement and accuracy on the demo model's real weights.
        subset = id_lists[: min(600, len(id_lists))]
        graphs["distilbert_base_random"] = compare_graphs(
            archive, graph_variants(archive, 12, 768, RESULTS / "graphs-base"), subset, threads, None
        )
        demo = ModelArchive.open(demo_model(PROJECT / "data" / "demo-model")).validate()
        demo_ids = [WordpieceTokenizer(demo.vocabulary, False, demo.params.max_sentence_length).encode_ids(t) or [101, 102]
                    for t in texts]  # fmt: skip
        graphs["demo_model_real_weights"] = compare_graphs(
            demo, graph_variants(demo, 12, 384, RESULTS / "graphs-demo"), demo_ids, threads, [r.group for r in records]
        )

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
        "tokenize_papers_per_second_one_thread": tokenize
        | {"in_stage_per_core": round(timings_fp32["papers"] / timings_fp32["seconds"]["tokenize"], 1)},
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "bare_seconds_before_and_after_the_stages": {k: [round(v, 3) for v in values] for k, values in bare.items()},
        "spark_startup_seconds": round(spark_startup, 3),
        "spark_class_archive_used": bool(driver_java_options(default_archive_path())),
        "papers_per_second": {k: round(v, 2) for k, v in rate.items()},
        "model_gflops_per_second": {k: round(flops / seconds[k] / 1e9, 1) for k in ("bare_onnxruntime_fp32", "stage_fp32")},
        "ratio_vs_bare_onnxruntime": round(rate["stage_fp32"] / rate["bare_onnxruntime_fp32"], 3),
        "int8_ratio_vs_bare_onnxruntime": round(rate["stage_int8"] / rate["bare_onnxruntime_int8"], 3),
        "int8_speedup_vs_fp32_stage": round(rate["stage_int8"] / rate["stage_fp32"], 3),
        "graph_in_stage_vs_bare": {
            "fp32": round(seconds["bare_onnxruntime_fp32"] / (timings_fp32["seconds"]["graph"] / threads), 3),
            "int8": round(seconds["bare_onnxruntime_int8"] / (timings_int8["seconds"]["graph"] / threads), 3),
        },
        "int8_label_agreement_random_weights": round(float(np.mean(logits["fp32"].argmax(1) == logits["int8"].argmax(1))), 4),
        "peak_rss_bytes_bench_process_and_children": {"stage_fp32": peak_fp32, "stage_int8": peak_int8},
        "per_paper_breakdown_fp32": breakdown(stage_fp32, timings_fp32, threads, spark_startup),
        "per_paper_breakdown_int8": breakdown(stage_int8, timings_int8, threads, spark_startup),
        "engine_timings": {"fp32": timings_fp32, "int8": timings_int8},
        "cpu": cpu_features() | {"int8_kernel_time_shares": kernel_time_shares(int8_graph, id_lists, RESULTS / "profile")},
    }
    for quantize, task in tasks.items():
        name = {"none": "fp32"}.get(quantize, quantize)
        bare_name = "fp32" if quantize == "none" else "int8"
        figures[f"classify_task_{name}"] = {
            "seconds_start_to_finish": round(task["wall_seconds"], 2),
            "seconds_with_interpreter_and_airflow_import": round(task["process_seconds"], 2),
            "seconds_in_execute": round(task["execute_seconds"], 2),
            "ratio_to_bare_graph_seconds": round(task["wall_seconds"] / seconds[f"bare_onnxruntime_{bare_name}"], 3),
            "peak_rss_bytes_stage_jvm_and_workers": task["peak_rss_bytes"]["stage"],
            "peak_rss_bytes_task_process": task["peak_rss_bytes"]["task_process"],
            "classified": task["classified"],
        }
    if graphs:
        figures["graphs"] = graphs
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
