"""Fetch a model zip from S3 into a local cache, safely and at most once per object version.

Cache layout (``cache_root``)::

    <bucket>/<key>/<etag>/model.zip       the downloaded zip
    <bucket>/<key>/<etag>/model/          its validated extraction
    <bucket>/<key>/<etag>/manifest.json   written last: its presence means "complete"
    <bucket>/<key>/<etag>/int8-decisions/ quantize=auto's checks of this model (``engines.int8_check``)
    <bucket>/<key>/.lock                  held while downloading (two tasks, one download)

A second fetch of an unchanged object is one HEAD request and no download. The HEAD, the
conditional GET, its checks and the cache's lock are ``object_cache``'s (Spark NLP's jar uses them too).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import ConfigError, ModelArchiveError, ModelFetchError, ObjectChangedError
from arxiv_labeler.model.archive import ModelArchive, model_id
from arxiv_labeler.model.check import check_model
from arxiv_labeler.model.extract import DEFAULT_MAX_EXTRACTED_BYTES, safe_extract
from arxiv_labeler.model.quantize import Int8Decision, effective_quantize
from arxiv_labeler.object_cache import ObjectCache, ObjectKind, ObjectVersion, locked

log = logging.getLogger(__name__)

INT8_DECISIONS = "int8-decisions"  # the cache entry's folder of quantize=auto's decisions
_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>[^\s]+\.zip)$")
MODEL_KIND = ObjectKind(
    noun="model", setting="model_uri", error=ModelFetchError, cache_hint="the DAG uses $ARXIV_LABELER_DATA_DIR/models"
)


@dataclass(frozen=True)
class S3Location:
    """A parsed ``s3://bucket/key.zip``."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        """``s3://bucket/path/model.zip``.

        Raises:
            ConfigError: naming the bad URI and the expected form.
        """
        match = _S3_URI.match(uri.strip())
        if not match:
            raise ConfigError(f"model URI must look like s3://bucket/path/model.zip, got: {uri!r}")
        return cls(match.group("bucket"), match.group("key"))

    @property
    def name(self) -> str:
        """The object's file name without ``.zip``: the model name."""
        return self.key.rsplit("/", 1)[-1].removesuffix(".zip")

    @property
    def uri(self) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class FetchedModel:
    """The model stage's hand-off: a verified, extracted model in the cache (also its cache manifest)."""

    uri: str
    name: str
    etag: str
    sha256: str
    size: int
    zip_path: str
    model_dir: str
    downloaded: bool
    labels: tuple[str, ...]
    activation: str  # softmax or sigmoid: whether a paper's scores sum to one
    seconds: float = 0.0  # the fetch task's wall time
    int8: Int8Decision | None = None  # quantize=auto's check of this model, when the run asked for auto

    @property
    def model_id(self) -> str:
        """Name and sha256 of the zip."""
        return model_id(self.name, self.sha256)

    @property
    def int8_decisions_dir(self) -> Path:
        """Where the cache entry keeps quantize=auto's decisions (one file per model, onnxruntime and sample)."""
        return Path(self.model_dir).parent / INT8_DECISIONS

    def quantize_for(self, requested: str) -> str:
        """The graph classify runs for the run's ``quantize``: ``auto`` resolved by :attr:`int8` (fp32 without one)."""
        return effective_quantize(requested, self.int8)

    def archive(self) -> ModelArchive:
        """The extracted model (already validated when it entered the cache)."""
        return ModelArchive.open(Path(self.model_dir), sha256=self.sha256, name=self.name)

    def to_xcom(self) -> dict[str, Any]:
        """The JSON-able form (XCom and the cache manifest), with ``model_id`` for readers of the XCom."""
        return asdict(self) | {"labels": list(self.labels), "model_id": self.model_id}

    @classmethod
    def from_xcom(cls, data: Any) -> FetchedModel:
        """Inverse of :meth:`to_xcom`: the only way a fetched model is rebuilt.

        Raises:
            ConfigError: ``data`` is not a fetched model's XCom (a missing field is named).
        """
        try:
            values = {f.name: data[f.name] for f in fields(cls) if f.name not in ("seconds", "int8")}
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"not a fetched model (the fetch_model task's XCom): missing {exc}") from None
        values["labels"] = tuple(values["labels"])
        int8 = Int8Decision.from_dict(data["int8"]) if data.get("int8") else None  # absent from manifests and older XComs
        return cls(**values, seconds=float(data.get("seconds", 0.0)), int8=int8)


