"""The model's ONNX graph, read as untrusted input: parsed without loading anything it points to, then checked.

A graph can name operators from custom-op libraries, or tensors stored in files anywhere
on disk (ONNX external data): neither is followed until it is found safe here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from arxiv_labeler.errors import ModelArchiveError

# The ONNX standard and onnxruntime's own built-in domains; anything else needs a custom-op library.
STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "com.microsoft"})
INT64 = 7  # onnx.TensorProto.INT64: the engine feeds input ids and the attention mask as int64


def parse_graph(graph: bytes, name: str) -> Any:
    """The graph as an ``onnx.ModelProto``, its external data not loaded.

    Raises:
        ModelArchiveError: the bytes are not an ONNX model.
    """
    import onnx  # heavy import kept out of module import

    try:
        return onnx.load_model_from_string(graph)
    except Exception as exc:  # protobuf's DecodeError and others
        raise ModelArchiveError(f"{name}: the ONNX graph does not parse ({exc})") from exc


def _all_graphs(graph: Any) -> Iterator[Any]:
    """The graph and every subgraph of its nodes' attributes (If, Loop, Scan bodies)."""
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("g"):
                yield from _all_graphs(attribute.g)
            for subgraph in attribute.graphs:
                yield from _all_graphs(subgraph)


def _tensors(model: Any) -> Iterator[Any]:
    """Every tensor stored in the model: initializers, and constants in node attributes."""
    for graph in _all_graphs(model.graph):
        yield from graph.initializer
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.HasField("t"):
                    yield attribute.t
                yield from attribute.tensors


def external_data_locations(model: Any) -> list[str]:
    """The files the model's tensors are stored in (ONNX external data), in order of first use."""
    locations: list[str] = []
    for tensor in _tensors(model):
        if tensor.data_location == 1:  # TensorProto.EXTERNAL
            entry = {item.key: item.value for item in tensor.external_data}
            if entry.get("location") not in locations:
                locations.append(entry.get("location", ""))
    return locations


def check_external_data(model: Any, files: Mapping[str, bytes], name: str) -> list[str]:
    """Refuse external data outside the model's own files; returns the files the graph uses.

    Raises:
        ModelArchiveError: a location that is absolute, climbs out (``..``), or is not a file of the model.
    """
    used = []
    for location in external_data_locations(model):
        path = PurePosixPath(location.replace("\\", "/"))
        if not location or path.is_absolute() or ".." in path.parts or (len(location) > 1 and location[1] == ":"):
            raise ModelArchiveError(
                f"{name}: the ONNX graph stores tensors in {location!r}, outside the model's own directory; refusing it"
            )
        if str(path) not in files:
            raise ModelArchiveError(
                f"{name}: the ONNX graph stores tensors in {location!r}, which the model zip does not hold "
                f"(it holds {sorted(files)})"
            )
        used.append(str(path))
    return used


def check_domains(model: Any, name: str) -> dict[str, int]:
    """The opset of each domain the graph imports; refuses operators outside the standard domains.

    Raises:
        ModelArchiveError: an operator or opset from a custom-op library, named with its domain.
    """
    opsets = {entry.domain: entry.version for entry in model.opset_import}
    custom = sorted(d for d in opsets if d not in STANDARD_DOMAINS)
    for graph in _all_graphs(model.graph):
        for node in graph.node:
            if node.domain not in STANDARD_DOMAINS:
                raise ModelArchiveError(
                    f"{name}: the ONNX graph uses operator {node.op_type!r} of domain {node.domain!r}, which needs a "
                    f"custom-op library; only the standard domains run here ({', '.join(sorted(STANDARD_DOMAINS - {''}))})"
                )
    if custom or model.functions:
        raise ModelArchiveError(f"{name}: the ONNX graph imports custom domains {custom} or defines functions; refusing it")
    return opsets


def input_types(model: Any) -> dict[str, int]:
    """The element type of each graph input that is not an initializer."""
    initializers = {init.name for init in model.graph.initializer}
    return {i.name: i.type.tensor_type.elem_type for i in model.graph.input if i.name not in initializers}


def embedding_rows(model: Any) -> int | None:
    """Rows of the word-embedding matrix: the initializer a Gather indexes with ``input_ids``; None if not found."""
    shapes = {init.name: list(init.dims) for init in model.graph.initializer}
    fed_by_ids = {"input_ids"}
    for node in model.graph.node:  # nodes are topologically sorted: casts of the ids come before their Gather
        if node.op_type in ("Cast", "Identity", "Unsqueeze", "Reshape") and node.input and node.input[0] in fed_by_ids:
            fed_by_ids.update(node.output)
        elif node.op_type == "Gather" and len(node.input) == 2 and node.input[1] in fed_by_ids and node.input[0] in shapes:
            dims = shapes[node.input[0]]
            return int(dims[0]) if dims else None
    return None


def self_contained(files: Mapping[str, bytes], graph_name: str, name: str) -> bytes:
    """The graph with its external data inlined (what the engines load), or the graph file itself when it has none.

    Raises:
        ModelArchiveError: the graph does not parse, or its external data lies outside the model's files.
    """
    graph = files[graph_name]
    model = parse_graph(graph, name)
    if not external_data_locations(model):
        return graph
    check_external_data(model, files, name)
    import onnx

    with tempfile.TemporaryDirectory(prefix="arxiv-graph-") as scratch:
        write_graph_files(files, Path(scratch))
        loaded = onnx.load(str(Path(scratch) / graph_name), load_external_data=True)
    onnx.external_data_helper.convert_model_from_external_data(loaded)
    return bytes(loaded.SerializeToString())


def write_graph_files(files: Mapping[str, bytes], directory: Path) -> None:
    """Write the graph's files into ``directory`` (names already checked: relative, no ``..``)."""
    for entry, data in files.items():
        target = directory.joinpath(*PurePosixPath(entry).parts)
        if not target.resolve().is_relative_to(directory.resolve()):
            raise ModelArchiveError(f"refusing graph file {entry!r} outside {directory}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def load_session(graph_path: Path, name: str) -> Any:
    """An onnxruntime session on the graph file (external data read beside it), as a load check: one thread.

    Raises:
        ModelArchiveError: naming onnxruntime's version and its own first line.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # a check, not a run
    try:
        return ort.InferenceSession(os.fspath(graph_path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/NotImplemented types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelArchiveError(f"{name}: onnxruntime {ort.__version__} cannot load the ONNX graph: {first_line}") from exc
