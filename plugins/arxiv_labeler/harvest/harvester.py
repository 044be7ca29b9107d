"""Harvest an interval of whole UTC days into Parquet partitions, resumably.

Layout under ``landing_root``::

    papers/harvest_day=YYYY-MM-DD/part-00000.parquet   the day's records (replaced on re-harvest)
    raw/harvest_day=YYYY-MM-DD/page-00001.xml.gz       the pages, for audit and replay
    _staging/<day>-<key>/                              pages landed so far + checkpoint.json
    _staging/run-<hash>.json                           the days this run has landed (run_manifest.py)

A day is harvested with one ``from=until=day`` request chain. After each page
the parsed records and the next resumption token are checkpointed, so a
retried task resumes from its last good page. The partition only appears once
the whole chain succeeded (its file is renamed into place). Over an interval,
each finished day is noted in the run's manifest, so a retry of the same run
skips the days already landed; the manifest goes when the interval is done, and
``_staging/`` with it when nothing else is staged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import logging
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from arxiv_labeler.errors import ConfigError, HarvestError
from arxiv_labeler.harvest.client import OaiClient
from arxiv_labeler.harvest.exceptions import BadResumptionToken, NoRecordsMatch
from arxiv_labeler.harvest.models import PAPER_SCHEMA, landed_table
from arxiv_labeler.harvest.parser import METADATA_PREFIXES, parse_list_records
from arxiv_labeler.harvest.result import DayResult, HarvestResult
from arxiv_labeler.harvest.run_manifest import RunManifest, manifest_key, prune_stale_manifests
from arxiv_labeler.harvest.taxonomy import validate_set
from arxiv_labeler.parquet_batches import row_group_batches

log = logging.getLogger(__name__)

PAGE_ROW_GROUP = 5_000  # the landed file's row groups: what a load streams at a time


def days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from start to end, both inclusive."""
    if end < start:
        raise ConfigError(f"interval end {end} is before its start {start}")
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


