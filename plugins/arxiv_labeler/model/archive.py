"""``ModelArchive``: a Spark NLP ``DistilBertForSequenceClassification`` model, read without a JVM.

The layout and byte formats are those ``DistilBertForSequenceClassification.save``
writes (see ``docs/sparknlp-model-format.md`` in the README). The archive can be
the zip as published or the directory it unzips to.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from arxiv_labeler.errors import ModelArchiveError, UnsafeArchiveError
from arxiv_labeler.model.extract import check_members, read_member
from arxiv_labeler.model.java_serialization import read_tuple2_array
from arxiv_labeler.model.sequence_file import parse_sequence_file, verify_crc

MODEL_CLASS = "com.johnsnowlabs.nlp.annotators.classifier.dl.DistilBertForSequenceClassification"
ONNX_ENTRY = "distilbert_classification_onnx"
TENSORFLOW_ENTRY = "distilbert_classification_tensorflow"
ONNX_INPUTS = ("input_ids", "attention_mask")
ONNX_OUTPUT = "logits"
SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[UNK]")
# Optional, this project's own entry (Spark NLP ignores it): papers on which quantize=auto compares int8 with fp32.
CALIBRATION_ENTRY = "calibration/abstracts.jsonl"

# Spark NLP's defaults for the params this project reads (paramMap overrides them).
DEFAULT_PARAMS: dict[str, Any] = {
    "batchSize": 8,
    "maxSentenceLength": 128,
    "caseSensitive": True,
    "coalesceSentences": False,
    "activation": "softmax",
    "threshold": 0.5,
    "engine": "tensorflow",
}


def model_id(name: str, sha256: str) -> str:
    """A model's identity in every labeled row and table: the zip's name and sha256."""
    return f"{name}@sha256:{sha256}"


@dataclass(frozen=True)
class ModelParams:
    """The params that change how text is turned into scores."""

    batch_size: int
    max_sentence_length: int
    case_sensitive: bool
    coalesce_sentences: bool
    activation: str
    threshold: float

    @classmethod
    def from_param_map(cls, params: dict[str, Any]) -> ModelParams:
        """Build from a merged Spark param map, checking each param's type and range as Spark NLP types them.

        Raises:
            ModelArchiveError: naming the param, the value and what is allowed.
        """
        activation = params["activation"]
        if activation not in ("softmax", "sigmoid"):
            raise ModelArchiveError(f"param activation must be 'softmax' or 'sigmoid', got {activation!r}")
        max_len = _integer(params, "maxSentenceLength")
        if not 1 <= max_len <= 512:
            raise ModelArchiveError(f"param maxSentenceLength must be an int in 1..512, got {max_len}")
        batch_size = _integer(params, "batchSize")
        if batch_size < 1:
            raise ModelArchiveError(f"param batchSize must be >= 1, got {batch_size}")
        threshold = params["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
            raise ModelArchiveError(f"param threshold must be a number in [0, 1], got {threshold!r}")
        return cls(
            batch_size=batch_size,
            max_sentence_length=max_len,
            case_sensitive=_boolean(params, "caseSensitive"),
            coalesce_sentences=_boolean(params, "coalesceSentences"),
            activation=str(activation),
            threshold=float(threshold),
        )


def _integer(params: dict[str, Any], name: str) -> int:
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, int):  # JSON true is not 1, "128" is not 128
        raise ModelArchiveError(f"param {name} must be an int, got {value!r}")
    return value


def _boolean(params: dict[str, Any], name: str) -> bool:
    value = params[name]
    if not isinstance(value, bool):  # "false" would be truthy
        raise ModelArchiveError(f"param {name} must be a boolean (true or false), got {value!r}")
    return value


class _Source(Protocol):
    name: str

    def read(self, path: str) -> bytes | None: ...

    def list(self, prefix: str) -> list[str]: ...


@dataclass
class _DirectorySource:
    root: Path
    name: str

    def read(self, path: str) -> bytes | None:
        target = self.root / path
        return target.read_bytes() if target.is_file() else None

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(str(PurePosixPath(prefix) / p.name) for p in base.iterdir() if p.is_file())


@dataclass
class _ZipSource:
    archive: zipfile.ZipFile
    name: str
    root: str = ""
    names: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.names = set(self.archive.namelist())
        if "metadata/part-00000" not in self.names:
            # Some tools zip the folder itself: accept exactly one wrapping directory.
            roots = {n.split("/", 1)[0] for n in self.names if n.endswith("metadata/part-00000")}
            if len(roots) == 1:
                self.root = roots.pop() + "/"

    def read(self, path: str) -> bytes | None:
        full = self.root + path
        if full not in self.names:
            return None
        try:
            return read_member(self.archive, self.archive.getinfo(full), self.name)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ModelArchiveError(f"{self.name}: cannot read {path} from the zip ({exc})") from exc

    def list(self, prefix: str) -> list[str]:
        start = self.root + prefix.rstrip("/") + "/"
        return sorted(
            n[len(self.root) :] for n in self.names if n.startswith(start) and "/" not in n[len(start) :] and n != start
        )


class ModelArchive:
    """A Spark NLP DistilBertForSequenceClassification model (zip or unzipped directory).

    Everything is read lazily and validated on first use; :meth:`validate`
    reads all of it at once so a bad model fails before any work is done.
    """

    def __init__(self, source: _Source, sha256: str, name: str) -> None:
        self._source = source
        self.sha256 = sha256
        self.name = name

    @classmethod
    def open(cls, path: str | Path, sha256: str | None = None, name: str | None = None) -> ModelArchive:
        """Open a model zip or its unzipped directory.

        ``sha256`` is the zip's digest (computed here for a zip; pass it for a
        directory extracted from a known zip). ``name`` defaults to the file name
        without ``.zip``.

        Raises:
            ModelArchiveError: the path does not exist or is not a zip.
        """
        path = Path(path)
        if path.is_dir():
            digest = sha256 or _directory_digest(path)
            return cls(_DirectorySource(path, str(path)), digest, name or path.name)
        if not path.is_file():
            raise ModelArchiveError(f"model not found: {path}")
        data = path.read_bytes()
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise ModelArchiveError(f"{path}: not a zip file ({exc}); expected a Spark NLP model zip") from exc
        check_members(archive, str(path))  # before any entry is inflated
        digest = sha256 or hashlib.sha256(data).hexdigest()
        return cls(_ZipSource(archive, str(path)), digest, name or path.name.removesuffix(".zip"))

    @property
    def model_id(self) -> str:
        """Name and sha256 of the zip: the identity carried into every labeled row."""
        return model_id(self.name, self.sha256)

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """The ``metadata/part-00000`` JSON line, checked to be this model class."""
        raw = self._source.read("metadata/part-00000")
        if raw is None:
            raise ModelArchiveError(f"{self._source.name}: missing metadata/part-00000; not a Spark NLP model")
        try:
            metadata = json.loads(raw.decode("utf-8").splitlines()[0])
        except (UnicodeDecodeError, json.JSONDecodeError, IndexError) as exc:
            raise ModelArchiveError(f"{self._source.name}: metadata/part-00000 is not JSON ({exc})") from exc
        if not isinstance(metadata, dict):
            raise ModelArchiveError(f"{self._source.name}: metadata/part-00000 is not a JSON object")
        found = metadata.get("class")
        if found != MODEL_CLASS:
            raise ModelArchiveError(f"{self._source.name}: model class is {found!r}; expected {MODEL_CLASS}")
        return metadata

    @property
    def uid(self) -> str:
        """The Spark ML uid from the metadata."""
        return str(self.metadata.get("uid", ""))

    @property
    def spark_version(self) -> str:
        """The Spark version that saved the model."""
        return str(self.metadata.get("sparkVersion", ""))

    @cached_property
    def param_map(self) -> dict[str, Any]:
        """Spark NLP defaults, then the file's defaultParamMap, then its paramMap."""
        merged = dict(DEFAULT_PARAMS)
        merged.update(self.metadata.get("defaultParamMap") or {})
        merged.update(self.metadata.get("paramMap") or {})
        return merged

    @property
    def engine(self) -> str:
        """``onnx`` or ``tensorflow`` (Spark NLP's default when unset)."""
        return str(self.param_map.get("engine", "tensorflow"))

    @cached_property
    def params(self) -> ModelParams:
        """The typed params that drive tokenization and scoring."""
        return ModelParams.from_param_map(self.param_map)

    def _feature(self, feature: str) -> dict[str, int]:
        folder = f"fields/{feature}"
        files = self._source.list(folder)
        if any(PurePosixPath(p).suffix == ".parquet" for p in files):
            raise ModelArchiveError(
                f"{self._source.name}: {folder} uses 'dataset' (parquet) serialization; "
                "only the default 'object' mode is supported"
            )
        parts = [p for p in files if PurePosixPath(p).name.startswith("part-")]
        if not parts:
            raise ModelArchiveError(f"{self._source.name}: missing {folder}/part-* files")
        mapping: dict[str, int] = {}
        for part in parts:
            data = self._source.read(part) or b""
            label = f"{self._source.name}:{part}"
            crc_name = str(PurePosixPath(part).with_name(f".{PurePosixPath(part).name}.crc"))
            try:
                verify_crc(data, self._source.read(crc_name), label)
                for value in parse_sequence_file(data, label):
                    mapping.update(read_tuple2_array(value))
            except ModelArchiveError as exc:  # the fields codec's own errors, named with the feature
                raise ModelArchiveError(f"{label}: cannot read feature {feature!r}: {exc}") from exc
        return mapping

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """WordPiece vocabulary, piece -> id, checked for the special tokens."""
        vocab = self._feature("vocabulary")
        missing = [t for t in SPECIAL_TOKENS if t not in vocab]
        if missing:
            raise ModelArchiveError(f"{self._source.name}: vocabulary lacks {', '.join(missing)}")
        return vocab

    @cached_property
    def labels(self) -> list[str]:
        """Label names in id order (ids must be exactly 0..n-1)."""
        mapping = self._feature("labels")
        ids = sorted(mapping.values())
        if ids != list(range(len(ids))):
            raise ModelArchiveError(f"{self._source.name}: label ids must be 0..{len(ids) - 1} without gaps, got {ids[:20]}")
        return [label for label, _ in sorted(mapping.items(), key=lambda kv: kv[1])]

    @cached_property
    def graph_files(self) -> dict[str, bytes]:
        """The inner ``distilbert_classification_onnx`` zip's files: the ``.onnx`` graph and any external data beside it."""
        inner = self._source.read(ONNX_ENTRY)
        if inner is None:
            if self._source.read(TENSORFLOW_ENTRY) is not None or self._source.list("fields/signatures"):
                raise ModelArchiveError(
                    f"{self._source.name}: this is a TensorFlow-engine model; the onnx engine cannot run it. "
                    "Use engine=sparknlp (Spark NLP jar) or export the model with the ONNX engine"
                )
            raise ModelArchiveError(f"{self._source.name}: missing {ONNX_ENTRY}")
        label = f"{self._source.name}: {ONNX_ENTRY}"
        try:
            with zipfile.ZipFile(io.BytesIO(inner)) as archive:
                check_members(archive, label)
                files = {info.filename: read_member(archive, info, label) for info in archive.infolist() if not info.is_dir()}
        except (zipfile.BadZipFile, EOFError) as exc:
            raise ModelArchiveError(f"{label} is not a valid zip ({exc})") from exc
        except UnsafeArchiveError as exc:
            raise ModelArchiveError(str(exc)) from exc
        if not files:
            raise ModelArchiveError(f"{label} is an empty zip")
        return files

    @property
    def graph_name(self) -> str:
        """The graph's file in the inner zip: its ``.onnx`` entry (Spark NLP writes one), else its first file."""
        graphs = [name for name in self.graph_files if name.endswith(".onnx")]
        if len(graphs) > 1:
            raise ModelArchiveError(f"{self._source.name}: {ONNX_ENTRY} holds several graphs: {sorted(graphs)}")
        return graphs[0] if graphs else next(iter(self.graph_files))

    @cached_property
    def onnx_bytes(self) -> bytes:
        """The ONNX graph, self-contained: external data files of the inner zip are inlined (``model.onnx_graph``)."""
        from arxiv_labeler.model.onnx_graph import self_contained

        return self_contained(self.graph_files, self.graph_name, self._source.name)

    @cached_property
    def onnx_signature(self) -> tuple[list[str], list[str]]:
        """(input names, output names) of the ONNX graph, checked against what the engine feeds."""
        from arxiv_labeler.model.onnx_graph import parse_graph

        model = parse_graph(self.graph_files[self.graph_name], self._source.name)
        initializers = {init.name for init in model.graph.initializer}
        inputs = [i.name for i in model.graph.input if i.name not in initializers]
        outputs = [o.name for o in model.graph.output]
        if not set(ONNX_INPUTS) <= set(inputs) or ONNX_OUTPUT not in outputs:
            raise ModelArchiveError(
                f"{self._source.name}: ONNX graph has inputs {inputs} and outputs {outputs}; "
                f"expected inputs {list(ONNX_INPUTS)} and output {ONNX_OUTPUT!r}"
            )
        return inputs, outputs

    @cached_property
    def calibration_bytes(self) -> bytes | None:
        """The zip's own calibration sample (``calibration/abstracts.jsonl``, JSON lines), or None when it has none."""
        return self._source.read(CALIBRATION_ENTRY)

    @property
    def onnx_sha256(self) -> str:
        """sha256 of the ONNX graph bytes."""
        return hashlib.sha256(self.onnx_bytes).hexdigest()

    def validate(self) -> ModelArchive:
        """Read and check every part now; returns ``self`` for chaining.

        Raises:
            ModelArchiveError: the first problem found, naming the part.
        """
        _ = (self.metadata, self.params, self.vocabulary, self.labels, self.onnx_signature)
        return self

    def describe(self) -> dict[str, Any]:
        """What ``model inspect`` prints."""
        inputs, outputs = self.onnx_signature
        return {
            "model_id": self.model_id,
            "class": self.metadata["class"],
            "uid": self.uid,
            "spark_version": self.spark_version,
            "engine": self.engine,
            "params": {k: self.param_map[k] for k in sorted(self.param_map)},
            "labels": self.labels,
            "vocabulary_size": len(self.vocabulary),
            "onnx": {"sha256": self.onnx_sha256, "bytes": len(self.onnx_bytes), "inputs": inputs, "outputs": outputs},
        }


def _directory_digest(path: Path) -> str:
    """A stable digest for a directory not extracted from a known zip (sorted names and bytes)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()
