"""Unsafe archives are refused before anything is written outside the target."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest
from arxiv_labeler.errors import UnsafeArchiveError
from arxiv_labeler.model.extract import safe_extract


def make_zip(path: Path, entries: list[tuple[str, bytes]], symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    ("entries", "symlink", "message"),
    [
        ([("/etc/evil", b"x")], None, "absolute path"),
        ([("metadata/../../evil", b"x")], None, "'..'"),
        ([("ok", b"x")], "fields/link", "symbolic link"),
    ],
)
def test_unsafe_entries_refused(tmp_path: Path, entries: list[tuple[str, bytes]], symlink: str | None, message: str) -> None:
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchiveError, match=message):
        safe_extract(make_zip(tmp_path / "m.zip", entries, symlink), target)
    assert list(target.iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_zip_bomb_refused(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", [("a", b"\0" * 5_000_000), ("b", b"\0" * 5_000_000)])
    assert bomb.stat().st_size < 100_000
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        safe_extract(bomb, target, max_bytes=8_000_000)


def test_safe_archive_extracts(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    safe_extract(make_zip(tmp_path / "m.zip", [("metadata/part-00000", b"{}"), ("a/b/c", b"1")]), target)
    assert (target / "a" / "b" / "c").read_bytes() == b"1"