class Harvester:
    """ListRecords for whole days into the landing area, checkpointed per page and per day.

    ``run_key`` names the run the harvest belongs to (the DAG passes ``dag_id/run_id``): a retry
    with the same key skips the days the killed or failed try had landed; another key does not.
    """

    def __init__(
        self,
        client: OaiClient,
        landing_root: Path,
        metadata_prefix: str = "arXivRaw",
        sets: Sequence[str] = (),
        on_page: Callable[[DayResult], None] | None = None,
        known_sets: frozenset[str] | None = None,
        run_key: str = "",
    ) -> None:
        if metadata_prefix not in METADATA_PREFIXES:
            raise ConfigError(f"metadata_prefix must be one of {METADATA_PREFIXES}, got {metadata_prefix!r}")
        self.client = client
        self.landing_root = landing_root
        self.metadata_prefix = metadata_prefix
        self.sets = [validate_set(s, known_sets) for s in sets] or [""]
        self.on_page = on_page
        self.run_key = run_key

    def partition_dir(self, day: dt.date) -> Path:
        """The Parquet partition directory of ``day``."""
        return self.landing_root / "papers" / f"harvest_day={day.isoformat()}"

    @property
    def staging_root(self) -> Path:
        """Where pages in progress and run manifests wait (``_staging/``)."""
        return self.landing_root / "_staging"

    def harvest(self, start: dt.date, end: dt.date, today: dt.date | None = None) -> HarvestResult:
        """Harvest every day of [start, end]; each day's partition is replaced, never appended.

        Days before the repository's ``earliestDatestamp`` or after ``today`` (UTC) hold nothing
        to harvest: the interval is clamped to the valid range with one log line, and an interval
        wholly outside it is empty (zero records, a success). Days this run has landed already
        (an earlier try with the same ``run_key``) are not requested again.

        Raises:
            ConfigError: ``end`` is before ``start``.
        """
        if end < start:
            raise ConfigError(f"interval end {end} is before its start {start}")
        result = HarvestResult(start, end, endpoint=self.client.endpoint)
        days = self.valid_days(start, end, today or dt.datetime.now(dt.UTC).date())
        if not days:
            return result
        prune_stale_manifests(self.staging_root)
        key = manifest_key(self.client.endpoint, self.metadata_prefix, self.sets, start, end, self.run_key)
        manifest = RunManifest.open(self.staging_root, key, self.run_key, start, end)
        for day in days:
            partition_file = self.partition_dir(day) / "part-00000.parquet"
            day_result = manifest.finished(day, partition_file)
            if day_result is not None:
                log.info("%s already landed by this run (%s): not requested again", day, manifest.path.name)
                day_result.skipped = True
            else:
                day_result = self._land_day(day)
                manifest.record(day, day_result, partition_file)
            result.days.append(day_result)
            result.partitions.append(str(self.partition_dir(day)))
        manifest.remove()
        _remove_if_empty(self.staging_root)
        return result

    def valid_days(self, start: dt.date, end: dt.date, today: dt.date) -> list[dt.date]:
        """The days of [start, end] within [earliestDatestamp, today]; logs once when it clamped or nothing is left."""
        earliest_text = self.client.identify().get("earliestDatestamp", "")[:10]
        try:
            earliest = dt.date.fromisoformat(earliest_text)
        except ValueError:
            log.warning("Identify gave no usable earliestDatestamp (%r): not clamping the start", earliest_text)
            earliest = start
        first, last = max(start, earliest), min(end, today)
        if first > last:
            if end < earliest:
                why = f"it ends before the repository's earliestDatestamp {earliest}"
            else:
                why = f"it starts after today ({today} UTC)"
            log.warning("interval %s..%s is empty: %s; nothing to harvest (zero records)", start, end, why)
            return []
        if (first, last) != (start, end):
            log.warning(
                "interval %s..%s clamped to %s..%s: the repository's earliestDatestamp is %s and today (UTC) is %s",
                start,
                end,
                first,
                last,
                earliest,
                today,
            )
        return days_in(first, last)

    def _staging_dir(self, day: dt.date) -> Path:
        key = hashlib.sha256(f"{self.client.endpoint}|{self.metadata_prefix}|{','.join(self.sets)}".encode()).hexdigest()[:12]
        return self.staging_root / f"{day.isoformat()}-{key}"

    def harvest_day(self, day: dt.date) -> DayResult:
        """Harvest one day (all configured sets), resuming from a checkpoint when one exists."""
        result = self._land_day(day)
        _remove_if_empty(self.staging_root)  # alone, a day leaves no empty _staging/ (harvest() cleans up at its end)
        return result

    def _land_day(self, day: dt.date) -> DayResult:
        """Harvest one day into its partition, resuming from its checkpoint (the staging root is left for the caller)."""
        staging = self._staging_dir(day)
        try:
            try:
                return self._harvest_day(day, staging)
            except BadResumptionToken:
                # Tokens expire at UTC midnight: the landed pages may be stale, so restart the day once.
                log.warning("resumption token expired for %s; restarting the day from scratch", day)
                shutil.rmtree(staging, ignore_errors=True)
                return self._harvest_day(day, staging)
        except BaseException:
            _discard_if_no_pages(staging)
            raise

    def _harvest_day(self, day: dt.date, staging: Path) -> DayResult:
        staging.mkdir(parents=True, exist_ok=True)
        checkpoint_path = staging / "checkpoint.json"
        state: dict[str, Any] = (
            json.loads(checkpoint_path.read_text()) if checkpoint_path.exists() else {"set_index": 0, "token": None, "pages": 0}
        )
        result = DayResult(day, pages=state["pages"], resumed_from_page=state["pages"])
        if state["pages"]:
            log.info("resuming %s from page %d (checkpoint %s)", day, state["pages"] + 1, checkpoint_path)
        while state["set_index"] < len(self.sets):
            set_spec = self.sets[state["set_index"]]
            if state["token"]:
                params = {"verb": "ListRecords", "resumptionToken": state["token"]}
            else:
                params = {
                    "verb": "ListRecords",
                    "metadataPrefix": self.metadata_prefix,
                    "from": day.isoformat(),
                    "until": day.isoformat(),
                }
                if set_spec:
                    params["set"] = set_spec
            url = self.client.url_for(params)
            body = self.client.get(params)
            try:
                page = parse_list_records(body, url, self.metadata_prefix)
            except NoRecordsMatch:
                page = None
            number = state["pages"] + 1
            (staging / f"page-{number:05d}.xml.gz").write_bytes(gzip.compress(body))
            if page is not None and page.records:
                pq.write_table(landed_table(page.records, day), staging / f"page-{number:05d}.parquet")
            state["pages"] = number
            state["token"] = page.resumption_token if page is not None else None
            if not state["token"]:
                state["set_index"] += 1
            # Written last and atomically: a crash before this line refetches the page, never skips it.
            tmp = checkpoint_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state))
            tmp.replace(checkpoint_path)
            result.pages = number
            if self.on_page:
                self.on_page(result)
        return self._publish(day, staging, result)

    def _publish(self, day: dt.date, staging: Path, result: DayResult) -> DayResult:
        target = self.partition_dir(day)
        # Written beside, then renamed over the part file: a run of the same day still reading it (its classify
        # job, its load) keeps the file it opened or gets the new one, never a missing or half-written file.
        ready = target.with_name(f".{target.name}.writing-{uuid.uuid4().hex[:8]}.parquet")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_latest_per_id(sorted(staging.glob("page-*.parquet")), ready, result)
            target.mkdir(exist_ok=True)
            ready.replace(target / "part-00000.parquet")
        finally:
            ready.unlink(missing_ok=True)
        raw_target = self.landing_root / "raw" / f"harvest_day={day.isoformat()}"
        shutil.rmtree(raw_target, ignore_errors=True)
        raw_target.mkdir(parents=True)
        for page in sorted(staging.glob("page-*.xml.gz")):
            shutil.copy2(page, raw_target / page.name)
        shutil.rmtree(staging, ignore_errors=True)
        log.info(
            "harvested %s: %d records (%d new, %d of unknown version, %d deleted) in %d pages",
            day,
            result.records,
            result.new,
            result.new_unknown,
            result.deleted,
            result.pages,
        )
        return result


