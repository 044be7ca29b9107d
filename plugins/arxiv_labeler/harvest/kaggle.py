"""Kaggle ``arxiv-metadata-oai-snapshot.json`` lines (one JSON object per paper) as records."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import SnapshotError
from arxiv_labeler.harvest.authors import parse_authors
from arxiv_labeler.harvest.models import PaperRecord
from arxiv_labeler.text import clean_text


def rfc2822_date(value: str) -> dt.date:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` -> 2007-04-02 (UTC)."""
    parsed = email.utils.parsedate_to_datetime(value)
    return parsed.astimezone(dt.UTC).date() if parsed.tzinfo else parsed.date()


def author_names(entry: dict[str, Any]) -> list[str]:
    """Authors as 'Forenames Keyname Suffix' from ``authors_parsed``, else the raw string split on commas."""
    parsed = entry.get("authors_parsed") or []
    if parsed:
        return [" ".join(p for p in (a[1] if len(a) > 1 else "", a[0], a[2] if len(a) > 2 else "") if p) for a in parsed]
    return [a.name for a in parse_authors(entry.get("authors"))]


def author_affiliations(entry: dict[str, Any]) -> list[str | None]:
    """Each author's affiliation (``authors_parsed``' fourth field, else parsed from the raw string), or None."""
    parsed = entry.get("authors_parsed") or []
    if parsed:
        return [clean_text(a[3]) or None if len(a) > 3 else None for a in parsed]
    return [a.affiliation for a in parse_authors(entry.get("authors"))]


def to_record(entry: dict[str, Any]) -> PaperRecord:
    """One snapshot object as a :class:`PaperRecord`.

    Raises:
        SnapshotError: no id or no update_date.
    """
    arxiv_id = entry.get("id")
    if not isinstance(arxiv_id, str) or not arxiv_id:
        raise SnapshotError(f"record without a string id: {str(entry)[:120]}")
    try:
        datestamp = dt.date.fromisoformat(entry["update_date"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"{arxiv_id}: bad or missing update_date ({exc})") from exc
    versions = entry.get("versions") or []
    dates = [rfc2822_date(v["created"]) for v in versions if v.get("created")]
    last_version = versions[-1].get("version") if versions else None
    return PaperRecord(
        arxiv_id=arxiv_id,
        datestamp=datestamp,
        version=int(str(last_version).lstrip("v") or 1) if last_version else None,  # no version list: unknown
        created=next((rfc2822_date(v["created"]) for v in versions if v.get("version") == "v1" and v.get("created")), None),
        updated=dates[-1] if dates else None,
        title=clean_text(entry.get("title")),
        abstract=clean_text(entry.get("abstract")),
        authors=author_names(entry),
        affiliations=author_affiliations(entry),
        categories=(entry.get("categories") or "").split(),
        comments=clean_text(entry.get("comments")) or None,
        journal_ref=clean_text(entry.get("journal-ref")) or None,
        doi=clean_text(entry.get("doi")) or None,
        license=entry.get("license") or None,
        withdrawn=None,  # the snapshot keeps no source_type flags
    )


def read_snapshot(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a snapshot file, with the line number in errors.

    Raises:
        SnapshotError: the file is missing, or a line is not a JSON object (naming the line).
    """
    if not path.is_file():
        raise SnapshotError(f"{path}: no such snapshot file (expected Kaggle arxiv-metadata JSONL, one paper per line)")
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SnapshotError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(entry, dict):
                raise SnapshotError(f"{path}:{number}: expected a JSON object")
            yield entry


def write_snapshot_parquet(snapshot: Path, target: Path) -> Path:
    """Land a snapshot file as one Parquet file of the harvest's records (what the classify stage reads).

    Raises:
        SnapshotError: the file or one of its lines is not a usable record.
    """
    import pyarrow.parquet as pq

    from arxiv_labeler.harvest.models import landed_table

    records = [to_record(entry) for entry in read_snapshot(snapshot)]
    days = [r.datestamp for r in records] or [dt.datetime.now(dt.UTC).date()]
    pq.write_table(landed_table(records, max(days)), target)
    return target
