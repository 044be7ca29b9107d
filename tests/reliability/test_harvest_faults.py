"""Harvest faults injected through real HTTP servers on 127.0.0.1: wrong pages, resets, huge answers, a killed harvest."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from arxiv_labeler.devstack.oai_replay import Faults, OaiReplayServer, ReplayArchive
from arxiv_labeler.harvest.client import OaiClient, RetryPolicy
from arxiv_labeler.harvest.exceptions import BadArgument, MalformedResponse, OaiHttpError
from arxiv_labeler.harvest.harvester import Harvester

from tests.conftest import DEMO_JSONL
from tests.conftest import PROJECT_ROOT as PROJECT
from tests.reliability.oai_pages import EndlessPageServer, PageServer


def _harvest(url: str, tmp_path: Path) -> None:
    client = OaiClient(url, delay_seconds=0.0, retry=RetryPolicy(max_retries=1, backoff_seconds=0.01))
    Harvester(client, tmp_path).harvest(dt.date(2026, 11, 19), dt.date(2026, 11, 19), today=dt.date(2026, 11, 20))


def test_page_that_is_not_xml(tmp_path: Path) -> None:
    with (
        PageServer(b"<html><body>Service temporarily unavailable</body>") as server,
        pytest.raises(MalformedResponse, match=r"malformed OAI-PMH response from http://127.0.0.1:\d+/oai\?verb=ListRecords"),
    ):
        _harvest(server.url, tmp_path)
    assert not (tmp_path / "papers").exists() and not (tmp_path / "_staging").exists()


def test_page_with_invalid_utf8_is_a_clear_error_not_a_silent_loss(tmp_path: Path) -> None:
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        b"<record><header><identifier>oai:arXiv.org:2611.00001</identifier><datestamp>2026-11-19</datestamp></header>"
        b'<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2611.00001</id><title>Bad \xff\xfe bytes</title>'
        b"</arXivRaw></metadata></record></ListRecords></OAI-PMH>"
    )
    with PageServer(page) as server, pytest.raises(MalformedResponse, match="not well-formed|invalid token"):
        _harvest(server.url, tmp_path)
    assert not (tmp_path / "papers").exists()  # nothing landed: the day is retried, never landed without the record


def test_oai_error_other_than_no_records_match_fails_naming_the_code(tmp_path: Path) -> None:
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b'<error code="badArgument">Illegal set</error></OAI-PMH>'
    )
    with PageServer(page) as server, pytest.raises(BadArgument, match="OAI error badArgument: Illegal set"):
        _harvest(server.url, tmp_path)


def test_persistent_http_500_gives_up_with_the_url(tmp_path: Path) -> None:
    with PageServer(b"oops", status=500) as server:
        with pytest.raises(
            Exception, match=r"http://127.0.0.1:\d+/oai\?verb=ListRecords.*gave up after 2 attempts; last: HTTP 500"
        ):
            _harvest(server.url, tmp_path)
        assert server.requests == 1 + 2  # Identify, then the first try and one retry


def test_retry_after_longer_than_the_task_waits_fails_naming_the_wait() -> None:
    with PageServer(b"busy", status=503, headers={"Retry-After": "3600"}) as server:
        client = OaiClient(server.url, delay_seconds=0.0, retry=RetryPolicy(max_retries=5, max_backoff_seconds=600))
        with pytest.raises(
            OaiHttpError, match=r"HTTP 503 asks to wait 3600 s \(Retry-After '3600'\), longer than this task waits"
        ):
            client.get({"verb": "ListRecords", "metadataPrefix": "arXivRaw"})
        assert server.requests == 1  # no busy loop of clamped waits: one request, then the error


def test_connection_reset_mid_page_is_retried_and_lands_each_record_once(tmp_path: Path) -> None:
    archive = ReplayArchive.from_file(DEMO_JSONL)
    day = dt.date(2026, 11, 18)
    expected = {e["id"] for e in archive.select(day.isoformat(), day.isoformat(), None)}
    # Requests: 1 Identify, 2 the first page (reset after half its bytes), 3 the same page again, ...
    with OaiReplayServer(archive, page_size=2, faults=Faults(reset_on={2})) as server:
        client = OaiClient(server.url, delay_seconds=0.0, retry=RetryPolicy(max_retries=2, backoff_seconds=0.01))
        result = Harvester(client, tmp_path).harvest(day, day, today=dt.date(2026, 11, 20))
        queries = server.log.queries
    assert queries[1] == queries[2]  # the cut page was asked again
    ids = pq.read_table(Path(result.partitions[0]) / "part-00000.parquet").column("arxiv_id").to_pylist()
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids)) > 2


def test_100_mb_page_is_refused_with_bounded_memory() -> None:
    with EndlessPageServer(total_bytes=100 * 1024 * 1024) as server:
        client = OaiClient(server.url, delay_seconds=0.0, retry=RetryPolicy(max_retries=0))
        tracemalloc.start()
        try:
            with pytest.raises(OaiHttpError, match=r"answer refused, more than 67108864 bytes were sent.*max_page_bytes"):
                client.get({"verb": "ListRecords", "metadataPrefix": "arXivRaw"})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        client.close()
    assert peak < client.max_page_bytes + 16 * 1024 * 1024  # the limit and a few chunks, never the whole answer
    assert server.bytes_sent < 100 * 1024 * 1024  # the client stopped reading


def test_declared_oversized_page_is_refused_before_reading() -> None:
    with PageServer(b"x" * 2048) as server:
        client = OaiClient(server.url, delay_seconds=0.0, max_page_bytes=1024, retry=RetryPolicy(max_retries=0))
        with pytest.raises(OaiHttpError, match="answer refused, it declares 2048 bytes; the limit is 1024 bytes"):
            client.get({"verb": "ListRecords"})


KILL_SCRIPT = """
import datetime as dt, sys
from pathlib import Path
from arxiv_labeler.harvest.client import OaiClient
from arxiv_labeler.harvest.harvester import Harvester
client = OaiClient(sys.argv[1], delay_seconds=0.02)
Harvester(client, Path(sys.argv[2])).harvest_day(dt.date.fromisoformat(sys.argv[3]))
"""


def synthetic_day(day: dt.date, count: int) -> ReplayArchive:
    """``count`` records announced on ``day``, cloned from a real-shaped demo record with new ids."""
    template = ReplayArchive.from_file(DEMO_JSONL).entries[0]
    created = day.strftime("%a, %d %b %Y 10:00:00 GMT")
    return ReplayArchive(
        [
            dict(
                template,
                id=f"{day:%y%m}.{n:05d}",
                title=f"Paper {n}",
                update_date=day.isoformat(),
                versions=[{"version": "v1", "created": created}],
            )
            for n in range(count)
        ]
    )


@pytest.mark.slow
def test_harvest_killed_after_page_k_of_a_10000_record_day_resumes_at_page_k(tmp_path: Path) -> None:
    day, k = dt.date(2026, 3, 4), 37
    archive = synthetic_day(day, 10_000)
    with OaiReplayServer(archive, page_size=100) as server:
        env = dict(os.environ, PYTHONPATH=str(PROJECT / "plugins"))
        child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, server.url, str(tmp_path), day.isoformat()], env=env)
        checkpoint = next_checkpoint = None
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            next_checkpoint = next(tmp_path.glob("_staging/*/checkpoint.json"), None)
            if next_checkpoint and json.loads(next_checkpoint.read_text() or "{}").get("pages", 0) >= k:
                checkpoint = next_checkpoint
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        child.wait(timeout=30)
        assert checkpoint is not None and child.returncode == -signal.SIGKILL, "the harvest was not killed mid-day"
        pages_at_kill = json.loads(checkpoint.read_text())["pages"]
        assert not (tmp_path / "papers").exists()  # nothing published by the killed task
        requests_before = len(server.log.queries)

        client = OaiClient(server.url, delay_seconds=0.0)
        result = Harvester(client, tmp_path).harvest_day(day)
        retry_queries = [q for q in server.log.queries[requests_before:] if "ListRecords" in q]

    assert k <= pages_at_kill < 100 and result.resumed_from_page == pages_at_kill
    assert "resumptionToken" in retry_queries[0]  # resumed with the checkpointed token, not from the day's start
    assert len(retry_queries) == 100 - pages_at_kill and result.pages == 100
    ids = pq.read_table(Path(tmp_path, "papers", f"harvest_day={day}", "part-00000.parquet")).column("arxiv_id").to_pylist()
    assert len(ids) == 10_000 == len(set(ids)) and set(ids) == {e["id"] for e in archive.entries}


OPERATOR_SCRIPT = """
import json, sys
from arxiv_labeler.operators.harvest import HarvestArxivOperator
config, landing, run_id = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
HarvestArxivOperator(task_id="harvest", run_config=config, landing_dir=landing).execute({"run_id": run_id})
"""


def synthetic_days(first: dt.date, days: int, per_day: int) -> ReplayArchive:
    """``per_day`` new papers on each of ``days`` days from ``first`` (ids unique over the days)."""
    entries = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        entries += [dict(e, id=f"{e['id']}{offset}") for e in synthetic_day(day, per_day).entries]
    return ReplayArchive(entries)


@pytest.mark.slow
def test_harvest_task_killed_on_day_4_of_5_is_retried_without_the_3_finished_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arxiv_labeler.operators.harvest import HarvestArxivOperator
    from arxiv_labeler.run.config import RunConfig

    first, days, per_day, page_size = dt.date(2026, 3, 2), 5, 600, 100  # 6 pages a day, 30 in all
    archive = synthetic_days(first, days, per_day)
    config = RunConfig(first, first + dt.timedelta(days=days - 1), "s3://b/m.zip").to_xcom()
    landing = tmp_path / "landing"
    # Requests: 1 Identify, 2-19 days 1-3, 20 and 21 day 4's first two pages; 22 (its third) stalls until the kill.
    stall = Faults(slow_on={22}, slow_seconds=60)
    with OaiReplayServer(archive, page_size=page_size, faults=stall) as server:
        connection = json.dumps({"conn_type": "http", "host": server.url, "extra": {"delay_seconds": 0.0}})
        env = dict(os.environ, PYTHONPATH=str(PROJECT / "plugins"), AIRFLOW_CONN_ARXIV_OAI=connection)
        task = [sys.executable, "-c", OPERATOR_SCRIPT, json.dumps(config), str(landing), "manual__killed"]
        child = subprocess.Popen(task, env=env)
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline and len(server.log.queries) < 22:
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)  # inside request 22: day 4 has two pages checkpointed
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL and len(server.log.queries) == 22, "the harvest was not killed on day 4"
        (checkpoint,) = landing.glob(f"_staging/{first + dt.timedelta(days=3)}-*/checkpoint.json")
        assert json.loads(checkpoint.read_text())["pages"] == 2
        assert len(list(landing.glob("papers/harvest_day=*/part-00000.parquet"))) == 3
        assert len(list(landing.glob("_staging/run-*.json"))) == 1  # the killed run's finished days

        # The task's retry: the same run id, so the same manifest.
        monkeypatch.setenv("AIRFLOW_CONN_ARXIV_OAI", connection)
        before = len(server.log.queries)
        retry = HarvestArxivOperator(task_id="harvest", run_config=config, landing_dir=str(landing))
        result = retry.execute({"run_id": "manual__killed"})
        retried = [q for q in server.log.queries[before:] if "verb=ListRecords" in q]
        assert not (landing / "_staging").exists()  # nothing left once the interval is landed
        # A new run of the interval (another trigger, a backfill reprocessing it) asks for every day again.
        before = len(server.log.queries)
        fresh = HarvestArxivOperator(task_id="harvest", run_config=config, landing_dir=str(landing))
        fresh_result = fresh.execute({"run_id": "manual__later"})
        fresh_requests = [q for q in server.log.queries[before:] if "verb=ListRecords" in q]

    assert result["skipped_days"] == 3 and [d["skipped"] for d in result["days"]] == [True, True, True, False, False]
    # Day 4 from its checkpointed page 3, then day 5: 10 requests, where harvesting days 1-3 again made it 28.
    assert len(retried) == 4 + 6 and "resumptionToken" in retried[0]
    assert result["records"] == days * per_day == fresh_result["records"]
    assert len(fresh_requests) == 30 and fresh_result["skipped_days"] == 0
    ids = [i for p in result["partitions"] for i in pq.read_table(Path(p) / "part-00000.parquet").column("arxiv_id").to_pylist()]
    assert len(ids) == len(set(ids)) == days * per_day
    assert not (landing / "_staging").exists()