class ModelFetcher:
    """Downloads, verifies, extracts and validates model zips from S3 (any boto3 S3 client)."""

    def __init__(self, s3_client: Any, cache_root: Path, max_extracted_bytes: int = DEFAULT_MAX_EXTRACTED_BYTES) -> None:
        self.s3 = s3_client
        self.cache_root = cache_root
        self.max_extracted_bytes = max_extracted_bytes
        self.objects = ObjectCache(s3_client, cache_root, MODEL_KIND)

    def fetch(self, uri: str) -> FetchedModel:
        """Return the cached model for ``uri``, downloading only when its ETag is new.

        An object replaced while it downloads is fetched once more under its new ETag;
        the cache never holds bytes of one version under another's ETag.

        Raises:
            ValueError: bad URI.
            ModelFetchError: object missing, size or checksum mismatch, cache not writable.
            ModelArchiveError / UnsafeArchiveError: the zip is not a usable, safe model.
        """
        location = S3Location.parse(uri)
        try:
            return self._fetch(location, uri)
        except ObjectChangedError as exc:
            log.warning("%s; fetching the new version", exc)
            return self._fetch(location, uri)

    def _fetch(self, location: S3Location, uri: str) -> FetchedModel:
        version = self.objects.head(location.bucket, location.key)
        entry = self.objects.entry(version)
        cached = self._cached(entry, uri)
        if cached:
            log.info("model %s: cache hit (ETag %s), nothing downloaded", uri, version.etag)
            return cached
        with self.objects.writable(), locked(self.objects.slot(location.bucket, location.key) / ".lock"):
            cached = self._cached(entry, uri)  # another task may have finished while we waited
            if cached:
                return cached
            return self._download(location, uri, version, entry)

    def _cached(self, entry: Path, uri: str) -> FetchedModel | None:
        manifest = entry / "manifest.json"
        if not manifest.exists():
            return None
        try:
            fetched = FetchedModel.from_xcom(json.loads(manifest.read_text()))
        except (ValueError, TypeError):  # not JSON, or not a fetched model's fields (ConfigError is a ValueError)
            log.warning("model cache manifest %s is unreadable; downloading again", manifest)
            return None
        if not Path(fetched.model_dir, "metadata", "part-00000").exists():
            return None
        return replace(fetched, uri=uri, downloaded=False, seconds=0.0)

    def _download(self, location: S3Location, uri: str, version: ObjectVersion, entry: Path) -> FetchedModel:
        entry.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".partial-", dir=entry.parent))
        try:
            zip_path = work / "model.zip"
            log.info("model %s: downloading %s bytes (ETag %s)", uri, version.size, version.etag)
            sha256 = self.objects.download(version, zip_path)
            model_dir = work / "model"
            model_dir.mkdir()
            safe_extract(zip_path, model_dir, self.max_extracted_bytes)
            try:
                archive = ModelArchive.open(model_dir, sha256=sha256, name=location.name)
                check_model(archive)  # before the entry exists: a refused model is never cached
            except ModelArchiveError as exc:
                raise ModelArchiveError(f"{uri}: {exc}") from exc
            shutil.rmtree(entry, ignore_errors=True)
            work.rename(entry)  # atomic: the entry appears complete or not at all
            fetched = FetchedModel(
                uri=uri,
                name=location.name,
                etag=version.etag,
                sha256=sha256,
                size=version.size,
                zip_path=str(entry / "model.zip"),
                model_dir=str(entry / "model"),
                downloaded=True,
                labels=tuple(archive.labels),
                activation=archive.params.activation,
            )
            manifest = entry / "manifest.json"
            manifest.with_suffix(".tmp").write_text(json.dumps(fetched.to_xcom(), indent=2))
            manifest.with_suffix(".tmp").replace(manifest)
            return fetched
        finally:
            shutil.rmtree(work, ignore_errors=True)
