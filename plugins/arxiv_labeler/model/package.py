"""Write Spark NLP ``DistilBertForSequenceClassification`` zips (the layout ``save`` writes)."""

from __future__ import annotations

import io
import json
import secrets
import time
import zipfile
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import ConfigError, ModelArchiveError, ModelError
from arxiv_labeler.model.archive import CALIBRATION_ENTRY, MODEL_CLASS, ONNX_ENTRY, ModelArchive
from arxiv_labeler.model.java_serialization import write_tuple2_array
from arxiv_labeler.model.sequence_file import crc_bytes, sequence_file_bytes

SPARK_VERSION = "3.5.5"
# Entries per Java-serialized array and number of part files, as saveAsObjectFile on 2 cores writes.
PAIRS_PER_RECORD = 10
PART_FILES = 2

DEFAULT_PARAM_MAP: dict[str, Any] = {
    "lazyAnnotator": False,
    "batchSize": 8,
    "engine": "tensorflow",
    "maxSentenceLength": 128,
    "caseSensitive": True,
    "coalesceSentences": False,
    "activation": "softmax",
    "threshold": 0.5,
}


def parse_param(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` from the command line, VALUE as JSON when it parses (true, 128, 0.5), else a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise ConfigError(f"--param expects NAME=VALUE, got {text!r}")
    if name not in DEFAULT_PARAM_MAP:
        raise ConfigError(f"unknown param {name!r}; known: {', '.join(sorted(DEFAULT_PARAM_MAP))}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name, value


def read_vocab_file(path: Path) -> dict[str, int]:
    """``vocab.txt``: line i is piece i (what ``loadSavedModel`` reads)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return {piece: index for index, piece in enumerate(lines)}


def read_labels_file(path: Path) -> list[str]:
    """``labels.txt``: line i is label i."""
    labels = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"{path}: duplicate labels")
    return labels


def _feature_parts(mapping: dict[str, int]) -> list[bytes]:
    items = list(mapping.items())
    records = [write_tuple2_array(items[i : i + PAIRS_PER_RECORD]) for i in range(0, len(items), PAIRS_PER_RECORD)]
    per_part = -(-len(records) // PART_FILES) if records else 0
    return [sequence_file_bytes(records[p * per_part : (p + 1) * per_part]) for p in range(PART_FILES)]


def _add(archive: zipfile.ZipFile, name: str, data: bytes, with_crc: bool = True) -> None:
    archive.writestr(name, data)
    if with_crc:
        folder, _, base = name.rpartition("/")
        archive.writestr(f"{folder}/.{base}.crc" if folder else f".{base}.crc", crc_bytes(data))


def write_model_zip(
    output: Path,
    onnx_bytes: bytes,
    vocabulary: dict[str, int],
    labels: list[str],
    params: dict[str, Any] | None = None,
    graph_files: dict[str, bytes] | None = None,
    calibration: bytes | None = None,
) -> Path:
    """Write a model zip and check it reads back; returns ``output``.

    ``params`` override Spark NLP's defaults; ``engine`` is always ``onnx``.
    Without ``caseSensitive``, it is false when no vocabulary piece has upper case.
    ``graph_files`` are written beside ``model.onnx`` in the graph's inner zip (ONNX external data).
    ``calibration``: JSON lines written as ``calibration/abstracts.jsonl``, quantize=auto's sample for this model.
    """
    param_map: dict[str, Any] = dict(params or {})
    param_map["engine"] = "onnx"
    if "caseSensitive" not in param_map:
        param_map["caseSensitive"] = any(piece != piece.lower() for piece in vocabulary if not piece.startswith("["))
    param_map.setdefault("inputCols", ["document", "token"])
    param_map.setdefault("outputCol", "class")
    uid = f"DistilBertForSequenceClassification_{secrets.token_hex(6)}"
    metadata = {
        "class": MODEL_CLASS,
        "timestamp": int(time.time() * 1000),
        "sparkVersion": SPARK_VERSION,
        "uid": uid,
        "paramMap": param_map,
        "defaultParamMap": {**DEFAULT_PARAM_MAP, "outputCol": f"{uid}__output"},
    }
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_STORED) as onnx_zip:
        onnx_zip.writestr("model.onnx", onnx_bytes)
        for name, data in (graph_files or {}).items():
            onnx_zip.writestr(name, data)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "metadata/part-00000", (json.dumps(metadata, separators=(",", ":")) + "\n").encode())
        _add(archive, "metadata/_SUCCESS", b"")
        label_map = {label: index for index, label in enumerate(labels)}
        for feature, mapping in (("vocabulary", vocabulary), ("labels", label_map)):
            for index, part in enumerate(_feature_parts(mapping)):
                _add(archive, f"fields/{feature}/part-{index:05d}", part)
            _add(archive, f"fields/{feature}/_SUCCESS", b"")
        archive.writestr(ONNX_ENTRY, inner.getvalue(), compress_type=zipfile.ZIP_STORED)
        if calibration is not None:
            archive.writestr(CALIBRATION_ENTRY, calibration)
    try:
        ModelArchive.open(partial).validate()
    except ModelArchiveError:
        partial.unlink()
        raise
    partial.replace(output)
    return output


def checked(zip_path: Path) -> Path:
    """``zip_path`` after the full model check (``model.check``); a zip that fails it is removed, never left behind.

    Raises:
        ModelArchiveError: the check's finding.
    """
    from arxiv_labeler.model.check import open_checked

    try:
        open_checked(zip_path)
    except ModelArchiveError:
        zip_path.unlink(missing_ok=True)
        raise
    return zip_path


def package_from_files(
    output: Path, onnx_path: Path, vocab_path: Path, labels_path: Path, params: dict[str, Any], calibration: Path | None = None
) -> Path:
    """Package ``model.onnx`` + ``vocab.txt`` + ``labels.txt`` (Spark NLP's ``loadSavedModel`` inputs).

    ``calibration``: a JSONL of papers (title, abstract) carried as the model's own quantize=auto sample.
    """
    vocabulary, labels = read_vocab_file(vocab_path), read_labels_file(labels_path)
    sample = calibration.read_bytes() if calibration else None
    return checked(write_model_zip(output, onnx_path.read_bytes(), vocabulary, labels, params, calibration=sample))


def export_onnx(model: Any, path: Path, max_length: int = 512) -> Path:
    """Export a PyTorch ``DistilBertForSequenceClassification`` to ONNX (input_ids, attention_mask -> logits)."""
    import torch

    model.eval()
    # SDPA attention traces shape-dependent branches; eager attention exports a graph valid for any padding.
    model.config._attn_implementation = "eager"
    dummy_ids = torch.ones((2, 16), dtype=torch.long)
    dummy_mask = torch.ones((2, 16), dtype=torch.long)

    class _LogitsOnly(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    wrapper = _LogitsOnly(model).eval()
    batch = torch.export.Dim("batch", min=1, max=4096)
    sequence = torch.export.Dim("sequence", min=2, max=max_length)
    program = torch.onnx.export(
        wrapper,
        (dummy_ids, dummy_mask),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_shapes={"input_ids": {0: batch, 1: sequence}, "attention_mask": {0: batch, 1: sequence}},
        opset_version=18,
        dynamo=True,
        external_data=False,
        verbose=False,
    )
    if program is None:
        raise ModelError("torch.onnx.export returned no program")
    program.save(str(path), external_data=False)
    return path


def package_from_huggingface(output: Path, model_dir: Path, params: dict[str, Any], calibration: Path | None = None) -> Path:
    """Package a Hugging Face ``DistilBertForSequenceClassification`` directory (needs torch + transformers).

    ``calibration``: as for :func:`package_from_files`.
    """
    from transformers import DistilBertForSequenceClassification

    model: Any = DistilBertForSequenceClassification.from_pretrained(str(model_dir))
    vocab_path = model_dir / "vocab.txt"
    if not vocab_path.exists():
        raise ConfigError(f"{model_dir}: no vocab.txt (a WordPiece vocabulary is required)")
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    onnx_path = output.with_name(output.name + ".onnx.tmp")
    try:
        export_onnx(model, onnx_path)
        sample = calibration.read_bytes() if calibration else None
        vocabulary = read_vocab_file(vocab_path)
        return checked(write_model_zip(output, onnx_path.read_bytes(), vocabulary, labels, params, calibration=sample))
    finally:
        onnx_path.unlink(missing_ok=True)
