"""OaiClient politeness: spacing, Retry-After, retries, timeouts; measured against a real local server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from arxiv_labeler.devstack.oai_replay import Faults, OaiReplayServer, ReplayArchive
from arxiv_labeler.harvest.client import OaiClient, RetryPolicy, parse_retry_after
from arxiv_labeler.harvest.exceptions import OaiHttpError

from tests.conftest import DEMO_JSONL


@pytest.fixture
def archive() -> ReplayArchive:
    return ReplayArchive.from_file(DEMO_JSONL)


def test_retry_after_both_forms() -> None:
    now = dt.datetime(2026, 11, 21, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Sat, 21 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sat, 21 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_delay_can_only_be_raised_for_remote_endpoints() -> None:
    with pytest.raises(ValueError, match="below arXiv's limit of 3.0 s"):
        OaiClient("https://oaipmh.arxiv.org/oai", delay_seconds=1)
    OaiClient("https://oaipmh.arxiv.org/oai", delay_seconds=5)
    OaiClient("http://127.0.0.1:9/oai", delay_seconds=0.1)  # loopback replay server: allowed
    with pytest.raises(ValueError, match="max_retries must be >= 0"):
        RetryPolicy(max_retries=-1)


def test_requests_never_closer_than_the_delay(archive: ReplayArchive) -> None:
    with OaiReplayServer(archive) as server:
        client = OaiClient(server.url, delay_seconds=0.3)
        for _ in range(4):
            client.get({"verb": "Identify"})
        gaps = [b - a for a, b in zip(server.log.times, server.log.times[1:], strict=False)]
    assert len(gaps) == 3 and min(gaps) >= 0.3


def test_503_with_retry_after_is_honoured(archive: ReplayArchive) -> None:
    with OaiReplayServer(archive, faults=Faults(status_503_on={1}, retry_after="1")) as server:
        client = OaiClient(server.url, delay_seconds=0.05)
        body = client.get({"verb": "Identify"})
        assert b"<Identify>" in body and len(server.log.times) == 2
        assert server.log.times[1] - server.log.times[0] >= 1.0


def test_429_with_http_date(archive: ReplayArchive) -> None:
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    with OaiReplayServer(archive, faults=Faults(status_429_on={1}, retry_after=when)) as server:
        OaiClient(server.url, delay_seconds=0.05).get({"verb": "Identify"})
        assert server.log.times[1] - server.log.times[0] >= 0.9


def test_timeout_is_retried(archive: ReplayArchive) -> None:
    with OaiReplayServer(archive, faults=Faults(slow_on={1}, slow_seconds=2.0)) as server:
        client = OaiClient(server.url, delay_seconds=0.05, read_timeout=0.5, retry=RetryPolicy(backoff_seconds=0.1))
        assert b"<Identify>" in client.get({"verb": "Identify"})
        assert client.requests_made == 2


def test_gives_up_with_a_clear_message(archive: ReplayArchive) -> None:
    with OaiReplayServer(archive, faults=Faults(status_503_on={1, 2, 3}, retry_after="0")) as server:
        client = OaiClient(server.url, delay_seconds=0.05, retry=RetryPolicy(max_retries=2, backoff_seconds=0))
        with pytest.raises(OaiHttpError, match=r"verb=Identify: gave up after 3 attempts; last: HTTP 503"):
            client.get({"verb": "Identify"})


def test_replay_fixture_exists() -> None:
    assert Path(DEMO_JSONL).exists()
