"""``arxiv-labeler classify`` and ``tokenize``: the classify stage and its tokenizer outside Airflow."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.cli.options import int8_decisions_dir, model_path


def tokenize(args: argparse.Namespace) -> int:
    """Print the tokens, word pieces and ids the onnx engine feeds the model."""
    from arxiv_labeler.engines.tokenizer import WordpieceTokenizer
    from arxiv_labeler.model.archive import ModelArchive

    archive = ModelArchive.open(model_path(args.model))
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


def classify(args: argparse.Namespace) -> int:
    """Run the classify stage on a Kaggle-snapshot JSONL or harvested Parquet; print the result as JSON."""
    from arxiv_labeler.classify.stage import choose_engine, classify_records
    from arxiv_labeler.harvest.kaggle import write_snapshot_parquet
    from arxiv_labeler.model.check import open_checked
    from arxiv_labeler.model.quantize import effective_quantize
    from arxiv_labeler.spark.progress import SparkProgressBar
    from arxiv_labeler.spark.session import SparkSettings, start_session, stop_session

    model_zip = model_path(args.model)
    archive, _ = open_checked(model_zip)  # every check before any Spark work
    decision = None
    if args.quantize == "auto" and args.engine != "sparknlp":  # measured before Spark starts, and logged
        from arxiv_labeler.engines.int8_check import decide_int8

        decision = decide_int8(archive, int8_decisions_dir(args.model, model_zip))
    quantize = effective_quantize(args.quantize, decision)
    source = Path(args.input)
    with tempfile.TemporaryDirectory(prefix="arxiv-classify-") as scratch:
        if source.suffix == ".jsonl":
            source = write_snapshot_parquet(source, Path(scratch) / "records.parquet")
        spark = start_session(SparkSettings(master=args.master, sparknlp=args.engine == "sparknlp"))
        try:
            engine, reason = choose_engine(spark, args.engine, archive, model_zip, None, quantize=quantize)
            frame = spark.read.parquet(str(source))
            with SparkProgressBar(spark.sparkContext, "classify"):
                result = classify_records(
                    spark, frame, engine, archive, args.output, dt.datetime.now(dt.UTC).isoformat(), engine_reason=reason
                )
        finally:
            stop_session(spark)
    print(json.dumps(result.to_xcom(), indent=2))
    return 0


def register(sub: Any) -> None:
    """Add ``tokenize`` and ``classify`` to the top-level subparsers."""
    command = sub.add_parser("tokenize", help="show the tokens, word pieces and ids the onnx engine feeds the model")
    command.add_argument("--model", required=True)
    command.add_argument("--json", action="store_true")
    command.add_argument("text")
    command.set_defaults(func=tokenize)

    command = sub.add_parser("classify", help="run the classify stage on a JSONL snapshot or harvested Parquet")
    command.add_argument("--model", required=True, help="zip or s3:// URI")
    command.add_argument("--input", required=True, help="records .jsonl (Kaggle snapshot) or .parquet (harvest output)")
    command.add_argument("--output", required=True, help="labeled Parquet directory to write")
    command.add_argument("--engine", choices=settings.ENGINES, default=settings.DEFAULT_ENGINE)
    command.add_argument("--master", default="local[*]")
    command.add_argument(
        "--quantize",
        choices=settings.QUANTIZE_MODES,
        default=settings.DEFAULT_QUANTIZE,
        help="onnx engine: fp32 (none), int8, or auto: int8 where it keeps fp32's labels on the calibration sample",
    )
    command.set_defaults(func=classify)
