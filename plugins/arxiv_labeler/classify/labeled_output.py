"""The classify stage's labeled Parquet on a local file system: staged writes, atomic swaps, locked reads.

Two runs of the same interval and model (the interval triggered twice, a cleared run
beside a backfill) publish to the same directory. Each write goes to its own staging
directory under an exclusive lock, so a leftover of a killed write is told from a
running one; the swap and every read hold a shared lock file beside the output, so a
load never reads a directory that another run's publish is replacing. Claiming a staging
directory (creating and locking its lock file) and looking for abandoned ones take turns
on a third lock: otherwise a run could find another's lock file created but not yet
locked, take it for a leftover and remove that run's staging directory mid-write.

No Spark here: the load task reads through this module without starting a JVM.
"""

from __future__ import annotations

import fcntl
import shutil
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from arxiv_labeler.parquet_batches import parquet_files, row_group_batches


def local_path(output_path: str) -> Path | None:
    """The local directory of ``output_path``; None for a cluster file system (``s3a://``, ``hdfs://``)."""
    if "://" in output_path and not output_path.startswith("file://"):
        return None
    return Path(output_path.removeprefix("file://"))


@contextmanager
def staged_write(target: Path) -> Iterator[Path]:
    """A fresh staging directory beside ``target``, swapped in when the block succeeds.

    When the block raises, the staging directory is removed and ``target`` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.writing-{uuid.uuid4().hex[:8]}")
    with ExitStack() as held:
        with _claims_lock(target):
            _remove_abandoned_writes(target)
            # locked before the claims lock is released: no scan ever finds this write's lock free
            held.enter_context(_write_lock(staging.with_name(staging.name + ".lock")))
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _swap_in(staging, target)


@contextmanager
def labeled_batches(output_path: str, columns: list[str], batch_size: int) -> Iterator[Iterator[pa.RecordBatch] | None]:
    """The published labeled rows at ``output_path`` as record batches, or None when nothing was ever published there.

    The batches must be read inside the block: it holds the shared lock that keeps another run's swap from
    replacing the output while it is read (a load streams it into its transaction).
    """
    target = local_path(output_path)
    if target is None:
        yield iter(pq.read_table(output_path, columns=columns).to_batches(max_chunksize=batch_size))
        return
    if not target.parent.is_dir():
        yield None
        return
    with _swap_lock(target, fcntl.LOCK_SH):
        if not target.exists():
            yield None
            return
        yield row_group_batches(parquet_files(target), batch_size, columns=columns)


def read_labeled(output_path: str) -> pa.Table | None:
    """The published labeled rows at ``output_path``, or None when nothing was ever published there."""
    target = local_path(output_path)
    if target is None:
        return pq.read_table(output_path)
    if not target.parent.is_dir():
        return None
    with _swap_lock(target, fcntl.LOCK_SH):
        return pq.read_table(target) if target.exists() else None


@contextmanager
def _write_lock(lock_path: Path) -> Iterator[None]:
    """An exclusive flock on a staging directory's own lock file (released by the kernel if the process dies)."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            lock_path.unlink(missing_ok=True)


def _claims_lock(target: Path) -> AbstractContextManager[None]:
    """Held while a write claims its staging directory and while abandoned ones are looked for."""
    return _lasting_lock(target.with_name(f".{target.name}.claims.lock"), fcntl.LOCK_EX)


def _swap_lock(target: Path, mode: int) -> AbstractContextManager[None]:
    """The lock that swaps take exclusively and reads take shared."""
    return _lasting_lock(target.with_name(f".{target.name}.lock"), mode)


@contextmanager
def _lasting_lock(lock_path: Path, mode: int) -> Iterator[None]:
    """An flock on a file that is never removed.

    A removed lock file could be held by one process while another creates a new one.
    """
    with lock_path.open("a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_abandoned_writes(target: Path) -> None:
    """Remove staging directories (and their locks) of writes whose process is gone: their lock is free."""
    names = {p.name.removesuffix(".lock") for p in target.parent.glob(f".{target.name}.writing-*")}
    for name in sorted(names):
        lock_path = target.parent / f"{name}.lock"
        with lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a running write (another run of the same interval): not ours to touch
            shutil.rmtree(target.parent / name, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
    for previous in target.parent.glob(f".{target.name}.previous-*"):  # a swap killed before its clean-up
        shutil.rmtree(previous, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` while no reader holds it; the previous output is moved aside, then removed."""
    previous = target.with_name(f".{target.name}.previous-{uuid.uuid4().hex[:8]}")
    with _swap_lock(target, fcntl.LOCK_EX):
        with suppress(FileNotFoundError):  # the first publish of this interval and model has nothing to move
            target.rename(previous)
        try:
            staging.rename(target)
        except BaseException:
            with suppress(FileNotFoundError):
                previous.rename(target)  # the previous output goes back: a load never finds none
            raise
    shutil.rmtree(previous, ignore_errors=True)
