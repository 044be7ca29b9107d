"""Model fetch against a real S3 API (moto server on 127.0.0.1): cache, verification, concurrency."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from arxiv_labeler.errors import ModelArchiveError, ModelFetchError, UnsafeArchiveError
from arxiv_labeler.model.fetch import FetchedModel, ModelFetcher

BUCKET = "models"


class CountingClient:
    """A real boto3 client that counts the calls the fetcher makes."""

    def __init__(self, endpoint: str) -> None:
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
        )
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def head_object(self, **kwargs: Any) -> Any:
        with self.lock:
            self.calls.append("head")
        return self.client.head_object(**kwargs)

    def get_object(self, **kwargs: Any) -> Any:
        with self.lock:
            self.calls.append("download")
        return self.client.get_object(**kwargs)


@pytest.fixture
def s3(moto_endpoint: str) -> CountingClient:
    client = CountingClient(moto_endpoint)
    if BUCKET not in {b["Name"] for b in client.client.list_buckets()["Buckets"]}:
        client.client.create_bucket(Bucket=BUCKET)
    return client


def test_second_fetch_downloads_nothing(s3: CountingClient, tiny_zip: Path, tmp_path: Path) -> None:
    s3.client.upload_file(str(tiny_zip), BUCKET, "a/tiny.zip")
    fetcher = ModelFetcher(s3, tmp_path / "cache")
    first = fetcher.fetch(f"s3://{BUCKET}/a/tiny.zip")
    assert first.downloaded and s3.calls == ["head", "download"]
    assert first.archive().labels == ["cs", "math", "physics"]
    second = fetcher.fetch(f"s3://{BUCKET}/a/tiny.zip")
    assert not second.downloaded and s3.calls == ["head", "download", "head"]
    assert second.sha256 == first.sha256 == __import__("hashlib").sha256(tiny_zip.read_bytes()).hexdigest()
    assert FetchedModel.from_xcom(first.to_xcom()) == first  # XCom round trip


def test_changed_object_is_fetched_again(s3: CountingClient, tiny_zip: Path, tmp_path: Path) -> None:
    from tests.support.tiny_model import build_tiny_model

    s3.client.upload_file(str(tiny_zip), BUCKET, "b/model.zip")
    fetcher = ModelFetcher(s3, tmp_path / "cache")
    first = fetcher.fetch(f"s3://{BUCKET}/b/model.zip")
    other = build_tiny_model(tmp_path / "other", seed=1, labels=["x", "y"])
    s3.client.upload_file(str(other), BUCKET, "b/model.zip")
    second = fetcher.fetch(f"s3://{BUCKET}/b/model.zip")
    assert second.downloaded and second.sha256 != first.sha256 and second.archive().labels == ["x", "y"]


def test_concurrent_fetches_download_once(s3: CountingClient, tiny_zip: Path, tmp_path: Path) -> None:
    s3.client.upload_file(str(tiny_zip), BUCKET, "c/tiny.zip")
    fetcher = ModelFetcher(s3, tmp_path / "cache")
    results: list[FetchedModel] = []
    threads = [threading.Thread(target=lambda: results.append(fetcher.fetch(f"s3://{BUCKET}/c/tiny.zip"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert s3.calls.count("download") == 1
    assert len({r.model_dir for r in results}) == 1 and sum(r.downloaded for r in results) == 1


def test_corrupt_model_is_refused_and_not_cached(s3: CountingClient, tiny_zip: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(tiny_zip) as old, zipfile.ZipFile(bad, "w") as new:
        for info in old.infolist():
            if not info.filename.startswith("fields/labels/"):
                new.writestr(info, old.read(info))
    s3.client.upload_file(str(bad), BUCKET, "d/bad.zip")
    cache = tmp_path / "cache"
    with pytest.raises(ModelArchiveError, match="s3://models/d/bad.zip: .*missing fields/labels"):
        ModelFetcher(s3, cache).fetch(f"s3://{BUCKET}/d/bad.zip")
    assert not list(cache.rglob("manifest.json")) and not list(cache.rglob("metadata"))


def test_unsafe_zip_is_refused(s3: CountingClient, tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escape", b"x")
    s3.client.upload_file(str(evil), BUCKET, "e/evil.zip")
    with pytest.raises(UnsafeArchiveError, match="'..'"):
        ModelFetcher(s3, tmp_path / "cache").fetch(f"s3://{BUCKET}/e/evil.zip")
    assert not (tmp_path / "escape").exists()


def test_missing_object_and_bad_uri(s3: CountingClient, tmp_path: Path) -> None:
    fetcher = ModelFetcher(s3, tmp_path / "cache")
    with pytest.raises(ModelFetchError, match="model not found: s3://models/nope.zip"):
        fetcher.fetch(f"s3://{BUCKET}/nope.zip")
    with pytest.raises(ValueError, match="expected|must look like s3://bucket/path/model.zip, got: 'https://x/y.zip'"):
        fetcher.fetch("https://x/y.zip")
