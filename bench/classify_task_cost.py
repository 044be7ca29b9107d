"""The classify task's fixed cost on a day's volume (``make bench-task``): the task against the bare graph, and where it goes.

One run on this machine: the bare int8 graph (one two-thread session over the day's pre-tokenized batches) before
and after, and the DAG's classify task in its own process as Airflow runs it (``classify_benchmark.classify_task``:
imports, the Spark driver, the Python workers and their sessions, the Parquet in and out), on the same 2,000 real
abstracts and the DistilBERT-base-shaped model of ``make bench``. Prints the task's time over the bare graph's
and the task's phases (the XCom's ``phases`` and the workers' ``engine_timings``); writes
``bench/results/classify_task_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "plugins"))
sys.path.insert(0, str(PROJECT / "bench"))

from arxiv_labeler.engines.onnx_classifier import OnnxSequenceClassifier  # noqa: E402
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record  # noqa: E402
from arxiv_labeler.model.archive import ModelArchive  # noqa: E402
from arxiv_labeler.model.quantize import quantized_onnx_bytes  # noqa: E402
from classify_benchmark import (  # noqa: E402
    BATCH_SIZE,
    DEFAULT_DATA,
    FALLBACK_DATA,
    RESULTS,
    bare_onnxruntime,
    build_model,
    classify_task,
    write_landed_day,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--quantize", default="int8", choices=["none", "int8"])
    parser.add_argument("--tasks", type=int, default=2, help="task runs (the first also writes the worker bundle)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    records = [to_record(entry) for entry in read_snapshot(args.data)][: args.papers]
    records_path = RESULTS / "records.parquet"
    texts = write_landed_day(records, records_path)
    zip_path, _ = build_model(RESULTS / "model")
    archive = ModelArchive.open(zip_path).validate()
    graph = quantized_onnx_bytes(archive) if args.quantize == "int8" else None
    threads = os.cpu_count() or 1
    bare_classifier = OnnxSequenceClassifier.from_archive(archive, threads=threads, batch_size=BATCH_SIZE, onnx_bytes=graph)
    id_lists = [bare_classifier.tokenizer.encode_ids(t) or [101, 102] for t in texts]
    bare = [bare_onnxruntime(bare_classifier, id_lists)[0]]
    tasks: list[dict[str, Any]] = []
    for _ in range(args.tasks):
        tasks.append(classify_task(zip_path, archive, records_path, args.quantize, RESULTS / f"task-cost-{args.quantize}"))
    bare.append(bare_onnxruntime(bare_classifier, id_lists)[0])
    reference = float(np.mean(bare))
    best = min(tasks, key=lambda t: t["wall_seconds"])
    figures = {
        "papers": len(records),
        "quantize": args.quantize,
        "bare_graph_seconds": [round(b, 2) for b in bare],
        "task_wall_seconds": [round(t["wall_seconds"], 2) for t in tasks],  # from the supervisor's fork
        "task_process_seconds": [round(t["process_seconds"], 2) for t in tasks],  # interpreter and Airflow's import too
        "task_over_bare": round(best["wall_seconds"] / reference, 3),
        "best_task": best,
    }
    (RESULTS / "classify_task_cost.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
