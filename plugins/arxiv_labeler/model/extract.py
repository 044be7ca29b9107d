"""Safe extraction of model zips: no absolute paths, no ``..``, no links, bounded size."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from arxiv_labeler.errors import UnsafeArchiveError

# The published model unzips to about 260 MB; 4 GiB leaves room for larger encoders.
DEFAULT_MAX_EXTRACTED_BYTES = 4 * 1024**3


def check_members(archive: zipfile.ZipFile, name: str, max_bytes: int = DEFAULT_MAX_EXTRACTED_BYTES) -> None:
    """Refuse absolute paths, ``..`` entries, symlinks and archives bigger than ``max_bytes`` unpacked.

    Raises:
        UnsafeArchiveError: naming the first offending entry.
    """
    total = 0
    for info in archive.infolist():
        entry = info.filename
        path = PurePosixPath(entry.replace("\\", "/"))
        if path.is_absolute() or entry.startswith(("/", "\\")) or (len(entry) > 1 and entry[1] == ":"):
            raise UnsafeArchiveError(f"{name}: refusing absolute path entry {entry!r}")
        if ".." in path.parts:
            raise UnsafeArchiveError(f"{name}: refusing entry with '..' {entry!r}")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"{name}: refusing symbolic link entry {entry!r}")
        total += info.file_size
        if total > max_bytes:
            raise UnsafeArchiveError(f"{name}: unpacks to more than {max_bytes} bytes (limit); refusing a possible zip bomb")


def safe_extract(zip_path: Path, target: Path, max_bytes: int = DEFAULT_MAX_EXTRACTED_BYTES) -> None:
    """Extract ``zip_path`` into the existing empty directory ``target`` after checking every entry.

    The declared sizes are checked first and the bytes actually written are
    counted too, so a header that lies about its size is caught as well.
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
