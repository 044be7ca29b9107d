"""The labels page's queries on a warehouse of 1,000,000 papers labeled by two models (``make bench-ui``).

Fills a DuckDB file and a throwaway PostgreSQL database (created here, dropped at the end) through the
project's own schema (``Warehouse.migrate``) with bulk inserts: DuckDB from Arrow, PostgreSQL with COPY
(the migration's secondary indexes are dropped for the COPY and rebuilt from their own definitions after
it, as a bulk load would; the rebuild is timed and reported). Then times the API's requests (the app's
own routes and reader functions, the auth dependency overridden): the median of several runs of the list,
search, detail, summary and compare requests, and an export. Target: each request under 200 ms.

The text is real: titles, sentences and author names of the 2,000 papers of the shared arXiv sample,
recombined (a title from two titles' halves, an abstract from 3 to 6 sentences), so word frequencies and
lengths are arXiv's. Writes ``bench/results/papers_view_benchmark.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "plugins"))

from arxiv_labeler.harvest.taxonomy import group_of  # noqa: E402
from arxiv_labeler.ui.app import create_app, signed_in_user  # noqa: E402
from arxiv_labeler.warehouse import open_warehouse  # noqa: E402
from arxiv_labeler.warehouse.store import LABEL_COLUMNS, PAPER_COLUMNS  # noqa: E402

# the shared data beside the clone (or beside the main checkout, for a git worktree one level deeper)
SHARED_DIRS = [Path(os.environ["ARXIV_LABELER_SHARED_DIR"])] if "ARXIV_LABELER_SHARED_DIR" in os.environ else []
SAMPLES = [
    d / "data" / "arxiv-metadata-sample.jsonl" for d in [*SHARED_DIRS, PROJECT.parent / "shared", PROJECT.parents[1] / "shared"]
]
SAMPLE = next((s for s in SAMPLES if s.exists()), SAMPLES[0])
RESULTS = PROJECT / "bench" / "results" / "papers_view_benchmark.json"
POSTGRES_BASE = os.environ.get("ARXIV_LABELER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
LAST_DAY = dt.date(2026, 11, 20)
PAPERS_PER_WEEKDAY = 700  # about arXiv's daily volume; weekends carry a quarter of it
LABELS = ["cs", "econ", "eess", "math", "physics", "q-bio", "q-fin", "stat"]
MODELS = [("arxiv_groups_a", "a" * 64), ("arxiv_groups_b", "b" * 64)]
TARGET_MS = 200.0


# ---------- the data ----------


def sample_pools(path: Path) -> dict[str, list[str]]:
    """Titles, sentences, author names and primary categories of the real sample."""
    titles, sentences, names, categories = [], [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        titles.append(" ".join(record["title"].split()))
        text = " ".join(record["abstract"].split())
        sentences += [s.strip() for s in re.split(r"(?<=\.)\s+", text) if len(s.strip()) > 20]
        clean = re.sub(r'["\\{}]', "", record["authors"])  # nothing an array literal would have to escape
        names += [n.strip() for n in re.split(r",| and ", clean) if 2 < len(n.strip()) < 40]
        categories.append(record["categories"].split()[0])
    return {"titles": titles, "sentences": sentences, "names": names, "categories": categories}


def papers_per_day(papers: int, rng: np.random.Generator) -> tuple[list[dt.date], np.ndarray]:
    """The days (ending LAST_DAY) and how many papers each has, weekends lighter, summing to ``papers``."""
    weekday_share = 5 + 2 * 0.25
    days_needed = int(np.ceil(papers / (PAPERS_PER_WEEKDAY * weekday_share / 7)))
    days = [LAST_DAY - dt.timedelta(days=days_needed - 1 - i) for i in range(days_needed)]
    weights = np.array([0.25 if d.weekday() >= 5 else 1.0 for d in days])
    return days, rng.multinomial(papers, weights / weights.sum())


def build_papers(papers: int, pools: dict[str, list[str]], rng: np.random.Generator) -> tuple[pa.Table, list[dt.date]]:
    """``arxiv_papers`` rows: ids per month in day order, recombined real text, 1 to 8 authors."""
    days, counts = papers_per_day(papers, rng)
    day_of = np.repeat(np.arange(len(days)), counts)
    datestamps = [days[i] for i in day_of]
    month_seq: Counter[tuple[int, int]] = Counter()
    ids = []
    for d in datestamps:
        month_seq[(d.year, d.month)] += 1
        ids.append(f"{d.year % 100:02d}{d.month:02d}.{month_seq[(d.year, d.month)]:05d}")
    titles, sentences = pools["titles"], pools["sentences"]
    a, b = rng.integers(0, len(titles), papers), rng.integers(0, len(titles), papers)
    title_list = [_half(titles[i], first=True) + " " + _half(titles[j], first=False) for i, j in zip(a, b, strict=True)]
    lengths = rng.integers(3, 7, papers)
    picks = rng.integers(0, len(sentences), int(lengths.sum()))
    abstracts, at = [], 0
    for n in lengths:
        abstracts.append(" ".join(sentences[k] for k in picks[at : at + n]))
        at += n
    author_counts = rng.integers(1, 9, papers)
    author_values = pa.array([pools["names"][k] for k in rng.integers(0, len(pools["names"]), int(author_counts.sum()))])
    offsets = pa.array(np.concatenate([[0], np.cumsum(author_counts)]).astype(np.int32))
    primary = np.array(pools["categories"])[rng.integers(0, len(pools["categories"]), papers)]
    groups = {c: group_of(c) for c in set(primary.tolist())}
    category_offsets = pa.array(np.arange(papers + 1, dtype=np.int32))
    runs = [f"run-{d}" for d in datestamps]
    table = pa.table(
        {
            "arxiv_id": pa.array(ids),
            "version": pa.array(np.ones(papers, dtype=np.int32)),
            "created": pa.array(datestamps, pa.date32()),
            "updated": pa.array(datestamps, pa.date32()),
            "datestamp": pa.array(datestamps, pa.date32()),
            "title": pa.array(title_list),
            "abstract": pa.array(abstracts),
            "authors": pa.ListArray.from_arrays(offsets, author_values),
            "affiliations": pa.nulls(papers, pa.list_(pa.string())),
            "categories": pa.ListArray.from_arrays(category_offsets, pa.array(primary.tolist())),
            "primary_category": pa.array(primary.tolist()),
            "arxiv_group": pa.array([groups[c] for c in primary.tolist()]),
            "comments": pa.nulls(papers, pa.string()),
            "doi": pa.nulls(papers, pa.string()),
            "journal_ref": pa.nulls(papers, pa.string()),
            "license": pa.nulls(papers, pa.string()),
            "text_sha256": pa.array([f"{i:064x}" for i in range(papers)]),
            "withdrawn": pa.array(rng.random(papers) < 0.002),
            "harvested_in_run": pa.array(runs),
        }
    )
    return table.select(PAPER_COLUMNS), days


def _half(title: str, first: bool) -> str:
    words = title.split()
    middle = max(1, len(words) // 2)
    return " ".join(words[:middle] if first else words[middle:] or words)


def build_labels(
    papers: pa.Table, model_index: int, rng: np.random.Generator, base: np.ndarray | None
) -> tuple[pa.Table, np.ndarray]:
    """One model's ``arxiv_paper_labels`` rows: mostly the paper's group, 3% below the 0.3 threshold (unclassified)."""
    n = papers.num_rows
    group_index = {g: i for i, g in enumerate(LABELS)}
    truth = np.array([group_index.get(g, 4) for g in papers.column("arxiv_group").to_pylist()])
    top = np.where(rng.random(n) < 0.9, truth, rng.integers(0, len(LABELS), n)) if base is None else base.copy()
    if base is not None:  # the second model: agrees with the first on about 85% of the papers
        flip = rng.random(n) < 0.15
        top[flip] = rng.integers(0, len(LABELS), int(flip.sum()))
    score = np.where(rng.random(n) < 0.03, rng.uniform(0.2, 0.3, n), rng.beta(6, 2, n) * 0.65 + 0.3).astype(np.float32)
    second = (top + rng.integers(1, len(LABELS), n)) % len(LABELS)
    runner = ((1 - score) * rng.uniform(0.5, 0.9, n)).astype(np.float32)
    rest = ((1 - score - runner) / (len(LABELS) - 2)).astype(np.float32)
    scores = []
    for t, s, r, q, other in zip(top.tolist(), score.tolist(), runner.tolist(), rest.tolist(), second.tolist(), strict=True):
        values = [s if i == t else r if i == other else q for i in range(len(LABELS))]
        scores.append("{" + ", ".join(f'"{name}": {v:.6g}' for name, v in zip(LABELS, values, strict=True)) + "}")
    raw = np.array(LABELS)[top]
    label = np.where(score < 0.3, "unclassified", raw)
    name, digest = MODELS[model_index]
    day = papers.column("datestamp").to_pylist()
    at = [dt.datetime.combine(d, dt.time(6, model_index)) for d in day]
    table = pa.table(
        {
            "arxiv_id": papers.column("arxiv_id"),
            "model_id": pa.array([f"{name}@sha256:{digest}"] * n),
            "label": pa.array(label.tolist()),
            "raw_label": pa.array(raw.tolist()),
            "score": pa.array(score, pa.float32()),
            "scores": pa.array(scores),
            "text_sha256": papers.column("text_sha256"),
            "text_source": pa.array(["title_abstract"] * n),
            "labeled_at": pa.array(at, pa.timestamp("us")),
            "run_id": pa.array([f"{name}-{d}" for d in day]),
        }
    )
    return table.select(LABEL_COLUMNS), top


def build_runs(days: list[dt.date], papers: pa.Table) -> pa.Table:
    """One ``arxiv_pipeline_runs`` row per day and model."""
    per_day = Counter(papers.column("datestamp").to_pylist())
    rows = []
    for name, digest in MODELS:
        for d in days:
            rows.append(
                {
                    "run_id": f"{name}-{d}",
                    "run_type": "scheduled",
                    "interval_start": d,
                    "interval_end": d,
                    "model_id": f"{name}@sha256:{digest}",
                    "engine": "onnx",
                    "harvested": per_day[d],
                    "new_papers": per_day[d],
                    "replaced": 0,
                    "deleted": 0,
                    "classified": per_day[d],
                    "skipped_unchanged": 0,
                    "failed": 0,
                    "withdrawn": 0,
                    "stage_seconds": json.dumps({"fetch_model": 0.1, "harvest": 30.0, "classify": 45.0}),
                    "status": "success",
                    "quality_status": "passed",
                    "finished_at": dt.datetime.combine(d, dt.time(6, 30)),
                }
            )
    return pa.Table.from_pylist(rows)


def build_models() -> pa.Table:
    """The two models, the second registered a day after the first."""
    return pa.Table.from_pylist(
        [
            {
                "model_id": f"{name}@sha256:{digest}",
                "name": name,
                "sha256": digest,
                "labels": LABELS,
                "registered_at": dt.datetime(2022, 1, 1 + i),
            }
            for i, (name, digest) in enumerate(MODELS)
        ]
    )


# ---------- filling the warehouses ----------


def fill_duckdb(path: Path, tables: dict[str, pa.Table]) -> float:
    """Migrate a new DuckDB file and insert every table from Arrow; returns the seconds it took."""
    import duckdb

    started = time.perf_counter()
    open_warehouse(f"duckdb://{path}").migrate()
    connection = duckdb.connect(str(path))
    try:
        for name, table in tables.items():
            connection.register("incoming", table)
            connection.execute(f"INSERT INTO {name} ({', '.join(table.column_names)}) SELECT * FROM incoming")
            connection.unregister("incoming")
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    return time.perf_counter() - started


def _postgres_csv(table: pa.Table, path: Path) -> None:
    """The table as CSV PostgreSQL's COPY reads: lists as array literals, JSON as text."""
    import pyarrow.compute as pc

    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_list(column.type):
            joined = pc.binary_join(column, '","')
            literal = pc.binary_join_element_wise('{"', joined, '"}', "")
            column = pc.if_else(pc.is_null(joined), pa.scalar(None, pa.string()), literal)
        columns[name] = column
    pacsv.write_csv(pa.table(columns), path, pacsv.WriteOptions(include_header=True, quoting_style="needed"))


