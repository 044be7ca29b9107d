"""What Spark workers load: the raw ONNX file and a small JSON spec, prepared once on the driver.

Workers then open the graph file directly (no 250 MB zip read, no protobuf parse,
int8 quantization done once), which cuts both start-up time and memory per worker.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import ConfigError
from arxiv_labeler.model.archive import ModelArchive, ModelParams
from arxiv_labeler.settings import GRAPH_QUANTIZATIONS


@dataclass(frozen=True)
class WorkerBundle:
    """A model prepared for workers: ``<key>.onnx`` and ``<key>.json`` side by side."""

    onnx_path: Path
    spec_path: Path


@dataclass(frozen=True)
class ModelSpec:
    """Everything but the graph: vocabulary, labels in id order, params, identity."""

    model_id: str
    vocabulary: dict[str, int]
    labels: list[str]
    params: ModelParams

    @classmethod
    def load(cls, path: Path) -> ModelSpec:
        """Read a spec written by :func:`prepare_bundle`."""
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["model_id"], data["vocabulary"], data["labels"], ModelParams(**data["params"]))


def bundle_paths(directory: Path, sha256: str, quantize: str) -> WorkerBundle:
    """Where the bundle of a model (by zip sha256) and its graph (``none`` = fp32, or ``int8``) lives.

    Raises:
        ConfigError: ``quantize`` is not a graph; ``auto`` must be decided first (``FetchedModel.quantize_for``).
    """
    if quantize not in GRAPH_QUANTIZATIONS:
        raise ConfigError(
            f"a worker bundle holds one of the graphs {GRAPH_QUANTIZATIONS}, got quantize={quantize!r} "
            "(auto is decided before: FetchedModel.quantize_for, engines.int8_check)"
        )
    key = f"{sha256[:16]}-{quantize}"
    return WorkerBundle(directory / f"{key}.onnx", directory / f"{key}.json")


def prepare_bundle(archive: ModelArchive, directory: Path, quantize: str = "none") -> WorkerBundle:
    """Write (once) the bundle for ``archive`` and ``quantize`` under ``directory``; returns its paths."""
    bundle = bundle_paths(directory, archive.sha256, quantize)
    if bundle.onnx_path.exists() and bundle.spec_path.exists():
        return bundle
    directory.mkdir(parents=True, exist_ok=True)
    if quantize == "int8":
        from arxiv_labeler.model.quantize import quantized_onnx_bytes

        graph = quantized_onnx_bytes(archive)
    else:
        graph = archive.onnx_bytes
    spec = {
        "model_id": archive.model_id,
        "vocabulary": archive.vocabulary,
        "labels": archive.labels,
        "params": asdict(archive.params),
    }
    scratch = Path(tempfile.mkdtemp(prefix=".bundle-", dir=directory))
    try:
        (scratch / "g.onnx").write_bytes(graph)
        (scratch / "s.json").write_text(json.dumps(spec), encoding="utf-8")
        # graph first, spec last: a spec on disk means its graph is complete
        (scratch / "g.onnx").replace(bundle.onnx_path)
        (scratch / "s.json").replace(bundle.spec_path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return bundle
