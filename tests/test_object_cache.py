"""The ETag-keyed S3 cache against a real S3 API (moto on 127.0.0.1): one download, never mixed versions, clear errors."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from arxiv_labeler.errors import ArxivLabelerError
from arxiv_labeler.object_cache import ObjectCache, ObjectKind

BUCKET = "objects"


class ThingError(ArxivLabelerError):
    """What this test's cache raises."""


KIND = ObjectKind(noun="thing", setting="thing_uri", error=ThingError, cache_hint="the test uses a tmp dir")


class Client:
    """A real boto3 client; ``before_get`` runs between the HEAD and the GET (to replace the object there)."""

    def __init__(self, endpoint: str) -> None:
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
        )
        self.gets = 0
        self.before_get: Any = None
        self.lock = threading.Lock()

    def head_object(self, **kwargs: Any) -> Any:
        return self.client.head_object(**kwargs)

    def get_object(self, **kwargs: Any) -> Any:
        with self.lock:
            self.gets += 1
            hook, self.before_get = self.before_get, None
        if hook:
            hook()
        return self.client.get_object(**kwargs)


@pytest.fixture
def s3(moto_endpoint: str) -> Client:
    client = Client(moto_endpoint)
    if BUCKET not in {b["Name"] for b in client.client.list_buckets()["Buckets"]}:
        client.client.create_bucket(Bucket=BUCKET)
    return client


def test_two_fetches_at_once_download_once(s3: Client, tmp_path: Path) -> None:
    s3.client.put_object(Bucket=BUCKET, Key="a/thing.bin", Body=os.urandom(3 << 20))
    cache = ObjectCache(s3, tmp_path / "cache", KIND)
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.fetch_file(BUCKET, "a/thing.bin", "thing.bin"))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert s3.gets == 1 and len({r.path for r in results}) == 1 and sorted(r.downloaded for r in results) == [False, True]


def test_an_object_replaced_between_head_and_get_is_cached_under_its_own_etag(s3: Client, tmp_path: Path) -> None:
    s3.client.put_object(Bucket=BUCKET, Key="b/thing.bin", Body=b"version one")
    s3.before_get = lambda: s3.client.put_object(Bucket=BUCKET, Key="b/thing.bin", Body=b"version two")
    cached = ObjectCache(s3, tmp_path / "cache", KIND).fetch_file(BUCKET, "b/thing.bin", "thing.bin")
    assert Path(cached.path).read_bytes() == b"version two"
    assert cached.etag == hashlib.md5(b"version two", usedforsecurity=False).hexdigest() and s3.gets == 2


def test_a_corrupted_manifest_is_fetched_again_not_trusted(s3: Client, tmp_path: Path) -> None:
    s3.client.put_object(Bucket=BUCKET, Key="c/thing.bin", Body=b"payload")
    cache = ObjectCache(s3, tmp_path / "cache", KIND)
    first = cache.fetch_file(BUCKET, "c/thing.bin", "thing.bin")
    Path(first.path).with_name("manifest.json").write_text('{"uri": "s3://objects/c/thing.bin", "trunc')
    again = cache.fetch_file(BUCKET, "c/thing.bin", "thing.bin")
    assert again.downloaded and again.sha256 == first.sha256 == hashlib.sha256(b"payload").hexdigest()


def test_errors_name_the_object_and_the_setting(s3: Client, tmp_path: Path) -> None:
    with pytest.raises(
        ThingError, match=r"thing not found: s3://objects/nope.bin \(check thing_uri: bucket 'objects', key 'nope.bin'\)"
    ):
        ObjectCache(s3, tmp_path / "cache", KIND).fetch_file(BUCKET, "nope.bin", "nope.bin")
