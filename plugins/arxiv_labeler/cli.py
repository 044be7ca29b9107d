"""``arxiv-labeler`` / ``python -m arxiv_labeler``: every stage runnable outside Airflow."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger("arxiv_labeler")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _model_path(value: str, cache: Path | None = None) -> Path:
    """A local zip/dir, or an s3:// URI fetched through the cache (anonymous unless AWS env is set)."""
    if not value.startswith("s3://"):
        return Path(value)
    from arxiv_labeler.model.fetch import ModelFetcher
    from arxiv_labeler.model.s3_client import s3_client
    from arxiv_labeler.settings import data_dir

    fetched = ModelFetcher(s3_client(), cache or data_dir() / "models").fetch(value)
    return Path(fetched.zip_path)


def cmd_model_inspect(args: argparse.Namespace) -> int:
    from arxiv_labeler.model.archive import ModelArchive

    print(json.dumps(ModelArchive.open(_model_path(args.model)).validate().describe(), indent=2))
    return 0


def cmd_model_package(args: argparse.Namespace) -> int:
    from arxiv_labeler.model.package import package_from_files, package_from_huggingface, parse_param

    params = dict(parse_param(p) for p in args.param)
    if args.huggingface:
        out = package_from_huggingface(Path(args.output), Path(args.huggingface), params)
    else:
        if not (args.onnx and args.vocab and args.labels):
            raise SystemExit("model package: give --huggingface DIR, or all of --onnx, --vocab and --labels")
        out = package_from_files(Path(args.output), Path(args.onnx), Path(args.vocab), Path(args.labels), params)
    print(out)
    return 0


def cmd_model_demo(args: argparse.Namespace) -> int:
    from arxiv_labeler.model.demo import build_demo_model

    report = build_demo_model(
        Path(args.output_dir), Path(args.training_data) if args.training_data else None, write_head=args.write_head
    )
    print(json.dumps(report, indent=2))
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    from arxiv_labeler.engines.tokenizer import WordpieceTokenizer
    from arxiv_labeler.model.archive import ModelArchive

    archive = ModelArchive.open(_model_path(args.model))
    tokenizer = WordpieceTokenizer(archive.vocabulary, archive.params.case_sensitive, archive.params.max_sentence_length)
    encoding = tokenizer.encode(args.text)
    tokens = [t.text for t in encoding.tokens] if encoding else []
    pieces = encoding.pieces if encoding else []
    ids = encoding.ids if encoding else []
    if args.json:
        print(json.dumps({"tokens": tokens, "pieces": pieces, "ids": ids}, ensure_ascii=False))
    else:
        print("tokens:", " | ".join(tokens))
        print("pieces:", " ".join(pieces))
        print("ids:   ", " ".join(map(str, ids)))
        if encoding is None:
            print("(no tokens: Spark NLP would not classify this text)")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from arxiv_labeler.engines.classify_stage import choose_engine, classify_records
    from arxiv_labeler.engines.progress import SparkProgressBar
    from arxiv_labeler.engines.spark_session import SparkSettings, start_session, stop_session
    from arxiv_labeler.harvest.kaggle import read_snapshot, to_record
    from arxiv_labeler.harvest.models import records_table
    from arxiv_labeler.model.archive import ModelArchive

    model_zip = _model_path(args.model)
    archive = ModelArchive.open(model_zip).validate()
    source = Path(args.input)
    with tempfile.TemporaryDirectory(prefix="arxiv-classify-") as scratch:
        if source.suffix == ".jsonl":
            records = [to_record(entry) for entry in read_snapshot(source)]
            days = [r.datestamp for r in records] or [dt.date.today()]
            parquet = Path(scratch) / "records.parquet"
            pq.write_table(records_table(records, min(days), max(days), max(days)), parquet)
            source = parquet
        spark = start_session(SparkSettings(master=args.master, sparknlp=args.engine == "sparknlp"))
        try:
            engine, reason = choose_engine(spark, args.engine, archive, model_zip, None, quantize=args.quantize)
            frame = spark.read.parquet(str(source))
            with SparkProgressBar(spark.sparkContext, "classify"):
                result = classify_records(
                    spark, frame, engine, archive, args.output, dt.datetime.now(dt.UTC).isoformat(), engine_reason=reason
                )
        finally:
            stop_session(spark)
    print(json.dumps(result.summary(), indent=2))
    return 0