def _discard_if_no_pages(staging: Path) -> None:
    """After a failure, keep a staging directory only when it holds pages a retry can resume from."""
    if staging.is_dir() and not any(staging.glob("page-*")):
        shutil.rmtree(staging, ignore_errors=True)
    _remove_if_empty(staging.parent)


def _remove_if_empty(directory: Path) -> None:
    """Remove ``directory`` when nothing is in it (another harvest may have just put something there: keep it then)."""
    with contextlib.suppress(OSError):  # not empty, or already gone
        directory.rmdir()


def _write_latest_per_id(pages: Sequence[Path], target: Path, result: DayResult) -> None:
    """Write the day's records, one row per arxiv_id (the last seen: later pages and sets carry the same or newer data).

    Page by page: a pass over the ids alone finds each paper's last row, a second writes the pages' kept rows,
    so memory holds one page whatever the day's size. ``result`` gets the day's counts.
    """
    last: dict[str, tuple[int, int]] = {}
    for page_index, page in enumerate(pages):
        for row, arxiv_id in enumerate(pq.read_table(page, columns=["arxiv_id"]).column("arxiv_id").to_pylist()):
            last[arxiv_id] = (page_index, row)
    counts = {"records": 0, "deleted": 0, "new": 0, "new_unknown": 0, "withdrawn": 0}
    with pq.ParquetWriter(target, PAPER_SCHEMA) as writer:
        for page_index, page in enumerate(pages):
            table = pq.read_table(page, schema=PAPER_SCHEMA)
            ids = table.column("arxiv_id").to_pylist()
            kept = table.take(pa.array([row for row, arxiv_id in enumerate(ids) if last[arxiv_id] == (page_index, row)]))
            _count(kept, counts)
            writer.write_table(kept, row_group_size=PAGE_ROW_GROUP)
        if not pages:
            writer.write_table(PAPER_SCHEMA.empty_table())
    for name, value in counts.items():
        setattr(result, name, value)


def _count(table: pa.Table, counts: dict[str, int]) -> None:
    """Add a page's records, deletions, new papers, papers of unknown version and withdrawn ones to ``counts``."""
    deleted = table.column("deleted").to_pylist()
    is_new = table.column("is_new").to_pylist()
    counts["records"] += table.num_rows
    counts["deleted"] += sum(1 for v in deleted if v)
    counts["new"] += sum(1 for v in is_new if v)
    counts["new_unknown"] += sum(1 for v, gone in zip(is_new, deleted, strict=True) if v is None and not gone)
    counts["withdrawn"] += sum(1 for v in table.column("withdrawn").to_pylist() if v)


def landed_batches(partitions: Sequence[str], batch_size: int, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
    """The landed day partitions' records as record batches, read as they are consumed; ``columns``: only those.

    Raises:
        HarvestError: a partition is missing (checked now, not when its batches are reached).
    """
    paths = [_landed_file(partition) for partition in partitions]
    return row_group_batches(paths, batch_size, schema=PAPER_SCHEMA, columns=columns)  # memory bounded by a row group


def _landed_file(partition: str) -> Path:
    path = Path(partition) / "part-00000.parquet"
    if not path.exists():
        raise HarvestError(f"landed partition missing: {path}; re-run the harvest task")
    return path
