"""The labeled output under concurrent runs of one interval: whole outputs only, for writers and for the load."""

from __future__ import annotations

import fcntl
import shutil
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from arxiv_labeler.classify.labeled_output import _remove_abandoned_writes, read_labeled, staged_write

ROWS_PER_FILE = 50


def publish(target: Path, version: int, files: int = 4) -> None:
    """An output of ``files`` Parquet files, every row tagged with ``version`` (as Spark writes part files)."""
    with staged_write(target) as staging:
        staging.mkdir()
        for part in range(files):
            rows = pa.table({"arxiv_id": [f"{part}.{n}" for n in range(ROWS_PER_FILE)], "version": [version] * ROWS_PER_FILE})
            pq.write_table(rows, staging / f"part-{part:05d}.parquet")


def test_nothing_published_reads_as_none(tmp_path: Path) -> None:
    assert read_labeled(str(tmp_path / "never" / "model=abc")) is None
    publish(tmp_path / "model=abc", 1)
    assert read_labeled(str(tmp_path / "model=other")) is None  # its directory exists, the output does not


def test_a_failed_write_leaves_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "model=abc"
    publish(target, 1)
    with pytest.raises(OSError, match="disk full"), staged_write(target) as staging:
        staging.mkdir()
        (staging / "part-00000.parquet").write_bytes(b"PAR1 half")
        raise OSError("disk full")
    assert set(read_labeled(str(target)).column("version").to_pylist()) == {1}  # type: ignore[union-attr]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".model=abc.claims.lock",
        ".model=abc.lock",
        "model=abc",
    ]  # no staging left


def test_a_swap_that_fails_puts_the_previous_output_back(tmp_path: Path) -> None:
    target = tmp_path / "model=abc"
    publish(target, 1)
    with pytest.raises(FileNotFoundError), staged_write(target) as staging:
        staging.mkdir()
        shutil.rmtree(staging)  # gone when the swap comes (a run removing it was how CI once found no output)
    assert set(read_labeled(str(target)).column("version").to_pylist()) == {1}  # type: ignore[union-attr]


def test_loads_read_one_whole_output_while_two_runs_keep_publishing(tmp_path: Path) -> None:
    """Two runs of the same interval publish over and over while a load reads: each read sees one complete output."""
    target = tmp_path / "model=abc"
    publish(target, 0)
    errors: list[BaseException] = []

    def publisher(first_version: int) -> None:
        try:
            for version in range(first_version, first_version + 30):
                publish(target, version)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    writers = [threading.Thread(target=publisher, args=(start,)) for start in (1, 1000)]
    for writer in writers:
        writer.start()
    seen = []
    while any(w.is_alive() for w in writers):
        table = read_labeled(str(target))
        assert table is not None and table.num_rows == 4 * ROWS_PER_FILE
        versions = set(table.column("version").to_pylist())
        assert len(versions) == 1, versions  # never a mix of two publishes
        seen.append(versions.pop())
    for writer in writers:
        writer.join()
    assert not errors, errors
    assert len(set(seen)) > 1  # the reads really overlapped the publishes
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model=abc.claims.lock", ".model=abc.lock", "model=abc"]


def test_a_swap_waits_for_a_load_that_is_reading(tmp_path: Path) -> None:
    target = tmp_path / "model=abc"
    publish(target, 1)
    swapped = threading.Event()
    with (tmp_path / ".model=abc.lock").open("a") as reader:
        fcntl.flock(reader, fcntl.LOCK_SH)  # a load in the middle of its read
        writer = threading.Thread(target=lambda: (publish(target, 2), swapped.set()))
        writer.start()
        assert not swapped.wait(1.0)  # written, but not swapped in under the reader
        assert set(pq.read_table(target).column("version").to_pylist()) == {1}
        fcntl.flock(reader, fcntl.LOCK_UN)
    writer.join(10)
    assert swapped.is_set() and set(read_labeled(str(target)).column("version").to_pylist()) == {2}  # type: ignore[union-attr]


def test_a_concurrent_runs_write_in_progress_is_not_taken_for_a_leftover(tmp_path: Path) -> None:
    target = tmp_path / "model=abc"
    running, killed, old = (tmp_path / f".model=abc.writing-{n}" for n in ("run1", "dead", "nolock"))
    for staging in (running, killed, old):
        staging.mkdir()
        (staging / "part-0.parquet").write_bytes(b"x")
    (tmp_path / ".model=abc.writing-dead.lock").touch()  # its process died: the lock is free
    (tmp_path / ".model=abc.previous-0badf00d").mkdir()  # a swap killed before removing the previous output
    with (tmp_path / ".model=abc.writing-run1.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another run of the same interval, still writing
        _remove_abandoned_writes(target)
        assert running.exists() and not killed.exists() and not old.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model=abc.writing-run1", ".model=abc.writing-run1.lock"]


def test_a_write_being_claimed_is_not_taken_for_a_leftover(tmp_path: Path) -> None:
    """Between creating its lock file and locking it, a write holds the claims lock: another run waits, removes nothing."""
    target = tmp_path / "model=abc"
    claimed = tmp_path / ".model=abc.writing-new"
    claimed.mkdir()
    lock_file = tmp_path / ".model=abc.writing-new.lock"
    lock_file.touch()  # created, not locked yet
    with (tmp_path / ".model=abc.claims.lock").open("a") as claims:
        fcntl.flock(claims, fcntl.LOCK_EX)
        other = threading.Thread(target=publish, args=(target, 1))
        other.start()
        other.join(1.0)
        assert other.is_alive() and claimed.exists()  # the other run waits for the claim to finish
        with lock_file.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the claim completes
            fcntl.flock(claims, fcntl.LOCK_UN)
            other.join(10)
            assert not other.is_alive() and claimed.exists()  # still there: its lock was held when the scan came
    assert set(read_labeled(str(target)).column("version").to_pylist()) == {1}  # type: ignore[union-attr]
