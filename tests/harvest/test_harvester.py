"""Harvesting real records from the replay server: exact intervals, paging, faults, resumption, reruns."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from arxiv_labeler.devstack.demo import DEFAULT_REPLAY_DATA
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


REAL_DAY = dt.date(2008, 11, 26)
REAL_DAY_JSONL = DEFAULT_REPLAY_DATA  # the 276 real records of 2008-11-26 (package data)


@pytest.mark.parametrize("prefix", ["arXivRaw", "arXiv"])
def test_the_real_2008_11_26_day_is_new_as_arxiv_means_it(prefix: str, tmp_path: Path) -> None:
    from arxiv_labeler.harvest.kaggle import rfc2822_date
    from arxiv_labeler.harvest.models import id_month

    archive = ReplayArchive.from_file(REAL_DAY_JSONL)
    with OaiReplayServer(archive, page_size=100) as server:
        client = OaiClient(server.url, delay_seconds=0.0)
        result = Harvester(client, tmp_path, prefix).harvest(REAL_DAY, REAL_DAY, today=dt.date(2026, 1, 1))
    rows = {r["arxiv_id"]: r for r in pq.read_table(Path(result.partitions[0]) / "part-00000.parquet").to_pylist()}
    first_versions = {e["id"] for e in archive.entries if e["versions"][-1]["version"] == "v1"}
    assert len(rows) == 276 and len(first_versions) == 119  # every record's datestamp is the day, none's v1 date is
    if prefix == "arXivRaw":
        assert {i for i, r in rows.items() if r["is_new"]} == first_versions
        assert not any(r["is_new"] is None for r in rows.values())
        assert (result.new, result.replaced) == (119, 157)
    else:
        # The arXiv format's <created> is the current version's date: not new only where that is after the id's month.
        def later_than_id(entry: dict[str, object]) -> bool:
            current = rfc2822_date(entry["versions"][-1]["created"])  # type: ignore[index]
            return (current.year, current.month) > id_month(str(entry["id"]))  # type: ignore[operator]

        known_replaced = {e["id"] for e in archive.entries if later_than_id(e)}
        assert {i for i, r in rows.items() if r["is_new"] is False} == known_replaced and len(known_replaced) == 133
        assert not any(r["is_new"] for r in rows.values()) and not (known_replaced & first_versions)
        assert all(r["created"] is None for r in rows.values())  # never the current version's date as v1's
        assert (result.new, result.replaced, result.days[0].new_unknown) == (0, 133, 143)
    assert not (tmp_path / "_staging").exists()  # nothing left behind by a successful harvest


def test_an_interval_wholly_outside_the_repository_range_is_empty(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    archive = ReplayArchive.from_file(DEMO_JSONL)
    with OaiReplayServer(archive) as server:
        harvester = Harvester(OaiClient(server.url, delay_seconds=0.0), tmp_path)
        early = harvester.harvest(dt.date(1970, 1, 1), dt.date(1970, 1, 2), today=dt.date(2026, 11, 20))
        late = harvester.harvest(dt.date(2026, 11, 21), dt.date(2026, 11, 22), today=dt.date(2026, 11, 20))
        queries = server.log.queries
    assert (early.records, early.days, late.records, late.days) == (0, [], 0, [])
    assert all("verb=Identify" in q for q in queries)  # no ListRecords at all
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        "interval 1970-01-01..1970-01-02 is empty: it ends before the repository's earliestDatestamp 2005-09-16" in m
        for m in messages
    )
    assert any("interval 2026-11-21..2026-11-22 is empty: it starts after today (2026-11-20 UTC)" in m for m in messages)
    assert not any("clamped" in m for m in messages)
    assert not (tmp_path / "_staging").exists() and not (tmp_path / "papers").exists()


def test_a_reversed_interval_is_refused_before_any_request(tmp_path: Path) -> None:
    from arxiv_labeler.errors import ConfigError

    with OaiReplayServer(ReplayArchive.from_file(DEMO_JSONL)) as server:
        with pytest.raises(ConfigError, match="interval end 2026-11-18 is before its start 2026-11-20"):
            Harvester(OaiClient(server.url, delay_seconds=0.0), tmp_path).harvest(dt.date(2026, 11, 20), dt.date(2026, 11, 18))
        assert server.log.queries == []


DEMO_DAYS = (dt.date(2026, 11, 18), dt.date(2026, 11, 20))  # three days, one page each at page size 100


def _failing_on_the_third_day(server: OaiReplayServer, root: Path, run_key: str) -> None:
    """A harvest of the demo's three days that fails on the third (request 4: Identify, then one page a day)."""
    client = OaiClient(server.url, delay_seconds=0.0, retry=RetryPolicy(max_retries=0))
    with pytest.raises(OaiHttpError, match="HTTP 503"):
        Harvester(client, root, run_key=run_key).harvest(*DEMO_DAYS, today=dt.date(2026, 11, 21))


def _list_records_since(server: OaiReplayServer, start: int) -> list[str]:
    return [q for q in server.log.queries[start:] if "verb=ListRecords" in q]


