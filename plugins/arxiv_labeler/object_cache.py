"""S3 objects in a local cache: downloaded at most once per version (ETag), verified, published atomically.

Layout under the cache root::

    <bucket>/<key>/<etag>/               one complete version of the object (what its user keeps there)
    <bucket>/<key>/<etag>/manifest.json  written last: its presence means "complete" (``fetch_file``)
    <bucket>/<key>/.lock                 held while a version downloads (two tasks, one download)
    <bucket>/<key>/.partial-*/           a download in progress, renamed to ``<etag>`` when complete

A second fetch of an unchanged object is one HEAD request and no download. The GET carries
``If-Match`` with the ETag the HEAD saw, so bytes of one version never land under another's
ETag; a download is checked against the object's size, its SHA-256 checksum when S3 keeps one,
else the MD5 that a single-part upload's ETag is. Spark NLP's jar (``spark/sparknlp_jar.py``)
is cached this way; the model zip (``model/fetch.py``) uses the same HEAD, GET and checks.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import hashlib
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import ObjectChangedError

log = logging.getLogger(__name__)

# A full disk or a read-only or foreign cache: the message names the cache, not the object.
_NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class ObjectKind:
    """What a cache holds, for its messages: ``noun`` (``model``), the ``setting`` naming its URI, the error raised."""

    noun: str
    setting: str
    error: type[Exception]
    cache_hint: str  # where the cache normally lives, for the "not writable" message


@dataclass(frozen=True)
class ObjectVersion:
    """One version of an object, as its HEAD describes it."""

    bucket: str
    key: str
    etag: str  # unquoted
    size: int
    checksum_sha256: str | None = None  # base64, when S3 keeps a full-object SHA-256

    @property
    def uri(self) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class CachedFile:
    """A verified single-file object in the cache (``fetch_file``); also its manifest."""

    uri: str
    etag: str
    sha256: str
    size: int
    path: str
    downloaded: bool  # False on a cache hit


def safe_component(text: str) -> str:
    """``text`` as one file-name component (bucket, key and ETag become directory names)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if absent, never removed: another process may wait on it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class ObjectCache:
    """HEAD, conditional GET and checks of S3 objects (any boto3 S3 client), cached under ``root`` per ETag."""

    def __init__(self, s3_client: Any, root: Path, kind: ObjectKind) -> None:
        self.s3 = s3_client
        self.root = root
        self.kind = kind

    def slot(self, bucket: str, key: str) -> Path:
        """The object's directory: every cached version and the download lock live in it."""
        return self.root / safe_component(bucket) / safe_component(key)

    def entry(self, version: ObjectVersion) -> Path:
        """The directory of one complete version."""
        return self.slot(version.bucket, version.key) / safe_component(version.etag)

    def head(self, bucket: str, key: str) -> ObjectVersion:
        """The object's current version (`HeadObject <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html>`_).

        Raises:
            kind.error: the object is missing, access is denied, there are no credentials, S3 is unreachable.
        """
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        uri = f"s3://{bucket}/{key}"
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                raise self.kind.error(
                    f"{self.kind.noun} not found: {uri} (check {self.kind.setting}: bucket {bucket!r}, key {key!r})"
                ) from exc
            if code in ("403", "AccessDenied", "Forbidden"):
                raise self.kind.error(
                    f"access denied to {uri}: check the credentials of the S3 connection and the bucket's policy"
                ) from exc
            raise self.kind.error(f"cannot read {uri}: {exc}") from exc
        except NoCredentialsError as exc:
            raise self.kind.error(
                f"cannot read {uri}: no AWS credentials (define the S3 connection or read anonymously)"
            ) from exc
        except BotoCoreError as exc:  # endpoint unreachable, DNS, timeouts: retried by the task, named here
            endpoint = getattr(getattr(self.s3, "meta", None), "endpoint_url", "?")
            raise self.kind.error(f"cannot reach S3 at {endpoint} for {uri}: {exc} (check the endpoint_url and network)") from exc
        return ObjectVersion(
            bucket=bucket,
            key=key,
            etag=str(head["ETag"]).strip('"'),
            size=int(head["ContentLength"]),
            checksum_sha256=head.get("ChecksumSHA256"),
        )

    @contextmanager
    def writable(self) -> Iterator[None]:
        """Name the cache, not the object, when writing to it fails (read-only mount, foreign owner, full disk).

        Raises:
            kind.error: the cache directory cannot take the download.
        """
        try:
            yield
        except PermissionError as exc:  # also a read-only file system (EROFS) or a cache owned by another user
            raise self.kind.error(self.not_writable(exc)) from exc
        except OSError as exc:
            if exc.errno in _NOT_WRITABLE:
                raise self.kind.error(self.not_writable(exc)) from exc
            raise

    def not_writable(self, exc: OSError) -> str:
        """The message for a cache the task cannot write to."""
        return (
            f"{self.kind.noun} cache {self.root} is not writable ({exc.strerror or exc}: {exc.filename or ''}); "
            f"give the task a writable cache directory with room for the {self.kind.noun} ({self.kind.cache_hint})"
        )

    def download(self, version: ObjectVersion, path: Path) -> str:
        """Stream ``version`` to ``path`` if it is still the object's version (If-Match), verify it; returns its sha256.

        Raises:
            ObjectChangedError: the object was replaced after its HEAD (fetch it again).
            kind.error: the GET failed, the body was cut, or the bytes do not match size or checksum.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        uri = version.uri
        try:
            response = self.s3.get_object(Bucket=version.bucket, Key=version.key, IfMatch=f'"{version.etag}"')
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("412", "PreconditionFailed"):
                raise ObjectChangedError(f"{uri} was replaced after its HEAD (ETag {version.etag} no longer matches)") from exc
            raise self.kind.error(f"cannot download {uri}: {exc}") from exc
        written = 0
        try:
            with path.open("wb") as out:
                for chunk in response["Body"].iter_chunks(1 << 20):
                    out.write(chunk)
                    written += len(chunk)
        except (BotoCoreError, ConnectionError) as exc:  # the body stream cut mid-way
            raise self.kind.error(
                f"download of {uri} cut after {written} of {response.get('ContentLength', '?')} bytes ({exc}); nothing cached"
            ) from exc
        return self.verify(version, path)

    def verify(self, version: ObjectVersion, path: Path) -> str:
        """Check the downloaded bytes against the HEAD's size and checksum; returns their sha256 (hex).

        Raises:
            kind.error: truncated, or a checksum that does not match.
        """
        size = path.stat().st_size
        if size != version.size:
            raise self.kind.error(f"{version.uri}: downloaded {size} bytes, object has {version.size}; download truncated")
        sha256 = hashlib.sha256()
        md5 = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                sha256.update(chunk)
                md5.update(chunk)
        if version.checksum_sha256 and "-" not in version.checksum_sha256:  # a multipart checksum is not the object's
            expected = base64.b64decode(version.checksum_sha256).hex()
            if expected != sha256.hexdigest():
                raise self.kind.error(f"{version.uri}: sha256 mismatch (object says {expected})")
        elif re.fullmatch(r"[0-9a-f]{32}", version.etag) and md5.hexdigest() != version.etag:
            # A single-part upload's ETag is the MD5 of the bytes.
            raise self.kind.error(f"{version.uri}: MD5 {md5.hexdigest()} does not match ETag {version.etag}")
        return sha256.hexdigest()

    def fetch_file(self, bucket: str, key: str, file_name: str, check: Callable[[Path], None] | None = None) -> CachedFile:
        """The cached file of the object's current version, downloading it only when its ETag is new.

        ``check`` runs on a new download before it is published (raise to refuse it: nothing is cached).
        An object replaced while it downloads is fetched once more under its new ETag.

        Raises:
            kind.error: see :meth:`head`, :meth:`download`, :meth:`writable`.
            ObjectChangedError: replaced again during the second download.
        """
        try:
            return self._fetch_file(bucket, key, file_name, check)
        except ObjectChangedError as exc:
            log.warning("%s; fetching the new version", exc)
            return self._fetch_file(bucket, key, file_name, check)

    def _fetch_file(self, bucket: str, key: str, file_name: str, check: Callable[[Path], None] | None) -> CachedFile:
        version = self.head(bucket, key)
        entry = self.entry(version)
        cached = _cached_file(entry)
        if cached:
            log.info("%s %s: cache hit (ETag %s), nothing downloaded", self.kind.noun, version.uri, version.etag)
            return cached
        with self.writable(), locked(self.slot(bucket, key) / ".lock"):
            cached = _cached_file(entry)  # another task may have finished while we waited
            if cached:
                return cached
            return self._publish(version, entry, file_name, check)

    def _publish(self, version: ObjectVersion, entry: Path, file_name: str, check: Callable[[Path], None] | None) -> CachedFile:
        entry.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".partial-", dir=entry.parent))
        try:
            log.info("%s %s: downloading %s bytes (ETag %s)", self.kind.noun, version.uri, version.size, version.etag)
            sha256 = self.download(version, work / file_name)
            if check is not None:
                check(work / file_name)
            shutil.rmtree(entry, ignore_errors=True)
            work.rename(entry)  # atomic: the entry appears complete or not at all
            cached = CachedFile(version.uri, version.etag, sha256, version.size, str(entry / file_name), downloaded=True)
            manifest = entry / "manifest.json"
            manifest.with_suffix(".tmp").write_text(json.dumps(asdict(cached), indent=2))
            manifest.with_suffix(".tmp").replace(manifest)
            return cached
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _cached_file(entry: Path) -> CachedFile | None:
    """The entry's manifest when the entry is complete and its file still there; None otherwise (fetched again)."""
    manifest = entry / "manifest.json"
    if not manifest.exists():
        return None
    try:
        cached = CachedFile(**json.loads(manifest.read_text()))
    except (ValueError, TypeError):  # not JSON, or not a manifest's fields
        log.warning("cache manifest %s is unreadable; downloading again", manifest)
        return None
    if not Path(cached.path).is_file():
        return None
    return CachedFile(**(asdict(cached) | {"downloaded": False}))
