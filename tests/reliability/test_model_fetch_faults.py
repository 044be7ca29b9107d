"""Model-fetch faults injected through a real S3 API (moto on 127.0.0.1), a closed port and the cache on disk."""

from __future__ import annotations

import hashlib
import socket
import struct
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from arxiv_labeler.errors import ModelFetchError
from arxiv_labeler.model.fetch import ModelFetcher
from botocore import UNSIGNED
from botocore.config import Config

from tests.reliability.conftest import closed_port, signed
from tests.support.loopback_http import LoopbackHttpServer, QuietHandler


def test_s3_unreachable_names_the_endpoint_and_what_to_check(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    client = signed(endpoint, Config(retries={"max_attempts": 1}, connect_timeout=2))
    with pytest.raises(ModelFetchError, match=rf"cannot reach S3 at {endpoint} for s3://models/m.zip.*check the endpoint_url"):
        ModelFetcher(client, tmp_path / "cache").fetch("s3://models/m.zip")
    assert not any((tmp_path / "cache").rglob("manifest.json"))


def test_s3_403_names_bucket_key_and_what_to_check(moto_endpoint: str, tiny_zip: Path, tmp_path: Path) -> None:
    owner = signed(moto_endpoint)
    owner.create_bucket(Bucket="private-models")  # type: ignore[attr-defined]
    owner.upload_file(str(tiny_zip), "private-models", "m/tiny.zip")  # type: ignore[attr-defined]
    anonymous = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    with pytest.raises(ModelFetchError, match=r"access denied to s3://private-models/m/tiny.zip: check the credentials"):
        ModelFetcher(anonymous, tmp_path / "cache").fetch("s3://private-models/m/tiny.zip")


def test_s3_404_names_bucket_and_key(moto_endpoint: str, tmp_path: Path) -> None:
    signed(moto_endpoint).create_bucket(Bucket="empty-models")  # type: ignore[attr-defined]
    with pytest.raises(ModelFetchError, match=r"model not found: s3://empty-models/nope.zip \(check model_uri: bucket"):
        ModelFetcher(signed(moto_endpoint), tmp_path / "cache").fetch("s3://empty-models/nope.zip")


def test_corrupted_cache_manifest_is_rebuilt_not_trusted(moto_endpoint: str, tiny_zip: Path, tmp_path: Path) -> None:
    client = signed(moto_endpoint)
    client.create_bucket(Bucket="cached-models")  # type: ignore[attr-defined]
    client.upload_file(str(tiny_zip), "cached-models", "tiny.zip")  # type: ignore[attr-defined]
    fetcher = ModelFetcher(client, tmp_path / "cache")
    first = fetcher.fetch("s3://cached-models/tiny.zip")
    (manifest,) = (tmp_path / "cache").rglob("manifest.json")
    manifest.write_text('{"uri": "s3://cached-models/tiny.zip", "trunc')
    again = fetcher.fetch("s3://cached-models/tiny.zip")
    assert again.downloaded and again.sha256 == first.sha256  # fetched again, same bytes
    assert fetcher.fetch("s3://cached-models/tiny.zip").downloaded is False  # and the rebuilt entry is trusted


class CuttingS3Server(LoopbackHttpServer):
    """An S3 endpoint for one object: the first ``unavailable`` requests get 503 SlowDown; then HEAD answers
    properly and the first ``cut`` GETs send half the body, then reset the connection."""

    def __init__(self, bucket: str, key: str, body: bytes, cut: int = 1, unavailable: int = 0) -> None:
        self.path, self.body, self.cut, self.gets = f"/{bucket}/{key}", body, cut, 0
        self.unavailable, self.requests = unavailable, 0
        etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
        outer = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def _unavailable(self) -> bool:
                outer.requests += 1
                if outer.requests > outer.unavailable:
                    return False
                error = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                self.send_response(503)
                self.send_header("Content-Length", str(len(error) if self.command == "GET" else 0))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(error)
                return True

            def _headers(self) -> None:
                self.send_response(200 if self.path.split("?")[0] == outer.path else 404)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(outer.body)))
                self.send_header("Content-Type", "application/zip")
                self.end_headers()

            def do_HEAD(self) -> None:
                if not self._unavailable():
                    self._headers()

            def do_GET(self) -> None:
                if self._unavailable():
                    return
                outer.gets += 1
                self._headers()
                if outer.gets > outer.cut:
                    self.wfile.write(outer.body)
                    return
                self.wfile.write(outer.body[: len(outer.body) // 2])
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

        super().__init__(Handler)


def test_download_cut_mid_body_is_never_cached_and_the_retry_completes(tiny_zip: Path, tmp_path: Path) -> None:
    server = CuttingS3Server("models", "cut/tiny.zip", tiny_zip.read_bytes())
    cache = tmp_path / "cache"
    try:
        client = signed(server.url, Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
        with pytest.raises(ModelFetchError, match=r"download of s3://models/cut/tiny.zip cut after \d+ of \d+ bytes"):
            ModelFetcher(client, cache).fetch("s3://models/cut/tiny.zip")
        assert not list(cache.rglob("manifest.json")) and not list(cache.rglob(".partial-*"))
        again = ModelFetcher(client, cache).fetch("s3://models/cut/tiny.zip")  # the task's retry
    finally:
        server.close()
    assert again.downloaded and again.sha256 == hashlib.sha256(tiny_zip.read_bytes()).hexdigest()


def test_object_replaced_between_head_and_get_is_fetched_again_never_mixed(
    moto_endpoint: str, tiny_zip: Path, tmp_path: Path
) -> None:
    from tests.support.tiny_model import build_tiny_model

    other = build_tiny_model(tmp_path / "other", seed=1, labels=["x", "y"])
    owner = signed(moto_endpoint)
    owner.create_bucket(Bucket="replaced-models")
    owner.upload_file(str(tiny_zip), "replaced-models", "m.zip")
    reader = signed(moto_endpoint)
    gets: list[str] = []

    def publish_new_version_once(**_: object) -> None:  # a concurrent publisher, between our HEAD and our GET
        gets.append("get")
        if len(gets) == 1:
            owner.upload_file(str(other), "replaced-models", "m.zip")

    reader.meta.events.register("before-call.s3.GetObject", publish_new_version_once)
    fetched = ModelFetcher(reader, tmp_path / "cache").fetch("s3://replaced-models/m.zip")
    assert len(gets) == 2  # refused by If-Match, then fetched under the new ETag
    assert fetched.sha256 == hashlib.sha256(other.read_bytes()).hexdigest() and fetched.archive().labels == ["x", "y"]
    manifests = list((tmp_path / "cache").rglob("manifest.json"))
    assert [m.parent for m in manifests] == [Path(fetched.model_dir).parent]  # one complete entry: the new version


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Bind-mount ``directory`` read-only onto itself (as a read-only volume would be); skips where mounts are not allowed."""
    done = subprocess.run(["mount", "--bind", str(directory), str(directory)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({done.stderr.strip()}); the read-only cache needs mount privileges")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(directory)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(directory)], check=True, capture_output=True)


def test_read_only_cache_serves_hits_and_names_itself_for_a_new_model(moto_endpoint: str, tiny_zip: Path, tmp_path: Path) -> None:
    from tests.support.tiny_model import build_tiny_model

    client = signed(moto_endpoint)
    client.create_bucket(Bucket="ro-models")
    client.upload_file(str(tiny_zip), "ro-models", "m.zip")
    cache = tmp_path / "cache"
    first = ModelFetcher(client, cache).fetch("s3://ro-models/m.zip")
    before = sorted(str(p) for p in cache.rglob("*"))
    client.upload_file(str(build_tiny_model(tmp_path / "other", seed=1, labels=["x", "y"])), "ro-models", "new.zip")
    with read_only(cache):
        hit = ModelFetcher(client, cache).fetch("s3://ro-models/m.zip")
        with pytest.raises(ModelFetchError, match=rf"model cache {cache} is not writable \(Read-only file system"):
            ModelFetcher(client, cache).fetch("s3://ro-models/new.zip")
    assert not hit.downloaded and hit.sha256 == first.sha256
    assert sorted(str(p) for p in cache.rglob("*")) == before


def test_onnx_graph_onnxruntime_cannot_load_is_refused_naming_the_model(
    moto_endpoint: str, tiny_zip: Path, tmp_path: Path
) -> None:
    import onnx
    from arxiv_labeler.errors import ModelArchiveError
    from arxiv_labeler.model.archive import ModelArchive
    from arxiv_labeler.model.package import write_model_zip

    archive = ModelArchive.open(tiny_zip)
    graph = onnx.load_model_from_string(archive.onnx_bytes)
    graph.graph.node[len(graph.graph.node) // 2].op_type = "NoSuchOp"  # parses as ONNX, no runtime has the kernel
    bad = write_model_zip(
        tmp_path / "bad-op.zip", graph.SerializeToString(), archive.vocabulary, archive.labels, {"caseSensitive": False}
    )
    client = signed(moto_endpoint)
    client.create_bucket(Bucket="op-models")
    client.upload_file(str(bad), "op-models", "bad-op.zip")
    with pytest.raises(
        ModelArchiveError, match=r"s3://op-models/bad-op.zip: .*onnxruntime [\d.]+ cannot load the ONNX graph: .*NoSuchOp"
    ):
        ModelFetcher(client, tmp_path / "cache").fetch("s3://op-models/bad-op.zip")
    assert not list((tmp_path / "cache").rglob("manifest.json"))


def test_a_deeply_nested_inner_zip_is_never_expanded(moto_endpoint: str, tiny_zip: Path, tmp_path: Path) -> None:
    import io
    import zipfile

    payload = b"\0" * (64 << 20)  # 64 MiB at the core of 20 nested zips
    for level in range(20):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as inner:
            inner.writestr(f"level-{level}.bin" if level == 0 else f"level-{level}.zip", payload)
        payload = buffer.getvalue()
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(tiny_zip) as model, zipfile.ZipFile(nested, "w", zipfile.ZIP_DEFLATED) as out:
        for info in model.infolist():
            out.writestr(info, model.read(info))
        out.writestr("fields/extra/inner.zip", payload)  # small on the wire; the model reader never opens it
    client = signed(moto_endpoint)
    client.create_bucket(Bucket="nested-models")
    client.upload_file(str(nested), "nested-models", "nested.zip")
    fetched = ModelFetcher(client, tmp_path / "cache").fetch("s3://nested-models/nested.zip")
    extracted = sum(p.stat().st_size for p in Path(fetched.model_dir).rglob("*") if p.is_file())
    assert extracted < 2 * nested.stat().st_size  # only the outer level was unpacked, with its declared sizes checked
    assert fetched.archive().labels == ["cs", "math", "physics"]


def test_s3_503_then_success_is_retried(tiny_zip: Path, tmp_path: Path) -> None:
    server = CuttingS3Server("models", "busy/tiny.zip", tiny_zip.read_bytes(), cut=0, unavailable=2)
    try:
        client = signed(server.url, Config(s3={"addressing_style": "path"}))  # botocore's default retries, as the hook's
        fetched = ModelFetcher(client, tmp_path / "cache").fetch("s3://models/busy/tiny.zip")
    finally:
        server.close()
    assert fetched.downloaded and fetched.sha256 == hashlib.sha256(tiny_zip.read_bytes()).hexdigest()
    assert server.requests == 2 + 2  # two 503s, then HEAD and GET
