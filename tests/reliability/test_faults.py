"""Faults injected through real local components: an S3 server that is down or refuses, OAI pages that are wrong,
a DuckDB file truncated. Each test is a row of the README's fault matrix (``matrix.py``)."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from arxiv_labeler.harvest.client import OaiClient, RetryPolicy
from arxiv_labeler.harvest.exceptions import BadArgument, MalformedResponse
from arxiv_labeler.harvest.harvester import Harvester
from arxiv_labeler.model.fetch import ModelFetcher, ModelFetchError
from arxiv_labeler.warehouse import open_warehouse
from arxiv_labeler.warehouse.duckdb_store import WarehouseFileError
from botocore import UNSIGNED
from botocore.config import Config

IDENTIFY = (
    b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    b"<responseDate>2026-11-20T00:00:00Z</responseDate><request>x</request><Identify><repositoryName>t</repositoryName>"
    b"<earliestDatestamp>2005-09-16</earliestDatestamp></Identify></OAI-PMH>"
)


class PageServer:
    """An OAI endpoint on 127.0.0.1 answering Identify properly and ListRecords with a fixed (wrong) body."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status, self.requests = body, status, 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                identify = "verb=Identify" in self.path
                payload = IDENTIFY if identify else outer.body
                self.send_response(200 if identify else outer.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def signed(endpoint: str) -> object:
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_s3_unreachable_names_the_endpoint_and_what_to_check(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
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


def _harvest(url: str, tmp_path: Path) -> None:
    client = OaiClient(url, delay_seconds=0.0, retry=RetryPolicy(max_retries=1, backoff_seconds=0.01))
    Harvester(client, tmp_path).harvest(dt.date(2026, 11, 19), dt.date(2026, 11, 19), today=dt.date(2026, 11, 20))


def test_page_that_is_not_xml(tmp_path: Path) -> None:
    server = PageServer(b"<html><body>Service temporarily unavailable</body>")
    try:
        with pytest.raises(
            MalformedResponse, match=r"malformed OAI-PMH response from http://127.0.0.1:\d+/oai\?verb=ListRecords"
        ):
            _harvest(server.url, tmp_path)
    finally:
        server.close()
    assert not (tmp_path / "papers").exists() and not (tmp_path / "_staging").exists()


def test_page_with_invalid_utf8_is_a_clear_error_not_a_silent_loss(tmp_path: Path) -> None:
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        b"<record><header><identifier>oai:arXiv.org:2611.00001</identifier><datestamp>2026-11-19</datestamp></header>"
        b'<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2611.00001</id><title>Bad \xff\xfe bytes</title>'
        b"</arXivRaw></metadata></record></ListRecords></OAI-PMH>"
    )
    server = PageServer(page)
    try:
        with pytest.raises(MalformedResponse, match="not well-formed|invalid token"):
            _harvest(server.url, tmp_path)
    finally:
        server.close()
    assert not (tmp_path / "papers").exists()  # nothing landed: the day is retried, never landed without the record


def test_oai_error_other_than_no_records_match_fails_naming_the_code(tmp_path: Path) -> None:
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b'<error code="badArgument">Illegal set</error></OAI-PMH>'
    )
    server = PageServer(page)
    try:
        with pytest.raises(BadArgument, match="OAI error badArgument: Illegal set"):
            _harvest(server.url, tmp_path)
    finally:
        server.close()


def test_persistent_http_500_gives_up_with_the_url(tmp_path: Path) -> None:
    server = PageServer(b"oops", status=500)
    try:
        with pytest.raises(
            Exception, match=r"http://127.0.0.1:\d+/oai\?verb=ListRecords.*gave up after 2 attempts; last: HTTP 500"
        ):
            _harvest(server.url, tmp_path)
        assert server.requests == 1 + 2  # Identify, then the first try and one retry
    finally:
        server.close()


@pytest.mark.parametrize("keep", [0, 1 / 3])
def test_truncated_duckdb_file_is_refused_not_replaced(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "warehouse.duckdb"
    open_warehouse(f"duckdb://{path}").migrate()
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(int(size * keep))
    with pytest.raises(WarehouseFileError, match="refusing to start a new warehouse over it"):
        open_warehouse(f"duckdb://{path}").migrate()
    assert path.stat().st_size == int(size * keep)  # left as found, for the operator to restore
