"""The days a run's harvest of an interval has landed, so its retry requests only the rest.

One JSON file per run and interval under ``_staging/``, named by a hash of the endpoint,
metadata prefix, sets, interval and run (the DAG passes ``dag_id/run_id``, so a task's
retries share it and a new run, or a backfill reprocessing the day, does not). A day is
recorded once its partition is in place, with the partition file's identity (inode, size,
modification time): a retry skips the day only while that very file is still there. The
harvester removes the manifest when the whole interval is landed, so a later harvest of
the same interval by the same key requests every day again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arxiv_labeler.harvest.result import DayResult

log = logging.getLogger(__name__)

# A manifest untouched this long belongs to a run that will not be retried any more (retries come within hours).
MAX_AGE_SECONDS = 7 * 24 * 3600
_PREFIX = "run-"


def manifest_key(endpoint: str, metadata_prefix: str, sets: Sequence[str], start: dt.date, end: dt.date, run: str) -> str:
    """The identity of one harvest: what is asked, of which interval, by which run."""
    return f"{endpoint}|{metadata_prefix}|{','.join(sets)}|{start.isoformat()}..{end.isoformat()}|{run}"


def _file_identity(path: Path) -> list[int] | None:
    """(inode, size, mtime_ns) of a file, None when it is gone: a partition replaced since gets a new inode."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


@dataclass
class RunManifest:
    """The finished days of one run's harvest of one interval (see the module docstring)."""

    path: Path
    run: str
    interval: str
    days: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, staging_root: Path, key: str, run: str, start: dt.date, end: dt.date) -> RunManifest:
        """The manifest for ``key`` (empty when none was written, or when it is unreadable: logged, then ignored)."""
        path = staging_root / f"{_PREFIX}{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
        manifest = cls(path, run, f"{start.isoformat()}..{end.isoformat()}")
        if not path.exists():
            return manifest
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest.days = {str(day): dict(entry) for day, entry in data["days"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("run manifest %s is unreadable (%s): harvesting every day of %s", path, exc, manifest.interval)
            manifest.days = {}
        return manifest

    def finished(self, day: dt.date, partition_file: Path) -> DayResult | None:
        """The day's result when this run landed it and its partition file is still the one it wrote, else None."""
        entry = self.days.get(day.isoformat())
        if entry is None:
            return None
        if _file_identity(partition_file) != entry.get("partition"):
            log.info("%s was landed by run %s but its partition changed since: harvesting it again", day, self.run)
            return None
        return DayResult.from_xcom(entry["result"])

    def record(self, day: dt.date, result: DayResult, partition_file: Path) -> None:
        """Note a finished day (written atomically: a kill leaves the previous manifest or this one)."""
        self.days[day.isoformat()] = {"result": result.to_xcom(), "partition": _file_identity(partition_file)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"run": self.run, "interval": self.interval, "days": self.days}, indent=1), encoding="utf-8")
        tmp.replace(self.path)

    def remove(self) -> None:
        """The whole interval is landed: forget it, so a later harvest of it requests every day again."""
        self.path.unlink(missing_ok=True)


def prune_stale_manifests(staging_root: Path, now: float | None = None) -> list[Path]:
    """Remove manifests untouched for ``MAX_AGE_SECONDS`` (runs that failed for good); returns what was removed."""
    if not staging_root.is_dir():
        return []
    cutoff = (now if now is not None else time.time()) - MAX_AGE_SECONDS
    removed = []
    for path in staging_root.glob(f"{_PREFIX}*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue
    if removed:
        log.info("removed %d run manifests older than %d days from %s", len(removed), MAX_AGE_SECONDS // 86400, staging_root)
    return removed
