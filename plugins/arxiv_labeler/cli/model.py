"""``arxiv-labeler model inspect | package | demo``: Spark NLP model zips."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from arxiv_labeler.cli.options import int8_decisions_dir, model_path
from arxiv_labeler.errors import ConfigError


def inspect_model(args: argparse.Namespace) -> int:
    """Print the model's metadata, labels and ONNX signature, the check, and quantize=auto's decision as JSON."""
    from arxiv_labeler.harvest.taxonomy import label_mapping
    from arxiv_labeler.model.check import open_checked

    model = model_path(args.model)
    archive, report = open_checked(model)
    mapping = {"label_mapping": label_mapping(archive.labels)}  # groups / categories: checked against arXiv's own
    found = archive.describe() | mapping | {"check": report.to_dict()}
    if args.no_int8_check:
        found["quantize_auto"] = "not measured (--no-int8-check); the fetch task decides it for runs with quantize=auto"
    else:
        from arxiv_labeler.engines.int8_check import decide_int8

        found["quantize_auto"] = decide_int8(archive, int8_decisions_dir(args.model, model)).to_dict()
    print(json.dumps(found, indent=2))
    return 0


def package_model(args: argparse.Namespace) -> int:
    """Write a model zip from an ONNX graph + vocabulary + labels, or from a Hugging Face directory."""
    from arxiv_labeler.model.package import package_from_files, package_from_huggingface, parse_param

    params = dict(parse_param(p) for p in args.param)
    calibration = Path(args.calibration) if args.calibration else None
    if args.huggingface:
        out = package_from_huggingface(Path(args.output), Path(args.huggingface), params, calibration)
    else:
        if not (args.onnx and args.vocab and args.labels):
            raise ConfigError("give --huggingface DIR, or all of --onnx, --vocab and --labels")
        out = package_from_files(Path(args.output), Path(args.onnx), Path(args.vocab), Path(args.labels), params, calibration)
    print(out)
    return 0


def build_demo_model(args: argparse.Namespace) -> int:
    """Build the demo arXiv-group model (the development stack's; needs torch)."""
    from arxiv_labeler.devstack.demo_model import build_demo_model as build

    report = build(Path(args.output_dir), Path(args.training_data) if args.training_data else None, write_head=args.write_head)
    print(json.dumps(report, indent=2))
    return 0


def register(sub: Any) -> None:
    """Add the ``model`` command group to the top-level subparsers."""
    model = sub.add_parser("model", help="inspect, package or build Spark NLP model zips")
    actions = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    inspect = actions.add_parser(
        "inspect", help="print a model zip's metadata, labels, ONNX signature, the check and quantize=auto's decision as JSON"
    )
    inspect.add_argument("model", help="zip, unzipped directory or s3:// URI")
    inspect.add_argument(
        "--no-int8-check", action="store_true", help="skip scoring the calibration sample with fp32 and int8 (quantize=auto)"
    )
    inspect.set_defaults(func=inspect_model)
    package = actions.add_parser("package", help="write a Spark NLP DistilBertForSequenceClassification zip")
    package.add_argument("--onnx", help="model.onnx (inputs input_ids, attention_mask; output logits)")
    package.add_argument("--vocab", help="vocab.txt, one WordPiece per line")
    package.add_argument("--labels", help="labels.txt, one label per line, in id order")
    package.add_argument("--huggingface", metavar="DIR", help="a Hugging Face DistilBertForSequenceClassification directory")
    package.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="e.g. caseSensitive=false")
    package.add_argument(
        "--calibration", metavar="JSONL", help="papers (title, abstract; 100 to 2,000) stored as the model's quantize=auto sample"
    )
    package.add_argument("-o", "--output", required=True, help="zip to write")
    package.set_defaults(func=package_model)
    demo = actions.add_parser("demo", help="build the demo arXiv-group model from all-MiniLM-L6-v2 (needs torch)")
    demo.add_argument("--output-dir", default="data/demo-model")
    demo.add_argument("--training-data", help="CSV/JSONL with title, abstract and group or categories")
    demo.add_argument(
        "--write-head", action="store_true", help="with --training-data: store the trained head in devstack/demo_model_head/"
    )
    demo.set_defaults(func=build_demo_model)
