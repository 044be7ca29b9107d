"""How cost grows with the work (``make bench-scale``): classify, harvest and load at 1k to 64k papers, and the skip path.

Every figure comes from this one run on this machine; the targets are ratios between sizes of the
same run (papers/s at 64k against 4k, peak RSS at 64k against 4k), so the machine's speed cancels.
- classify: the DAG's classify task in its own process, as Airflow runs it (``classify_benchmark.classify_task``),
  on the demo model (real weights), over the shared sample's 2,000 real abstracts repeated with distinct ids;
  papers/s is taken over the task's time beyond its fixed cost (the same task on 8 papers: JVM, session,
  model load), peak RSS over what the task starts (the driver JVM and its Python workers).
- harvest: the replay server serving one day of N records in pages of 1,000 (no delay between requests).
- load: the landed day and its labels into DuckDB and into a throwaway PostgreSQL database.
- the skip path: which of a 2,000-paper day's papers a warehouse already holding 1,000,000 labels of the model has
  labeled with the same text (what a rerun checks before starting Spark).
Writes ``bench/results/scale_benchmark.json`` and ``scale_benchmark.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "plugins"))
sys.path.insert(0, str(PROJECT / "bench"))

from arxiv_labeler.harvest.harvester import PAGE_ROW_GROUP  # noqa: E402
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record  # noqa: E402
from arxiv_labeler.harvest.models import PaperRecord, records_table  # noqa: E402
from arxiv_labeler.model.archive import ModelArchive  # noqa: E402
from classify_benchmark import DEFAULT_DATA, FALLBACK_DATA, classify_task, demo_model  # noqa: E402

RESULTS = PROJECT / "bench" / "results"
SIZES = (1_000, 4_000, 16_000, 64_000)
DAY = dt.date(2026, 1, 5)
FIXED_COST_PAPERS = 8


def repeated_records(source: list[PaperRecord], n: int) -> list[PaperRecord]:
    """``n`` records from the real ones, repeated with distinct arXiv ids (and today's day)."""
    return [
        dataclasses.replace(source[i % len(source)], arxiv_id=f"9{i // 100_000:03d}.{i % 100_000:05d}", datestamp=DAY)
        for i in range(n)
    ]


def landed_day(records: list[PaperRecord], work: Path) -> Path:
    """One landed day's Parquet, as the harvest writes it."""
    path = work / f"records-{len(records)}.parquet"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        pq.write_table(records_table(records, DAY, DAY, DAY), path, row_group_size=PAGE_ROW_GROUP)  # as the harvest does
    return path


def classify_growth(
    zip_path: Path, records: list[PaperRecord], work: Path, quantize: str, sizes: tuple[int, ...]
) -> dict[str, Any]:
    """The classify task at each size; papers/s beyond the fixed cost and the stage's peak RSS."""
    archive = ModelArchive.open(zip_path)
    fixed = classify_task(zip_path, archive, landed_day(records[:FIXED_COST_PAPERS], work), quantize, work / "task-fixed")
    figures: dict[str, Any] = {}
    for n in sizes:
        report = classify_task(zip_path, archive, landed_day(repeated_records(records, n), work), quantize, work / f"task-{n}")
        assert report["classified"] == n, report
        beyond_fixed = report["task_seconds"] - fixed["task_seconds"]
        figures[str(n)] = {
            "task_seconds": round(report["task_seconds"], 2),
            "wall_seconds": round(report["wall_seconds"], 2),
            "papers_per_second": round(n / beyond_fixed, 2),
            "papers_per_second_with_fixed_cost": round(n / report["task_seconds"], 2),
            "stage_peak_rss_gb": round(report["peak_rss_bytes"]["stage"] / 1e9, 3),
            "task_process_peak_rss_gb": round(report["peak_rss_bytes"]["task_process"] / 1e9, 3),
            "stage_jvm_peak_rss_gb": round(report["peak_rss_bytes"]["stage_jvm"] / 1e9, 3),
            "stage_python_workers_peak_rss_gb": round(report["peak_rss_bytes"]["stage_python_workers"] / 1e9, 3),
        }
        print(f"classify {n}: {figures[str(n)]}", flush=True)
    return {"quantize": quantize, "fixed_cost_seconds": round(fixed["task_seconds"], 2), "sizes": figures}


@contextmanager
def replay_day(records: list[PaperRecord], work: Path) -> Iterator[str]:
    """The project's OAI replay server serving ``records`` as one day, in pages of 1,000."""
    from arxiv_labeler.devstack.oai_replay import OaiReplayServer, ReplayArchive

    entries = [snapshot_entry(r) for r in records]
    with OaiReplayServer(ReplayArchive(entries), page_size=1000) as server:
        yield server.url


def snapshot_entry(record: PaperRecord) -> dict[str, Any]:
    """A Kaggle-snapshot object for the replay server (what ``kaggle.to_record`` reads back)."""
    stamp = "Mon, 5 Jan 2026 10:00:00 GMT"
    return {
        "id": record.arxiv_id,
        "title": record.title,
        "abstract": record.abstract,
        "authors": ", ".join(record.authors),
        "authors_parsed": [[a, "", ""] for a in record.authors],
        "categories": " ".join(record.categories),
        "update_date": DAY.isoformat(),
        "versions": [{"version": "v1", "created": stamp}],
    }


def in_child(function: str, **kwargs: Any) -> dict[str, Any]:
    """Run ``function(**kwargs)`` of this module in a fresh process; its JSON result and the process's peak RSS.

    A fresh process per measurement: an earlier size's memory, kept by the allocator, is not counted again.
    """
    script = (
        f"import json, sys; sys.path[:0] = [{str(PROJECT / 'bench')!r}, {str(PROJECT / 'plugins')!r}]; "
        f"import scale_benchmark as b; print('RESULT', json.dumps(b.{function}(**{kwargs!r})))"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        with suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.02)
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{function} failed ({process.returncode})")
    (line,) = [line for line in out.splitlines() if line.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT ")) | {"peak_rss_gb": round(peak / 1e9, 3)}


def harvest_once(url: str, landing: str) -> dict[str, Any]:
    """Harvest the day from ``url`` into ``landing`` (in a child process: ``in_child``)."""
    from arxiv_labeler.harvest.client import oai_client
    from arxiv_labeler.harvest.harvester import Harvester

    client = oai_client(url, {"delay_seconds": 0.0, "backoff_seconds": 0.1})
    started = time.perf_counter()
    result = Harvester(client, Path(landing)).harvest(DAY, DAY, today=DAY)
    seconds = time.perf_counter() - started
    client.close()
    return {"seconds": round(seconds, 2), "records": result.records, "pages": result.pages}


def harvest_growth(records: list[PaperRecord], work: Path, sizes: tuple[int, ...]) -> dict[str, Any]:
    """Harvest a day of each size from the replay server (in this process): seconds, records/s, pages, peak RSS."""
    figures: dict[str, Any] = {}
    for n in sizes:
        with replay_day(repeated_records(records, n), work) as url:
            report = in_child("harvest_once", url=url, landing=str(work / f"landing-{n}"))
        assert report["records"] == n, report
        figures[str(n)] = report | {"records_per_second": round(n / report["seconds"], 1)}
        print(f"harvest {n}: {figures[str(n)]}", flush=True)
    return {"sizes": figures}


def labels_for(papers: pa.Table, model_id: str, labels: list[str]) -> pa.Table:
    """A labeled output for the papers (the classify stage's columns the load reads), labels dealt round robin."""
    n = papers.num_rows
    top = [labels[i % len(labels)] for i in range(n)]
    scores = [[(label, 0.9 if label == t else 0.1 / (len(labels) - 1)) for label in labels] for t in top]
    return pa.table(
        {
            "arxiv_id": papers.column("arxiv_id"),
            "model_id": pa.array([model_id] * n),
            "label": pa.array(top),
            "score": pa.array([0.9] * n, pa.float32()),
            "scores": pa.array(scores, pa.map_(pa.string(), pa.float32())),
            "text_sha256": papers.column("text_sha256"),
            "text_source": papers.column("text_source"),
            "labeled_at": pa.array([dt.datetime(2026, 1, 6)] * n, pa.timestamp("us")),
        }
    )


MODEL_LABELS = ["cs", "math", "physics"]


def run_outputs(records: list[PaperRecord], work: Path, n: int) -> tuple[str, str]:
    """A landed partition and a labeled output of ``n`` papers on disk, as the harvest and classify tasks leave them."""
    partition = work / f"run-{n}" / "papers" / f"harvest_day={DAY}"
    labeled = work / f"run-{n}" / "labeled"
    if not (labeled / "part-0.parquet").exists():
        papers = pq.read_table(landed_day(repeated_records(records, n), work))
        partition.mkdir(parents=True, exist_ok=True)
        labeled.mkdir(parents=True, exist_ok=True)
        pq.write_table(papers, partition / "part-00000.parquet", row_group_size=5_000)  # as the harvest writes it
        pq.write_table(labels_for(papers, "bench@sha256:0", MODEL_LABELS), labeled / "part-0.parquet", row_group_size=5_000)
    return str(partition), str(labeled)


def load_once(url: str, partition: str, labeled: str, n: int) -> dict[str, Any]:
    """The load task's path (``RunToLoad.opened`` then ``load_run``) into ``url`` (in a child process: ``in_child``)."""
    from arxiv_labeler.classify.result import ClassifyResult
    from arxiv_labeler.harvest.result import DayResult, HarvestResult
    from arxiv_labeler.model.fetch import FetchedModel
    from arxiv_labeler.run.config import RunConfig
    from arxiv_labeler.warehouse import open_warehouse
    from arxiv_labeler.warehouse.stage import RunToLoad, load_run

    model = FetchedModel("s3://b/m.zip", "bench", "e", "0", 1, "/m.zip", "/m", False, tuple(MODEL_LABELS), "softmax")
    harvest = HarvestResult(DAY, DAY, [partition], [DayResult(DAY, records=n, new=n)])
    classify = ClassifyResult(labeled, "onnx", "", model.model_id, MODEL_LABELS, n, n, 0, 0, 0)
    run = RunToLoad(RunConfig(DAY, DAY, "s3://b/m.zip"), model, harvest, classify)
    warehouse = open_warehouse(url)
    warehouse.migrate()
    started = time.perf_counter()
    with run.opened() as batch:
        result = load_run(warehouse, batch, run.record(f"bench-{n}", "manual"))
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "papers": result.papers_inserted, "labels": result.labels_written}


def load_growth(records: list[PaperRecord], work: Path, postgres_admin: str | None, sizes: tuple[int, ...]) -> dict[str, Any]:
    """Load a day of each size into a fresh DuckDB file and a fresh PostgreSQL database: rows/s and peak RSS."""
    results: dict[str, Any] = {}
    for dialect in ("duckdb", "postgres"):
        if dialect == "postgres" and postgres_admin is None:
            continue
        figures: dict[str, Any] = {}
        for n in sizes:
            partition, labeled = run_outputs(records, work, n)
            with throwaway_warehouse(dialect, work, f"load_{n}", postgres_admin) as url:
                report = in_child("load_once", url=url, partition=partition, labeled=labeled, n=n)
            assert report["papers"] == n and report["labels"] == n, report
            figures[str(n)] = report | {"rows_per_second": round(2 * n / report["seconds"], 1)}
            print(f"load {dialect} {n}: {figures[str(n)]}", flush=True)
        results[dialect] = {"sizes": figures}
    return results


@contextmanager
def throwaway_warehouse(dialect: str, work: Path, name: str, postgres_admin: str | None) -> Iterator[str]:
    """A fresh warehouse URL: a new DuckDB file, or a PostgreSQL database created and dropped around the block."""
    if dialect == "duckdb":
        path = work / f"{name}.duckdb"
        path.unlink(missing_ok=True)
        yield f"duckdb://{path}"
        path.unlink(missing_ok=True)
        return
    import psycopg

    assert postgres_admin is not None
    database = f"arxiv_bench_{name}_{os.getpid()}"
    with psycopg.connect(f"{postgres_admin}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.execute(f"CREATE DATABASE {database}")
    try:
        yield f"{postgres_admin}/{database}"
    finally:
        with psycopg.connect(f"{postgres_admin}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def skip_path(records: list[PaperRecord], work: Path, postgres_admin: str | None, held: int) -> dict[str, Any]:
    """Seconds for ``labeled_hashes`` of a 2,000-paper day on a warehouse holding ``held`` labels of the model."""
    from arxiv_labeler.run.record import RunRecord
    from arxiv_labeler.warehouse import ModelInfo, open_warehouse

    model = ModelInfo("bench@sha256:0", "bench", "0", ["cs", "math", "physics"])
    history = pq.read_table(landed_day(repeated_records(records, held), work))
    day = history.slice(held - 1_500, 1_500)  # 1,500 papers labeled before, 500 new ones
    fresh = pq.read_table(landed_day(repeated_records(records, held + 500), work)).slice(held, 500)
    ids = day.column("arxiv_id").to_pylist() + fresh.column("arxiv_id").to_pylist()
    results: dict[str, Any] = {}
    for dialect in ("duckdb", "postgres"):
        if dialect == "postgres" and postgres_admin is None:
            continue
        with throwaway_warehouse(dialect, work, "skip", postgres_admin) as url:
            warehouse = open_warehouse(url)
            warehouse.migrate()
            run = RunRecord("bench-history", "backfill", DAY, DAY, model.model_id, "onnx")
            warehouse.load(history, labels_for(history, model.model_id, model.labels), model, run)
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                known = warehouse.labeled_hashes(model.model_id, ids)
                timings.append(time.perf_counter() - started)
            assert len(known) == 1_500, len(known)
        results[dialect] = {"median_seconds": round(statistics.median(timings), 3), "labels_held": held, "day_papers": len(ids)}
        print(f"skip path {dialect}: {results[dialect]}", flush=True)
    return results


def chart(figures: dict[str, Any], path: Path) -> None:
    """Seconds against papers for each stage (log-log: a straight line of slope 1 is linear growth)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {"classify task": (figures.get("classify"), "task_seconds"), "harvest (replay)": (figures.get("harvest"), "seconds")}
    for dialect, values in figures.get("load", {}).items():
        series[f"load ({dialect})"] = (values, "seconds")
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for (name, (values, key)), marker in zip(series.items(), "os^v", strict=False):
        if values:
            sizes = sorted(int(n) for n in values["sizes"])
            axis.plot(sizes, [values["sizes"][str(n)][key] for n in sizes], f"{marker}-", label=name)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("papers in the run")
    axis.set_ylabel("seconds")
    axis.set_title("arxiv-labeler: cost against papers (make bench-scale)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA)
    parser.add_argument("--only", choices=["classify", "harvest", "load", "skip"], action="append")
    parser.add_argument("--quantize", default="int8", choices=["none", "int8"])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432", help="admin DSN base (empty: skip)")
    parser.add_argument("--labels-held", type=int, default=1_000_000)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="papers per run (4000 and 64000 for the ratios)"
    )
    args = parser.parse_args()
    sizes = tuple(args.sizes)
    only = set(args.only or ["classify", "harvest", "load", "skip"])
    work = RESULTS / "scale"
    work.mkdir(parents=True, exist_ok=True)
    records = [to_record(entry) for entry in read_snapshot(args.data)]
    postgres = args.postgres or None
    output = RESULTS / "scale_benchmark.json"
    figures: dict[str, Any] = json.loads(output.read_text()) if output.exists() else {}
    figures["machine"] = {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 1e9, 1)}
    if "classify" in only:
        figures["classify"] = classify_growth(demo_model(PROJECT / "data" / "demo-model"), records, work, args.quantize, sizes)
    if "harvest" in only:
        figures["harvest"] = harvest_growth(records, work, sizes)
    if "load" in only:
        figures["load"] = load_growth(records, work, postgres, sizes)
    if "skip" in only:
        figures["skip_path"] = skip_path(records, work, postgres, args.labels_held)
    figures["ratios"] = ratios(figures)
    output.write_text(json.dumps(figures, indent=2))
    chart(figures, RESULTS / "scale_benchmark.png")
    print(json.dumps(figures["ratios"], indent=2))
    return 0


def ratios(figures: dict[str, Any]) -> dict[str, float]:
    """64k against 4k for every stage measured: the growth targets."""
    out: dict[str, float] = {}

    def ratio(name: str, values: dict[str, Any], key: str) -> None:
        if "64000" in values and "4000" in values:
            out[name] = round(values["64000"][key] / values["4000"][key], 3)

    if "classify" in figures:
        ratio("classify_papers_per_second_64k_over_4k", figures["classify"]["sizes"], "papers_per_second")
        ratio("classify_stage_peak_rss_64k_over_4k", figures["classify"]["sizes"], "stage_peak_rss_gb")
    if "harvest" in figures:
        ratio("harvest_records_per_second_64k_over_4k", figures["harvest"]["sizes"], "records_per_second")
        ratio("harvest_peak_rss_64k_over_4k", figures["harvest"]["sizes"], "peak_rss_gb")
    for dialect, values in figures.get("load", {}).items():
        ratio(f"load_{dialect}_rows_per_second_64k_over_4k", values["sizes"], "rows_per_second")
        ratio(f"load_{dialect}_peak_rss_64k_over_4k", values["sizes"], "peak_rss_gb")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