def fill_postgres(dsn: str, tables: dict[str, pa.Table], scratch: Path) -> dict[str, float]:
    """Migrate the database, drop the secondary indexes, COPY every table, rebuild the indexes, VACUUM ANALYZE."""
    import psycopg

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    open_warehouse(dsn).migrate()
    with psycopg.connect(dsn, autocommit=True) as connection:
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f"DROP INDEX {name}")
        for name, table in tables.items():
            path = scratch / f"{name}.csv"
            _postgres_csv(table, path)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {name} ({', '.join(table.column_names)}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                path.open("rb") as handle,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            path.unlink()
        seconds["copy"] = time.perf_counter() - started
        connection.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in indexes:
            index_started = time.perf_counter()
            connection.execute(definition)
            seconds[f"index {name}"] = time.perf_counter() - index_started
        vacuum_started = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        seconds["vacuum analyze"] = time.perf_counter() - vacuum_started
    seconds["total"] = time.perf_counter() - started
    return seconds


# ---------- the requests ----------


def median_ms(call: Callable[[int], Any], runs: int) -> dict[str, float]:
    """Median, min and max of ``runs`` calls (after one warm-up), in ms."""
    call(-1)
    times = []
    for i in range(runs):
        started = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1), "max_ms": round(max(times), 1)}


