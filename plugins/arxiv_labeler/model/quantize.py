"""int8 dynamic quantization of a model's ONNX graph (onnxruntime.quantization), cached by sha256."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from arxiv_labeler.model.archive import ModelArchive

_CACHE: dict[str, bytes] = {}


def quantized_onnx_bytes(archive: ModelArchive) -> bytes:
    """The archive's ONNX graph with MatMul weights quantized to int8 (activations quantized per batch).

    Per-channel scales and 7-bit weights (``reduce_range``): on the demo model's 911 held-out
    abstracts this keeps 98.4% label agreement with fp32, against 96.5% for per-tensor 8-bit.
    """
    key = archive.onnx_sha256
    if key not in _CACHE:
        with tempfile.TemporaryDirectory(prefix="arxiv-int8-") as scratch:
            source = Path(scratch) / "model.onnx"
            target = Path(scratch) / "model.int8.onnx"
            source.write_bytes(archive.onnx_bytes)
            quantize_graph_file(source, target)
            _CACHE[key] = target.read_bytes()
    return _CACHE[key]


def quantize_graph_file(source: Path, target: Path, nodes_to_exclude: Sequence[str] = ()) -> None:
    """Write ``source``'s graph to ``target`` with the project's int8 settings (the docstring above says why).

    ``nodes_to_exclude``: nodes left in fp32 (the benchmark's sensitivity study; the engine excludes none).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        reduce_range=True,
        nodes_to_exclude=list(nodes_to_exclude),
    )
