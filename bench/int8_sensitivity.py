"""Where int8 loses label agreement, on the demo model's real weights (``make bench-int8``).

The engine's int8 graph keeps 98.2% of the fp32 labels on the 2,000 sample abstracts, below the 99%
the issue asks for. This measures, on the same abstracts, batches and threads:
- weights-only rounding (7- and 8-bit, per channel; activations stay fp32): the weights' share of the loss;
- the engine's int8 with one role (q, k, v, attention output, FFN in, FFN out) or one layer left in fp32;
- SmoothQuant (activation outliers moved into the weights, then the engine's int8), calibrated on the
  project's own 24 demo records (``devstack/replay/arxiv-demo.jsonl``), none of them in the sample.
Speed is against the plain fp32 graph run first and last (``compare_graphs``) and against the engine's
int8. Writes ``bench/results/int8_sensitivity.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "plugins"))
sys.path.insert(0, str(PROJECT / "bench"))

from arxiv_labeler.devstack.demo import DEMO_REPLAY_DATA  # noqa: E402
from arxiv_labeler.engines.tokenizer import WordpieceTokenizer, pad_batch  # noqa: E402
from arxiv_labeler.harvest.kaggle import read_snapshot, to_record  # noqa: E402
from arxiv_labeler.model.archive import ModelArchive  # noqa: E402
from arxiv_labeler.model.quantize import quantize_graph_file, quantized_onnx_bytes  # noqa: E402
from arxiv_labeler.text import paper_text  # noqa: E402
from classify_benchmark import BATCH_SIZE, DEFAULT_DATA, RESULTS, compare_graphs, demo_model  # noqa: E402

CALIBRATION = DEMO_REPLAY_DATA
ROLES = ("q", "k", "v", "attention_output", "ffn_in", "ffn_out")  # a BERT layer's weight MatMuls, in graph order


def weight_matmuls(model: onnx.ModelProto) -> list[onnx.NodeProto]:
    """The MatMuls with a constant right-hand side (what int8 quantizes), in graph order."""
    constants = {init.name for init in model.graph.initializer}
    return [node for node in model.graph.node if node.op_type == "MatMul" and node.input[1] in constants]


def layers_of(model: onnx.ModelProto) -> list[list[onnx.NodeProto]]:
    """The weight MatMuls grouped by encoder layer (six each, in ROLES order)."""
    nodes = weight_matmuls(model)
    if len(nodes) % len(ROLES):
        raise SystemExit(f"{len(nodes)} weight MatMuls: not whole BERT layers of {len(ROLES)}")
    return [nodes[start : start + len(ROLES)] for start in range(0, len(nodes), len(ROLES))]


def rounded_weights(graph: bytes, bits: int) -> bytes:
    """The fp32 graph with every MatMul weight rounded to ``bits`` per output channel (activations untouched)."""
    model = onnx.load_from_string(graph)
    names = {node.input[1] for node in weight_matmuls(model)}
    levels = 2 ** (bits - 1) - 1
    for init in model.graph.initializer:
        if init.name in names:
            weight = numpy_helper.to_array(init)  # [in, out]
            scale = np.abs(weight).max(axis=0, keepdims=True) / levels
            rounded = np.clip(np.round(weight / scale), -levels, levels) * scale
            init.CopyFrom(numpy_helper.from_array(rounded.astype(np.float32), init.name))
    return model.SerializeToString()


def activation_maxima(graph: bytes, id_lists: list[list[int]]) -> dict[str, np.ndarray]:
    """Per channel, the largest |value| of each weight MatMul's input over the real (unpadded) tokens."""
    import onnxruntime as ort

    model = onnx.load_from_string(graph)
    inputs = sorted({node.input[0] for node in weight_matmuls(model)})
    model.graph.output.extend(helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in inputs)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    maxima: dict[str, np.ndarray] = {}
    for start in range(0, len(id_lists), BATCH_SIZE):
        ids, mask = pad_batch(id_lists[start : start + BATCH_SIZE])
        values = session.run(inputs, {"input_ids": ids, "attention_mask": mask})
        for name, value in zip(inputs, values, strict=True):
            batch_max = np.abs(value[mask.astype(bool)]).max(axis=0)
            maxima[name] = np.maximum(maxima.get(name, batch_max), batch_max)
    return maxima