def search_words(pools: dict[str, list[str]]) -> dict[str, str]:
    """A common and a rare word of the sample's sentences (the generated abstracts repeat their frequencies)."""
    frequency: Counter[str] = Counter()
    for sentence in pools["sentences"]:
        frequency.update({w for w in re.findall(r"[a-z]{6,}", sentence.lower())})
    ranked = frequency.most_common()
    common = next(w for w, n in ranked if n < len(pools["sentences"]) * 0.05)
    rare = next(w for w, n in reversed(ranked) if n == 1 and len(w) >= 8)
    return {"common": common, "rare": rare}


def time_requests(url: str, words: dict[str, str], ids: list[str], runs: int) -> dict[str, Any]:
    """Every request the page makes, through the app (TestClient, auth overridden)."""
    from fastapi.testclient import TestClient

    app = create_app(lambda: url)
    app.dependency_overrides[signed_in_user] = lambda: "bench"
    client = TestClient(app)

    def get(path: str, **params: Any) -> Any:
        response = client.get(path, params=params)
        assert response.status_code == 200, (path, params, response.text[:300])
        return response

    latest = get("/api/papers").json()
    year = {"from": str(dt.date.fromisoformat(latest["until"]) - dt.timedelta(days=365)), "until": latest["until"]}
    models = [m["model_id"] for m in get("/api/models").json()["models"]]
    second_page = latest["next"]
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "list: default (latest 30 labeled days, by day)": ("/api/papers", {}),
        "list: by score": ("/api/papers", {"sort": "score"}),
        "list: next page (cursor)": ("/api/papers", {"after": second_page}),
        "list: one model, unclassified": ("/api/papers", {"model": models[0], "label": "unclassified"}),
        "list: a category, by id": ("/api/papers", {"category": "hep-ph", "sort": "id"}),
        "list: a year, by day": ("/api/papers", year),
        "list: a year, by score, 200 rows": ("/api/papers", {**year, "sort": "score", "limit": 200}),
        f"search: common word {words['common']!r}, 30 days": ("/api/papers", {"q": words["common"]}),
        f"search: rare word {words['rare']!r}, 30 days": ("/api/papers", {"q": words["rare"]}),
        f"search: common word {words['common']!r}, a year": ("/api/papers", {**year, "q": words["common"]}),
        f"search: rare word {words['rare']!r}, a year": ("/api/papers", {**year, "q": words["rare"]}),
        "search: two words, a year": ("/api/papers", {**year, "q": f"{words['common']} {words['rare'][:6]}"}),
        "summary: default (latest 30 labeled days)": ("/api/summary", {}),
        "summary: a year": ("/api/summary", year),
        "compare: 30 days": ("/api/compare", {"model_a": models[1], "model_b": models[0]}),
        "compare: a year": ("/api/compare", {**year, "model_a": models[1], "model_b": models[0]}),
        "models": ("/api/models", {}),
    }
    results: dict[str, Any] = {}
    for name, (path, params) in cases.items():
        body = get(path, **params).json()
        figures = median_ms(lambda _i, path=path, params=params: get(path, **params), runs)
        if "total" in body:
            figures["total"] = body["total"]
        if "papers" in body and isinstance(body["papers"], int):
            figures["papers"] = body["papers"]
        results[name] = figures
        print(f"  {name:<58}{figures['median_ms']:>9.1f} ms  (min {figures['min_ms']}, max {figures['max_ms']})"
              + (f"  total {figures['total']:,}" if "total" in figures else ""), flush=True)  # fmt: skip
    results["detail: a random paper"] = median_ms(lambda i: get(f"/api/papers/{ids[i % len(ids)]}"), runs)
    print(f"  {'detail: a random paper':<58}{results['detail: a random paper']['median_ms']:>9.1f} ms", flush=True)
    started = time.perf_counter()
    exported = get("/api/papers.csv").content
    results["export: CSV of the default list"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "rows": exported.count(b"\n") - 1,
        "bytes": len(exported),
    }
    print(f"  {'export: CSV of the default list':<58}{results['export: CSV of the default list']}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per request (the median is reported)")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not SAMPLE.exists():
        print(f"the shared arXiv sample is needed for realistic text: {SAMPLE}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(20261203)
    pools = sample_pools(SAMPLE)
    started = time.perf_counter()
    papers, days = build_papers(args.papers, pools, rng)
    labels_a, top = build_labels(papers, 0, rng, None)
    labels_b, _ = build_labels(papers, 1, rng, top)
    tables = {
        "arxiv_models": build_models(),
        "arxiv_papers": papers,
        "arxiv_paper_labels": pa.concat_tables([labels_a, labels_b]),
        "arxiv_pipeline_runs": build_runs(days, papers),
    }
    print(f"generated {papers.num_rows:,} papers over {len(days)} days and {tables['arxiv_paper_labels'].num_rows:,} labels "
          f"in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    words = search_words(pools)
    ids = [papers.column("arxiv_id")[int(i)].as_py() for i in rng.integers(0, papers.num_rows, 64)]
    report: dict[str, Any] = {"papers": papers.num_rows, "labels": tables["arxiv_paper_labels"].num_rows, "days": len(days),
                              "search_words": words, "runs_per_request": args.runs, "target_ms": TARGET_MS,
                              "cpus": os.cpu_count(), "load_average_before": os.getloadavg()}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="papers-view-bench-") as scratch:
        path = Path(scratch) / "warehouse.duckdb"
        seconds = fill_duckdb(path, tables)
        print(f"DuckDB: filled in {seconds:.0f} s ({path.stat().st_size / 1e9:.2f} GB); requests:", flush=True)
        report["duckdb"] = {"fill_seconds": round(seconds, 1), "file_gb": round(path.stat().st_size / 1e9, 2),
                            "requests": time_requests(f"duckdb://{path}", words, ids, args.runs)}  # fmt: skip
        if not args.skip_postgres:
            report["postgres"] = bench_postgres(tables, words, ids, args.runs, Path(scratch))
    over = [
        (engine, name, r["median_ms"])
        for engine in ("duckdb", "postgres")
        for name, r in report.get(engine, {}).get("requests", {}).items()
        if "median_ms" in r and r["median_ms"] > TARGET_MS
    ]
    report["over_target"] = over
    report["load_average_after"] = os.getloadavg()  # other work on the machine shows in the figures
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {RESULTS}; load average {report['load_average_before'][0]:.1f} before, "
          f"{report['load_average_after'][0]:.1f} after; over {TARGET_MS:.0f} ms: {over or 'none'}")  # fmt: skip
    return 0


def bench_postgres(
    tables: dict[str, pa.Table], words: dict[str, str], ids: list[str], runs: int, scratch: Path
) -> dict[str, Any]:
    """The same on a throwaway PostgreSQL database, created here and dropped afterwards."""
    import psycopg

    name = f"arxiv_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    dsn = f"{POSTGRES_BASE}/{name}"
    try:
        seconds = fill_postgres(dsn, tables, scratch)
        with psycopg.connect(dsn) as connection:
            size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]  # type: ignore[index]
            trigram = connection.execute("SELECT to_regclass('arxiv_papers_text_trgm_idx') IS NOT NULL").fetchone()[0]  # type: ignore[index]
        print(f"PostgreSQL: filled in {seconds['total']:.0f} s ({size / 1e9:.2f} GB, trigram index: {trigram}): "
              + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()) + "; requests:", flush=True)  # fmt: skip
        return {"fill_seconds": {k: round(v, 1) for k, v in seconds.items()}, "database_gb": round(size / 1e9, 2),
                "trigram_index": trigram, "requests": time_requests(dsn, words, ids, runs)}  # fmt: skip
    finally:
        with psycopg.connect(f"{POSTGRES_BASE}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
