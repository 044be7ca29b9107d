"""The one check of a model zip, before any Spark work: fetch, ``model inspect``, classify and package all run it.

A model comes from a bucket the pipeline does not own and its graph runs on every worker:
everything is checked here, in plain Python, with an error naming the model and the problem.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from arxiv_labeler.errors import ModelArchiveError
from arxiv_labeler.model.archive import ONNX_INPUTS, ONNX_OUTPUT, SPECIAL_TOKENS, ModelArchive
from arxiv_labeler.model.calibration import model_calibration
from arxiv_labeler.model.onnx_graph import (
    INT64,
    check_domains,
    check_external_data,
    embedding_rows,
    input_types,
    load_session,
    parse_graph,
    write_graph_files,
)


@dataclass
class ModelCheckReport:
    """What the check found (``model inspect`` prints it); every check listed in ``passed`` held."""

    model_id: str
    passed: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"passed": list(self.passed), **self.facts}


def check_model(archive: ModelArchive) -> ModelCheckReport:
    """Check every part of ``archive`` (a zip is opened with its entries already checked); returns what was found.

    Raises:
        ModelArchiveError: the first problem, naming the model and the part.
    """
    report = ModelCheckReport(archive.model_id)
    archive.validate()  # metadata class, typed params, vocabulary, labels, graph inputs and output names
    report.passed += ["metadata", "params", "vocabulary", "labels"]
    name = archive.model_id
    files = archive.graph_files
    model = parse_graph(files[archive.graph_name], name)
    report.facts["opsets"] = check_domains(model, name)
    report.passed.append("standard operator domains")
    report.facts["external_data"] = check_external_data(model, files, name)
    report.passed.append("external data inside the model")
    _check_input_types(model, name)
    report.passed.append("input types")
    report.facts.update(_check_embedding(model, archive, name))  # before the run below, which an out-of-range id fails
    report.passed.append("vocabulary fits the embedding matrix")
    with tempfile.TemporaryDirectory(prefix="arxiv-model-check-") as scratch:
        write_graph_files(files, Path(scratch))
        session = load_session(Path(scratch) / archive.graph_name, name)
        report.passed.append("onnxruntime loads the graph")
        report.facts["logits_width"] = _check_logits(session, archive, name)
        report.passed.append("logits width = labels")
    sample = model_calibration(archive)  # optional; when present it must be a usable sample
    report.facts["calibration_papers"] = len(sample.texts) if sample else None
    if sample:
        report.passed.append("calibration sample")
    return report


def _check_input_types(model: Any, name: str) -> None:
    types = input_types(model)
    wrong = {i: types[i] for i in ONNX_INPUTS if types.get(i) != INT64}
    if wrong:
        raise ModelArchiveError(f"{name}: graph inputs {sorted(wrong)} must be int64 tensors (ONNX type 7), got {wrong}")


def _check_logits(session: Any, archive: ModelArchive, name: str) -> int:
    """Run the graph once on ``[CLS] <the largest vocabulary id> [SEP]``: the output is what the engine reads.

    The largest id also proves the embedding has a row for every id (an out-of-range Gather fails here).
    """
    vocab = archive.vocabulary
    ids = np.array([[vocab[SPECIAL_TOKENS[0]], max(vocab.values()), vocab[SPECIAL_TOKENS[1]]]], dtype=np.int64)
    try:
        (logits,) = session.run([ONNX_OUTPUT], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    except Exception as exc:  # onnxruntime's own failures: a shape, a missing input, an index out of range
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelArchiveError(f"{name}: the graph fails on a three-token input: {first_line}") from exc
    shape = list(np.shape(logits))
    if len(shape) != 2 or shape[0] != 1:
        raise ModelArchiveError(f"{name}: output {ONNX_OUTPUT!r} has shape {shape} for one document; expected [1, labels]")
    if shape[1] != len(archive.labels):
        raise ModelArchiveError(
            f"{name}: the graph gives {shape[1]} logits per document but the model has {len(archive.labels)} labels "
            f"({', '.join(archive.labels)})"
        )
    return int(shape[1])


def _check_embedding(model: Any, archive: ModelArchive, name: str) -> dict[str, Any]:
    rows = embedding_rows(model)
    ids = max(archive.vocabulary.values()) + 1
    if rows is not None and rows < ids:
        raise ModelArchiveError(f"{name}: the vocabulary has ids up to {ids - 1} but the embedding matrix only {rows} rows")
    return {"vocabulary_size": len(archive.vocabulary), "embedding_rows": rows}


def open_checked(path: Path, sha256: str | None = None, name: str | None = None) -> tuple[ModelArchive, ModelCheckReport]:
    """Open a model zip or directory and run :func:`check_model` on it.

    Raises:
        ModelArchiveError / UnsafeArchiveError: the first problem found.
    """
    archive = ModelArchive.open(path, sha256=sha256, name=name)
    return archive, check_model(archive)
