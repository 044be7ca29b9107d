"""Harvesting real records from the replay server: exact intervals, paging, faults, resumption, reruns."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from arxiv_labeler.devstack.oai_replay import Faults, OaiReplayServer, ReplayArchive
from arxiv_labeler.harvest.client import OaiClient, RetryPolicy
from arxiv_labeler.harvest.exceptions import MalformedResponse, OaiHttpError
from arxiv_labeler.harvest.harvester import Harvester

from tests.conftest import DEMO_JSONL


@pytest.fixture(scope="module")
def real_archive(sample_jsonl: Path) -> ReplayArchive:
    return ReplayArchive.from_file(sample_jsonl)


def busiest_days(archive: ReplayArchive) -> list[tuple[str, int]]:
    return Counter(e["update_date"] for e in archive.entries).most_common()


def harvest(
    server: OaiReplayServer, root: Path, day: dt.date, sets: list[str] | None = None, **client_args: object
) -> tuple[Harvester, object]:
    client = OaiClient(server.url, delay_seconds=0.01, retry=RetryPolicy(backoff_seconds=0.05), **client_args)  # type: ignore[arg-type]
    harvester = Harvester(client, root, sets=sets or [])
    return harvester, harvester.harvest(day, day)


def landed_ids(root: Path, day: dt.date) -> list[str]:
    table = pq.read_table(root / "papers" / f"harvest_day={day}" / "part-00000.parquet")
    return table.column("arxiv_id").to_pylist()


def test_interval_is_exactly_the_records_of_that_day(real_archive: ReplayArchive, tmp_path: Path) -> None:
    day_text, count = busiest_days(real_archive)[0]
    day = dt.date.fromisoformat(day_text)
    with OaiReplayServer(real_archive, page_size=100) as server:
        _, result = harvest(server, tmp_path, day)
    expected = sorted(e["id"] for e in real_archive.entries if e["update_date"] == day_text)
    assert sorted(landed_ids(tmp_path, day)) == expected and len(expected) == count
    assert result.days[0].pages == -(-count // 100) > 3  # several resumption tokens followed
    assert all(isinstance(i, str) for i in expected) and "0704.0010" in {e["id"] for e in real_archive.entries}


def test_sets_filter_by_group(real_archive: ReplayArchive, tmp_path: Path) -> None:
    day_text, _ = busiest_days(real_archive)[0]
    day = dt.date.fromisoformat(day_text)
    with OaiReplayServer(real_archive, page_size=500) as server:
        harvest(server, tmp_path, day, sets=["math"])
    table = pq.read_table(tmp_path / "papers" / f"harvest_day={day}" / "part-00000.parquet").to_pylist()
    assert table and all(any(c.startswith("math") for c in r["categories"]) for r in table)


def test_empty_day_is_zero_records(real_archive: ReplayArchive, tmp_path: Path) -> None:
    with OaiReplayServer(real_archive) as server:
        _, result = harvest(server, tmp_path, dt.date(2005, 12, 25))
    assert result.records == 0 and landed_ids(tmp_path, dt.date(2005, 12, 25)) == []  # noRecordsMatch, not a failure


def test_503_and_429_mid_harvest_are_recovered(real_archive: ReplayArchive, tmp_path: Path) -> None:
    day_text, count = busiest_days(real_archive)[1]
    day = dt.date.fromisoformat(day_text)
    with OaiReplayServer(
        real_archive, page_size=100, faults=Faults(status_503_on={2}, status_429_on={4}, retry_after="0")
    ) as server:
        _, result = harvest(server, tmp_path, day)
    assert result.records == count


def test_malformed_page_fails_clearly_keeps_pages_and_retry_resumes(real_archive: ReplayArchive, tmp_path: Path) -> None:
    day_text, count = busiest_days(real_archive)[0]
    day = dt.date.fromisoformat(day_text)
    # request 1 is Identify (the valid date range), so request 4 is the third page
    with OaiReplayServer(real_archive, page_size=100, faults=Faults(malformed_on={4})) as server:
        with pytest.raises(
            MalformedResponse,
            match=r"malformed OAI-PMH response from http://127.0.0.1:\d+/oai\?verb=ListRecords&resumptionToken=",
        ):
            harvest(server, tmp_path, day)
        staging = next((tmp_path / "_staging").iterdir())
        assert json.loads((staging / "checkpoint.json").read_text())["pages"] == 2
        assert not (tmp_path / "papers" / f"harvest_day={day}").exists()  # no half partition
        requests_before = len(server.log.times)
        _, result = harvest(server, tmp_path, day)  # the task's retry
        assert result.days[0].resumed_from_page == 2
        assert "verb=Identify" in server.log.queries[requests_before]
        first_retry_query = server.log.queries[requests_before + 1]
    assert "resumptionToken" in first_retry_query  # resumed, not restarted
    assert sorted(landed_ids(tmp_path, day)) == sorted(e["id"] for e in real_archive.entries if e["update_date"] == day_text)
    assert len(landed_ids(tmp_path, day)) == count


def test_expired_token_restarts_the_day_cleanly(real_archive: ReplayArchive, tmp_path: Path) -> None:
    day_text, count = busiest_days(real_archive)[0]
    day = dt.date.fromisoformat(day_text)
    with OaiReplayServer(real_archive, page_size=100, faults=Faults(expired_token_on={3})) as server:
        _, result = harvest(server, tmp_path, day)
    assert result.records == count and len(set(landed_ids(tmp_path, day))) == count


def test_rerun_replaces_never_duplicates(real_archive: ReplayArchive, tmp_path: Path) -> None:
    day_text, count = busiest_days(real_archive)[2]
    day = dt.date.fromisoformat(day_text)
    with OaiReplayServer(real_archive, page_size=100) as server:
        harvest(server, tmp_path, day)
        harvest(server, tmp_path, day)
    assert len(landed_ids(tmp_path, day)) == count
    assert len(list((tmp_path / "papers").iterdir())) == 1


def test_gives_up_after_retries_with_the_url(tmp_path: Path) -> None:
    archive = ReplayArchive.from_file(DEMO_JSONL)
    with OaiReplayServer(archive, faults=Faults(status_503_on=set(range(1, 10)), retry_after="0")) as server:
        client = OaiClient(server.url, delay_seconds=0.01, retry=RetryPolicy(max_retries=1, backoff_seconds=0))
        with pytest.raises(OaiHttpError, match="gave up after 2 attempts"):
            Harvester(client, tmp_path).harvest(dt.date(2026, 11, 18), dt.date(2026, 11, 18))


def test_new_versus_replacement_and_deletion_counts(tmp_path: Path) -> None:
    archive = ReplayArchive.from_file(DEMO_JSONL)
    with OaiReplayServer(archive) as server:
        _, result = harvest(server, tmp_path, dt.date(2026, 11, 20))
    rows = {
        r["arxiv_id"]: r for r in pq.read_table(tmp_path / "papers" / "harvest_day=2026-11-20" / "part-00000.parquet").to_pylist()
    }
    assert rows["math/0601001"]["is_new"] is False and rows["math/0601001"]["version"] == 2  # a replacement
    assert rows["2611.30001"]["is_new"] is True
    assert result.days[0].new == len(rows) - 1


def test_interval_outside_the_repository_range_is_clamped_not_aborted(
    real_archive: ReplayArchive, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    day_text, count = busiest_days(real_archive)[0]
    day = dt.date.fromisoformat(day_text)
    with OaiReplayServer(real_archive, page_size=500) as server:
        client = OaiClient(server.url, delay_seconds=0.01)
        harvester = Harvester(client, tmp_path)
        early = harvester.harvest(dt.date(2005, 9, 14), dt.date(2005, 9, 17), today=dt.date(2005, 9, 17))
        late = harvester.harvest(day, day + dt.timedelta(days=30), today=day)
    assert [d.day for d in early.days] == [dt.date(2005, 9, 16), dt.date(2005, 9, 17)]  # earliestDatestamp 2005-09-16
    assert [d.day for d in late.days] == [day] and late.records == count  # nothing after "today"
    assert sum("clamped" in r.getMessage() for r in caplog.records) == 2  # one line per clamped interval


def test_failure_before_any_page_leaves_no_staging_directory(real_archive: ReplayArchive, tmp_path: Path) -> None:
    day_text, _ = busiest_days(real_archive)[0]
    failing = Faults(status_503_on=set(range(2, 20)), retry_after="0")  # Identify answers; every ListRecords fails
    with OaiReplayServer(real_archive, faults=failing) as server:
        client = OaiClient(server.url, delay_seconds=0.01, retry=RetryPolicy(max_retries=2, backoff_seconds=0.01))
        with pytest.raises(OaiHttpError, match="gave up after 3 attempts"):
            Harvester(client, tmp_path).harvest(dt.date.fromisoformat(day_text), dt.date.fromisoformat(day_text))
    assert not (tmp_path / "_staging").exists()
    assert not (tmp_path / "papers").exists()


@pytest.mark.parametrize(
    ("endpoint", "cause"),
    [("http://127.0.0.1:9/oai", "connection refused"), ("http://arxiv-labeler-test.invalid/oai", "DNS lookup failed")],
)
def test_unreachable_endpoint_names_url_and_cause(endpoint: str, cause: str, caplog: pytest.LogCaptureFixture) -> None:
    client = OaiClient(endpoint, retry=RetryPolicy(max_retries=2, backoff_seconds=0.01), sleep=lambda _: None)
    with pytest.raises(OaiHttpError) as failure:
        client.get({"verb": "Identify"})
    assert endpoint in str(failure.value) and cause in str(failure.value)
    first = caplog.records[0].getMessage()
    assert "attempt 1 of 3" in first and "2 more times" in first and cause in first