def smoothed(graph: bytes, id_lists: list[list[int]], alpha: float) -> bytes:
    """SmoothQuant: each weight MatMul's input divided per channel by s, the weight's rows multiplied by s.

    s = max|x|^alpha / max|w|^(1 - alpha), shared by the MatMuls reading one tensor. fp32 output unchanged
    (a Mul before the MatMuls: the LayerNorm outputs also feed the residual, so s cannot fold into them).
    """
    maxima = activation_maxima(graph, id_lists)
    model = onnx.load_from_string(graph)
    weights = {init.name: init for init in model.graph.initializer}
    readers: dict[str, list[onnx.NodeProto]] = {}
    for node in weight_matmuls(model):
        readers.setdefault(node.input[0], []).append(node)
    scalers: dict[str, onnx.NodeProto] = {}
    for tensor, nodes in readers.items():
        row_max = np.max([np.abs(numpy_helper.to_array(weights[n.input[1]])).max(axis=1) for n in nodes], axis=0)
        scale = (np.maximum(maxima[tensor], 1e-5) ** alpha / np.maximum(row_max, 1e-5) ** (1 - alpha)).astype(np.float32)
        for node in nodes:
            weight = numpy_helper.to_array(weights[node.input[1]]) * scale[:, None]
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(weight.astype(np.float32), node.input[1]))
            node.input[0] = f"{tensor}_smoothed"
        model.graph.initializer.append(numpy_helper.from_array(1 / scale, f"{tensor}_inverse_scale"))
        scalers[tensor] = helper.make_node("Mul", [tensor, f"{tensor}_inverse_scale"], [f"{tensor}_smoothed"])
    produced = {output for node in model.graph.node for output in node.output}
    nodes = [scalers[tensor] for tensor in scalers if tensor not in produced]  # graph inputs: scaled first
    for node in model.graph.node:
        nodes.append(node)
        nodes.extend(scalers[output] for output in node.output if output in scalers)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model.SerializeToString()


def quantized(graph: bytes, work: Path, name: str, exclude: list[str] | None = None) -> bytes:
    """The engine's int8 settings applied to ``graph``, leaving the ``exclude``d nodes in fp32."""
    source, target = work / f"{name}.fp32.onnx", work / f"{name}.onnx"
    source.write_bytes(graph)
    quantize_graph_file(source, target, exclude or ())
    return target.read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--alpha", type=float, action="append", help="SmoothQuant migration strength (0.5 by default)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    archive = ModelArchive.open(demo_model(PROJECT / "data" / "demo-model")).validate()
    tokenizer = WordpieceTokenizer(archive.vocabulary, False, archive.params.max_sentence_length)

    def ids_of(path: Path, limit: int | None = None) -> list[list[int]]:
        records = [to_record(entry) for entry in read_snapshot(path)][:limit]
        return [tokenizer.encode_ids(paper_text(r.title, r.abstract)[0]) or [101, 102] for r in records]

    id_lists, calibration = ids_of(args.data, args.papers), ids_of(CALIBRATION)
    plain = archive.onnx_bytes
    model = onnx.load_from_string(plain)
    layers = [[node.name for node in layer] for layer in layers_of(model)]
    with tempfile.TemporaryDirectory(prefix="arxiv-int8-sensitivity-") as scratch:
        work = Path(scratch)
        graphs: dict[str, bytes] = {"plain_fp32": plain, "plain_int8": quantized_onnx_bytes(archive)}
        graphs |= {f"weights_only_{bits}bit": rounded_weights(plain, bits) for bits in (7, 8)}
        for index, role in enumerate(ROLES):
            graphs[f"int8_{role}_in_fp32"] = quantized(plain, work, role, [layer[index] for layer in layers])
        for index, layer in enumerate(layers):
            graphs[f"int8_layer_{index}_in_fp32"] = quantized(plain, work, f"layer{index}", layer)
        for alpha in args.alpha or [0.5]:
            graphs[f"smoothquant_{alpha}_int8"] = quantized(smoothed(plain, calibration, alpha), work, f"sq{alpha}")
    figures: dict[str, Any] = compare_graphs(archive, graphs, id_lists, os.cpu_count() or 1, None)
    speed = figures["speed_vs_plain_fp32"]
    figures["speed_vs_engine_int8"] = {k: round(v / speed["plain_int8"], 3) for k, v in speed.items()}
    figures["calibration_papers"] = len(calibration)
    (RESULTS / "int8_sensitivity.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