def iso_date(option: str) -> Callable[[str], dt.date]:
    """An argparse type for ``option``: a real date written ``YYYY-MM-DD`` (``2011-2-3`` is refused)."""

    def parse(value: str) -> dt.date:
        if not _ISO_DATE.match(value):
            raise argparse.ArgumentTypeError(f"{option} must be a date written YYYY-MM-DD, got {value!r}")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} is not a real date: {value!r}") from None

    return parse


def cmd_harvest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from arxiv_labeler.harvest.client import ARXIV_OAI_ENDPOINT, MIN_DELAY_SECONDS, OaiClient, RetryPolicy
    from arxiv_labeler.harvest.harvester import DayResult, Harvester
    from arxiv_labeler.harvest.taxonomy import validate_set

    if args.until < args.from_date:
        raise ValueError(f"--until {args.until} is before --from {args.from_date}")
    endpoint = args.endpoint or ARXIV_OAI_ENDPOINT
    for spec in args.set or []:
        validate_set(spec)  # arXiv's sets, before any request
    client = OaiClient(
        endpoint,
        delay_seconds=args.delay if args.delay is not None else MIN_DELAY_SECONDS,
        retry=RetryPolicy(
            max_retries=args.max_retries, backoff_seconds=args.retry_wait, max_backoff_seconds=max(600.0, args.retry_wait)
        ),
    )
    # Another endpoint (a mirror, the replay server) is checked against its own ListSets.
    known_sets = frozenset(client.list_sets()) if args.set and endpoint != ARXIV_OAI_ENDPOINT else None
    with tqdm(unit=" pages", desc="harvest", disable=args.quiet) as bar:

        def progress(day: DayResult) -> None:
            bar.update(1)
            bar.set_postfix(day=str(day.day))

        harvester = Harvester(
            client, Path(args.out), args.metadata_prefix, args.set or [], on_page=progress, known_sets=known_sets
        )
        result = harvester.harvest(args.from_date, args.until)
    print(json.dumps(result.summary(), indent=2))
    return 0


