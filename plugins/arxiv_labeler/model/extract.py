"""Safe reading of model zips: entries checked before anything is read or written out.

No absolute or climbing paths, no links or device files, a bounded number of entries, a
bounded total size and compression ratio (a zip bomb is refused from its headers alone),
and the bytes actually inflated counted too (a header that lies about its size is caught).
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from arxiv_labeler.errors import UnsafeArchiveError

# The published model unzips to about 260 MB; 4 GiB leaves room for larger encoders.
DEFAULT_MAX_EXTRACTED_BYTES = 4 * 1024**3
# A Spark NLP model zip holds a few dozen entries (metadata, fields/* part files, the graph).
MAX_ENTRIES = 10_000
# Weights barely compress (about 1.1x) and a vocabulary about 3x; 100x is far past any real model entry.
MAX_COMPRESSION_RATIO = 100.0
RATIO_CHECKED_ABOVE_BYTES = 1 << 20  # tiny entries (an empty _SUCCESS, metadata) may compress any amount
_SPECIAL_FILES = (stat.S_ISLNK, stat.S_ISCHR, stat.S_ISBLK, stat.S_ISFIFO, stat.S_ISSOCK)


def check_members(archive: zipfile.ZipFile, name: str, max_bytes: int = DEFAULT_MAX_EXTRACTED_BYTES) -> None:
    """Refuse a zip whose entries could escape the target directory or exhaust the disk or memory.

    Reads only the central directory: nothing is inflated.

    Raises:
        UnsafeArchiveError: naming the first offending entry and the limit.
    """
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise UnsafeArchiveError(f"{name}: {len(entries)} entries, more than the {MAX_ENTRIES} a model zip may hold")
    total = 0
    compressed = 0
    for info in entries:
        _check_entry(info, name)
        total += info.file_size
        compressed += info.compress_size
        if total > max_bytes:
            raise UnsafeArchiveError(f"{name}: unpacks to more than {max_bytes} bytes (limit); refusing a possible zip bomb")
    if total > RATIO_CHECKED_ABOVE_BYTES and total > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise UnsafeArchiveError(
            f"{name}: {compressed} compressed bytes unpack to {total} (more than {MAX_COMPRESSION_RATIO:.0f}x); "
            "refusing a possible zip bomb"
        )


def _check_entry(info: zipfile.ZipInfo, name: str) -> None:
    entry = info.filename
    path = PurePosixPath(entry.replace("\\", "/"))
    if path.is_absolute() or entry.startswith(("/", "\\")) or (len(entry) > 1 and entry[1] == ":"):
        raise UnsafeArchiveError(f"{name}: refusing absolute path entry {entry!r}")
    if ".." in path.parts:
        raise UnsafeArchiveError(f"{name}: refusing entry with '..' {entry!r}")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(f"{name}: refusing symbolic link entry {entry!r}")
    if any(is_kind(mode) for is_kind in _SPECIAL_FILES):
        raise UnsafeArchiveError(f"{name}: refusing device, FIFO or socket entry {entry!r} (mode {stat.filemode(mode)})")
    if info.file_size > RATIO_CHECKED_ABOVE_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise UnsafeArchiveError(
            f"{name}: entry {entry!r} inflates {info.compress_size} bytes to {info.file_size} "
            f"(more than {MAX_COMPRESSION_RATIO:.0f}x); refusing a possible zip bomb"
        )


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """An entry's bytes, inflated no further than its declared size (a lying header is refused, not followed)."""
    with archive.open(info) as source:
        data = source.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise UnsafeArchiveError(f"{name}: entry {info.filename!r} holds {len(data)}+ bytes, its header says {info.file_size}")
    return data


def safe_extract(zip_path: Path, target: Path, max_bytes: int = DEFAULT_MAX_EXTRACTED_BYTES) -> None:
    """Extract ``zip_path`` into the existing empty directory ``target`` after checking every entry.

    The declared sizes are checked first and the bytes actually written are
    counted too, so a header that lies about its size is caught as well.

    Raises:
        UnsafeArchiveError: not a zip, or an entry that :func:`check_members` refuses.
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as exc:
        raise UnsafeArchiveError(f"{zip_path}: not a zip file ({exc})") from exc
    with archive:
        check_members(archive, str(zip_path), max_bytes)
        written = 0
        for info in archive.infolist():
            destination = target.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, destination.open("wb") as sink:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise UnsafeArchiveError(f"{zip_path}: unpacks past {max_bytes} bytes; refusing")
                    sink.write(chunk)