def test_a_retry_of_the_same_run_skips_the_days_it_landed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="arxiv_labeler.harvest")
    archive = ReplayArchive.from_file(DEMO_JSONL)
    with OaiReplayServer(archive, faults=Faults(status_503_on={4}, retry_after="0")) as server:
        _failing_on_the_third_day(server, tmp_path, "arxiv_labeling/manual__1")
        assert len(list((tmp_path / "_staging").glob("run-*.json"))) == 1  # the finished days, kept for the retry
        before = len(server.log.queries)
        client = OaiClient(server.url, delay_seconds=0.0)
        result = Harvester(client, tmp_path, run_key="arxiv_labeling/manual__1").harvest(*DEMO_DAYS, today=dt.date(2026, 11, 21))
        retried = _list_records_since(server, before)
    assert len(retried) == 1 and "from=2026-11-20" in retried[0]  # only the day the failed try had not landed
    assert [d.skipped for d in result.days] == [True, True, False] and result.skipped_days == 2
    assert result.records == len(archive.entries) == 24
    assert sum("already landed by this run" in r.getMessage() for r in caplog.records) == 2
    assert not (tmp_path / "_staging").exists()  # the interval is done: the manifest and _staging/ are gone


def test_another_run_of_the_interval_harvests_every_day_again(tmp_path: Path) -> None:
    archive = ReplayArchive.from_file(DEMO_JSONL)
    with OaiReplayServer(archive, faults=Faults(status_503_on={4}, retry_after="0")) as server:
        _failing_on_the_third_day(server, tmp_path, "arxiv_labeling/manual__1")
        before = len(server.log.queries)
        client = OaiClient(server.url, delay_seconds=0.0)
        other = Harvester(client, tmp_path, run_key="arxiv_labeling/manual__2").harvest(*DEMO_DAYS, today=dt.date(2026, 11, 21))
        assert len(_list_records_since(server, before)) == 3 and other.skipped_days == 0
        # The same run's complete harvest forgets its days: harvesting the interval again requests all of them.
        again = Harvester(client, tmp_path, run_key="arxiv_labeling/manual__2")
        before = len(server.log.queries)
        assert again.harvest(*DEMO_DAYS, today=dt.date(2026, 11, 21)).skipped_days == 0
        assert len(_list_records_since(server, before)) == 3


def test_a_day_whose_partition_changed_since_is_harvested_again(tmp_path: Path) -> None:
    archive = ReplayArchive.from_file(DEMO_JSONL)
    with OaiReplayServer(archive, faults=Faults(status_503_on={4}, retry_after="0")) as server:
        _failing_on_the_third_day(server, tmp_path, "run-a")
        client = OaiClient(server.url, delay_seconds=0.0)
        Harvester(client, tmp_path, sets=["cs"]).harvest_day(DEMO_DAYS[0])  # another harvest rewrote the first day
        before = len(server.log.queries)
        result = Harvester(client, tmp_path, run_key="run-a").harvest(*DEMO_DAYS, today=dt.date(2026, 11, 21))
        retried = _list_records_since(server, before)
    assert [d.skipped for d in result.days] == [False, True, False]
    assert ["from=2026-11-18" in q for q in retried] == [True, False] and "from=2026-11-20" in retried[1]
    assert result.records == 24  # the first day has all its sets again, not the other harvest's cs only


def test_an_unreadable_run_manifest_is_ignored_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    archive = ReplayArchive.from_file(DEMO_JSONL)
    with OaiReplayServer(archive, faults=Faults(status_503_on={4}, retry_after="0")) as server:
        _failing_on_the_third_day(server, tmp_path, "run-a")
        (manifest,) = (tmp_path / "_staging").glob("run-*.json")
        manifest.write_text("{not json")
        before = len(server.log.queries)
        client = OaiClient(server.url, delay_seconds=0.0)
        result = Harvester(client, tmp_path, run_key="run-a").harvest(*DEMO_DAYS, today=dt.date(2026, 11, 21))
        assert len(_list_records_since(server, before)) == 3 and result.records == 24
    assert any("is unreadable" in r.getMessage() and "harvesting every day" in r.getMessage() for r in caplog.records)


def test_run_manifests_of_runs_long_gone_are_pruned(tmp_path: Path) -> None:
    import os
    import time

    from arxiv_labeler.harvest.run_manifest import MAX_AGE_SECONDS, prune_stale_manifests

    staging = tmp_path / "_staging"
    staging.mkdir()
    old, fresh, pages = staging / "run-old.json", staging / "run-fresh.json", staging / "2026-11-18-abc"
    for path in (old, fresh):
        path.write_text("{}")
    pages.mkdir()
    os.utime(old, (time.time() - MAX_AGE_SECONDS - 60,) * 2)
    assert prune_stale_manifests(staging) == [old]
    assert sorted(p.name for p in staging.iterdir()) == ["2026-11-18-abc", "run-fresh.json"]