def cmd_oai_replay(args: argparse.Namespace) -> int:
    import time

    from arxiv_labeler.harvest.replay_server import Faults, OaiReplayServer, ReplayArchive

    faults = Faults(status_503_on=set(args.fail_503_on or []), status_429_on=set(args.fail_429_on or []))
    server = OaiReplayServer(ReplayArchive.from_file(Path(args.data)), port=args.port, page_size=args.page_size, faults=faults)
    server.start()
    print(f"OAI-PMH replay of {args.data} at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from arxiv_labeler.settings import default_warehouse_url
    from arxiv_labeler.warehouse import open_warehouse
    from arxiv_labeler.warehouse.report import build_report, render

    warehouse = open_warehouse(args.warehouse or default_warehouse_url())
    warehouse.migrate()
    start = args.from_date
    until = args.until
    if args.quality:
        from arxiv_labeler.quality.checks import RECENT_CHECKS

        _, rows = warehouse.query(RECENT_CHECKS, (args.limit,))
        print(f"{'run':<48}{'days':<24}{'check':<26}{'status':<7}{'value':>10}{'threshold':>11}  detail")
        for run_id, first, last, check, value, threshold, status, detail in rows:
            shown = "" if value is None else f"{value:.4g}"
            limit = "" if threshold is None else f"{threshold:.4g}"
            print(f"{run_id:<48}{f'{first}..{last}':<24}{check:<26}{status:<7}{shown:>10}{limit:>11}  {detail}")
        return 0
    if args.compare_models:
        from arxiv_labeler.quality.comparison import compare_models

        comparison = compare_models(warehouse, args.compare_models[0], args.compare_models[1], start, until)
        print(comparison.render())
        if args.changed_csv:
            comparison.write_changed_csv(Path(args.changed_csv))
            print(f"changed papers written to {args.changed_csv}")
        return 0
    print(render(build_report(warehouse, start, until), args.format))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from arxiv_labeler.demo import run_demo

    return run_demo(args)


def cmd_airflow(args: argparse.Namespace) -> int:
    from arxiv_labeler.demo import DEFAULT_MODEL, DEFAULT_REPLAY_DATA
    from arxiv_labeler.local_airflow import run_foreground

    return run_foreground(
        Path(args.data_dir),
        Path(args.model) if args.model else DEFAULT_MODEL,
        Path(args.replay_data) if args.replay_data else DEFAULT_REPLAY_DATA,
        port=args.port,
    )


def cmd_spark_class_archive(args: argparse.Namespace) -> int:
    from arxiv_labeler.engines.jvm_class_archive import build_class_archive, default_archive_path

    target = Path(args.output) if args.output else default_archive_path()
    if target is None:
        print("the class archive is turned off (ARXIV_LABELER_SPARK_CLASS_ARCHIVE is empty)", file=sys.stderr)
        return 1
    if target.is_file() and not args.force:
        print(f"{target} (already there; --force records it again)")
        return 0
    print(build_class_archive(target))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="arxiv-labeler", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    model = sub.add_parser("model", help="inspect, package or build Spark NLP model zips")
    model_sub = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    inspect = model_sub.add_parser("inspect", help="print a model zip's metadata, labels and ONNX signature as JSON")
    inspect.add_argument("model", help="zip, unzipped directory or s3:// URI")
    inspect.set_defaults(func=cmd_model_inspect)
    package = model_sub.add_parser("package", help="write a Spark NLP DistilBertForSequenceClassification zip")
    package.add_argument("--onnx", help="model.onnx (inputs input_ids, attention_mask; output logits)")
    package.add_argument("--vocab", help="vocab.txt, one WordPiece per line")
    package.add_argument("--labels", help="labels.txt, one label per line, in id order")
    package.add_argument("--huggingface", metavar="DIR", help="a Hugging Face DistilBertForSequenceClassification directory")
    package.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="e.g. caseSensitive=false")
    package.add_argument("-o", "--output", required=True, help="zip to write")
    package.set_defaults(func=cmd_model_package)
    demo_model = model_sub.add_parser("demo", help="build the demo arXiv-group model from all-MiniLM-L6-v2 (needs torch)")
    demo_model.add_argument("--output-dir", default="data/demo-model")
    demo_model.add_argument("--training-data", help="CSV/JSONL with title, abstract and group or categories")
    demo_model.add_argument(
        "--write-head", action="store_true", help="with --training-data: store the trained head in include/demo-model/"
    )
    demo_model.set_defaults(func=cmd_model_demo)

    tokenize = sub.add_parser("tokenize", help="show the tokens, word pieces and ids the onnx engine feeds the model")
    tokenize.add_argument("--model", required=True)
    tokenize.add_argument("--json", action="store_true")
    tokenize.add_argument("text")
    tokenize.set_defaults(func=cmd_tokenize)

    classify = sub.add_parser("classify", help="run the classify stage on a JSONL snapshot or harvested Parquet")
    classify.add_argument("--model", required=True, help="zip or s3:// URI")
    classify.add_argument("--input", required=True, help="records .jsonl (Kaggle snapshot) or .parquet (harvest output)")
    classify.add_argument("--output", required=True, help="labeled Parquet directory to write")
    classify.add_argument("--engine", choices=["auto", "onnx", "sparknlp"], default="auto")
    classify.add_argument("--master", default="local[*]")
    classify.add_argument("--quantize", choices=["none", "int8"], default="none")
    classify.set_defaults(func=cmd_classify)

    harvest = sub.add_parser("harvest", help="harvest arXiv OAI-PMH for whole UTC days into Parquet")
    harvest.add_argument("--from", dest="from_date", required=True, metavar="YYYY-MM-DD", type=iso_date("--from"))
    harvest.add_argument("--until", required=True, metavar="YYYY-MM-DD", type=iso_date("--until"))
    harvest.add_argument("--set", action="append", help="OAI set, e.g. cs or physics:astro-ph (repeatable)")
    harvest.add_argument("--endpoint", help="OAI-PMH base URL (default: arXiv's)")
    harvest.add_argument("--metadata-prefix", choices=["arXivRaw", "arXiv"], default="arXivRaw")
    harvest.add_argument("--delay", type=float, help="seconds between requests (>= 3 except on loopback)")
    harvest.add_argument("--out", required=True)
    harvest.add_argument("--max-retries", type=int, default=5, help="retries per request after a failure (default 5)")
    harvest.add_argument("--retry-wait", type=float, default=10.0, help="first wait in seconds, doubled per retry (default 10)")
    harvest.add_argument("--quiet", action="store_true")
    harvest.set_defaults(func=cmd_harvest)

    replay = sub.add_parser("oai-replay", help="serve a Kaggle-snapshot JSONL as a local OAI-PMH endpoint")
    replay.add_argument("--data", required=True)
    replay.add_argument("--port", type=int, default=8008)
    replay.add_argument("--page-size", type=int, default=100)
    replay.add_argument("--fail-503-on", type=int, action="append", metavar="N", help="answer request N with 503 + Retry-After")
    replay.add_argument("--fail-429-on", type=int, action="append", metavar="N")
    replay.set_defaults(func=cmd_oai_replay)

    report = sub.add_parser("report", help="papers and labels per day and group; models in use")
    report.add_argument("--warehouse", help="duckdb:///path or postgresql://... (default: the DAG's DuckDB file)")
    report.add_argument("--from", dest="from_date", metavar="YYYY-MM-DD", type=iso_date("--from"))
    report.add_argument("--until", metavar="YYYY-MM-DD", type=iso_date("--until"))
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    report.add_argument("--quality", action="store_true", help="the data-quality checks of recent runs")
    report.add_argument("--limit", type=int, default=50, help="with --quality: how many check rows (default 50)")
    report.add_argument(
        "--compare-models", nargs=2, metavar=("MODEL_A", "MODEL_B"), help="agreement, per group, confusion matrix"
    )
    report.add_argument("--changed-csv", metavar="PATH", help="with --compare-models: the papers whose label changed")
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="run the DAG for one day on the local stack (what `make demo` runs)")
    demo.add_argument(
        "--day", type=iso_date("--day"), help="YYYY-MM-DD (default: the latest day with records in the replay data)"
    )
    demo.add_argument(
        "--replay-data", help="Kaggle-snapshot JSONL (default: include/replay/arxiv-2008-11-26.jsonl, 276 real papers)"
    )
    demo.add_argument("--model", help="model zip to serve from the local S3 (default: the demo model)")
    demo.add_argument("--data-dir", default="data/demo")
    demo.set_defaults(func=cmd_demo)

    local = sub.add_parser("airflow", help="the real Airflow services + local stack in the foreground (`make airflow`)")
    local.add_argument("--port", type=int, default=8080, help="api-server port on 127.0.0.1 (default 8080)")
    local.add_argument("--model", help="model zip to serve from the local S3 (default: the demo model)")
    local.add_argument("--replay-data", help="Kaggle-snapshot JSONL served over OAI-PMH (default: the real 2008-11-26 slice)")
    local.add_argument("--data-dir", default="data/airflow", help="AIRFLOW_HOME, warehouse and landing (reused)")
    local.set_defaults(func=cmd_airflow)

    archive = sub.add_parser(
        "spark-class-archive", help="record the Spark driver's classes once so later drivers start faster (make venv)"
    )
    archive.add_argument("--output", help="archive path (default: this JDK's and PySpark's, under ~/.cache/arxiv-labeler)")
    archive.add_argument("--force", action="store_true", help="record again even if the archive exists")
    archive.set_defaults(func=cmd_spark_class_archive)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, and turn expected errors into one clear line."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from arxiv_labeler.errors import USER_ERRORS

    try:
        return int(args.func(args))
    except USER_ERRORS as exc:
        print(f"arxiv-labeler {args.command}: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main"]
