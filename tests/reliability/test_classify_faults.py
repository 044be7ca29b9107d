"""Classify faults injected through local Spark: Python workers SIGKILLed, the task killed, a full disk, odd papers."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from arxiv_labeler.classify.landed_papers import LandedKeys, text_bytes_in_flight
from arxiv_labeler.classify.stage import classify_records
from arxiv_labeler.engines.onnx_engine import OnnxEngine
from arxiv_labeler.errors import ClassifyJobError
from arxiv_labeler.harvest.models import PaperRecord, records_table
from arxiv_labeler.model.archive import ModelArchive
from arxiv_labeler.spark.session import SparkSettings, driver_memory_for, start_session

from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.spark, pytest.mark.slow]
DAY = dt.date(2026, 11, 20)
LABELED_AT = "2026-11-21T06:00:00+00:00"


def _runs_onnx(process: psutil.Process) -> bool:
    """Whether a process has mapped onnxruntime's library (only a worker inside a classify task has)."""
    try:
        return "onnxruntime" in Path(f"/proc/{process.pid}/maps").read_text()
    except OSError:
        return False


def write_papers(path: Path, count: int, extra: list[PaperRecord] | None = None) -> str:
    abstract = "We study networks of quantum fields on graphs and prove bounds. " * 12
    papers = [PaperRecord(f"2611.{n:05d}", DAY, 1, DAY, DAY, f"Paper {n} on graphs", abstract) for n in range(count)]
    pq.write_table(records_table(papers + (extra or []), DAY, DAY, DAY), path)
    return str(path)


def classify(spark: Any, tiny_zip: Path, records: str, output: Path) -> Any:
    archive = ModelArchive.open(tiny_zip)
    engine = OnnxEngine(tiny_zip, archive.sha256, threads_per_task=1)
    return classify_records(spark, spark.read.parquet(records), engine, archive, str(output), LABELED_AT)


class WorkerKiller:
    """SIGKILLs the first Python worker that is running a classify task (it has onnxruntime loaded).

    A worker killed earlier, while Spark's daemon is still forking it, is not a task failure: the JVM restarts
    the daemon and carries on (seen under load), so the kill waits until the task's own code runs.
    """

    def __init__(self) -> None:
        self.killed: list[int] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop = threading.Event()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for process in me.children(recursive=True):
                try:
                    parent = process.parent()
                    if parent is not None and "pyspark.daemon" in " ".join(parent.cmdline()) and _runs_onnx(process):
                        process.send_signal(signal.SIGKILL)
                        self.killed.append(process.pid)
                        return
                except psutil.Error:
                    continue
            time.sleep(0.005)

    def __enter__(self) -> WorkerKiller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = start_session(SparkSettings(master="local[2]", app_name="arxiv-labeler-faults", shuffle_partitions=2))
    yield session
    session.stop()


def test_python_worker_killed_mid_stage_is_retried_and_every_paper_is_labeled_once(
    spark: Any, tiny_zip: Path, tmp_path: Path
) -> None:
    assert spark.sparkContext.master == "local[2,4]"  # local mode retries a task as a cluster would
    records = write_papers(tmp_path / "records.parquet", 1000)
    with WorkerKiller() as killer:
        result = classify(spark, tiny_zip, records, tmp_path / "out")
    assert killer.killed, "no Python worker was killed"
    ids = pq.read_table(tmp_path / "out").column("arxiv_id").to_pylist()
    assert result.classified == 1000 and len(ids) == 1000 == len(set(ids))


@contextmanager
def small_tmpfs(directory: Path, size: str) -> Iterator[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the full-disk fault needs mount privileges")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "--lazy", str(directory)], check=True, capture_output=True)  # the JVM may still hold a file


def test_disk_full_while_writing_the_labeled_parquet_publishes_nothing(spark: Any, tiny_zip: Path, tmp_path: Path) -> None:
    records = write_papers(tmp_path / "records.parquet", 2000)
    with small_tmpfs(tmp_path / "labeled", "48k") as disk:
        with pytest.raises(ClassifyJobError, match=rf"no space left on device.*nothing was published at {disk / 'out'}"):
            classify(spark, tiny_zip, records, disk / "out")
        # no partition, no partial files, no staging directory: only the writes' empty claims lock
        assert [(p.name, p.stat().st_size) for p in disk.iterdir()] == [(".out.claims.lock", 0)]
    result = classify(spark, tiny_zip, records, tmp_path / "labeled" / "out")  # room again: the retry completes
    assert result.classified == pq.read_table(tmp_path / "labeled" / "out").num_rows == 2000


KILLED_TASK = """
import sys
sys.path[:0] = [{root!r} + "/plugins", {root!r}]
from pathlib import Path
from tests.reliability.test_classify_faults import classify
from arxiv_labeler.spark.session import SparkSettings, driver_memory_for, start_session
spark = start_session(SparkSettings(master="local[2]", shuffle_partitions=2))
classify(spark, Path({zip!r}), {records!r}, Path({out!r}))
"""


def test_task_killed_mid_write_publishes_nothing_and_the_rerun_publishes_all(spark: Any, tiny_zip: Path, tmp_path: Path) -> None:
    records = write_papers(tmp_path / "records.parquet", 3000)
    out = tmp_path / "out"
    script = KILLED_TASK.format(root=str(PROJECT_ROOT), zip=str(tiny_zip), records=records, out=str(out))
    task = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT_ROOT, start_new_session=True, env=dict(os.environ))
    deadline = time.monotonic() + 180
    while task.poll() is None and time.monotonic() < deadline and not list(tmp_path.glob(".out.writing-*")):
        time.sleep(0.01)
    assert task.poll() is None, "the task ended before it started writing"
    os.killpg(task.pid, signal.SIGKILL)  # the task and its Spark JVM and workers, as a killed worker slot would lose them
    task.wait(timeout=30)
    assert not out.exists()  # nothing published for the load to pick up
    assert list(tmp_path.glob(".out.writing-*"))  # the partial write is there, beside the output
    result = classify(spark, tiny_zip, records, out)  # the rerun
    assert result.classified == pq.read_table(out).num_rows == 3000
    assert not list(tmp_path.glob(".out.writing-*"))  # and it cleared what the killed task left


OUT_OF_MEMORY_TASK = """
import sys
sys.path[:0] = [{root!r} + "/plugins", {root!r}]
from pathlib import Path
from tests.reliability.test_classify_faults import classify
from arxiv_labeler.errors import ClassifyJobError
from arxiv_labeler.spark.session import SparkSettings, start_session, stop_session
spark = start_session(SparkSettings(master="local[2]", shuffle_partitions=2, driver_memory={memory!r}))
try:
    print("classified", classify(spark, Path({zip!r}), {records!r}, Path({out!r})).classified)
except ClassifyJobError as exc:
    print("failed:", exc)
finally:
    stop_session(spark)  # the JVM may be gone: the job's message must not be lost to a second error
"""


def test_out_of_memory_driver_names_the_setting_and_the_retry_with_more_memory_completes(tiny_zip: Path, tmp_path: Path) -> None:
    """300 papers of 1.2 MB each (360 MB of text) in a 480 MB heap: the JVM dies of OutOfMemoryError, exit code 52."""
    papers = pq.read_table(write_papers(tmp_path / "small.parquet", 300))
    huge = pa.array([f"graph{n} " * 150_000 for n in range(papers.num_rows)])  # distinct texts: nothing compresses away
    pq.write_table(papers.set_column(papers.schema.get_field_index("abstract"), "abstract", huge), tmp_path / "records.parquet")
    out = tmp_path / "out"

    def task(memory: str) -> str:
        script = OUT_OF_MEMORY_TASK.format(
            root=str(PROJECT_ROOT), zip=str(tiny_zip), records=str(tmp_path / "records.parquet"), out=str(out), memory=memory
        )
        done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]

    failed = task("480m")  # Spark's smallest allowed heap
    assert "ran out of memory (java.lang.OutOfMemoryError): raise driver_memory" in failed, failed
    assert "arxiv_spark connection's extras" in failed and f"nothing was published at {out}" in failed
    assert not out.exists() and not list(tmp_path.glob(".out.writing-*"))
    # the heap the classify task sizes from the job when the connection sets none: enough, and the retry completes
    landed = LandedKeys.from_batches(pq.read_table(tmp_path / "records.parquet").to_batches())
    in_flight = text_bytes_in_flight(landed.text_bytes, tasks=os.cpu_count() or 1)
    heap = driver_memory_for(300, tiny_zip.stat().st_size, text_bytes=in_flight)
    assert task(heap) == "classified 300"
    ids = pq.read_table(out).column("arxiv_id").to_pylist()
    assert len(ids) == len(set(ids)) == 300


def test_empty_input_a_1_mb_paper_a_title_only_paper_and_a_paper_without_tokens(
    spark: Any, tiny_zip: Path, tmp_path: Path
) -> None:
    empty = classify(spark, tiny_zip, write_papers(tmp_path / "empty.parquet", 0), tmp_path / "empty-out")
    assert (empty.papers, empty.classified) == (0, 0) and pq.read_table(tmp_path / "empty-out").num_rows == 0
    odd = [
        PaperRecord("2611.90001", DAY, 1, DAY, DAY, "A long one", "graph " * 180_000),  # about 1 MB of text
        PaperRecord("2611.90002", DAY, 1, DAY, DAY, "Only a title here", ""),
        PaperRecord("2611.90003", DAY, 1, DAY, DAY, "\u200b\u200b", "\u200b"),  # format characters: no WordPiece tokens
    ]
    result = classify(spark, tiny_zip, write_papers(tmp_path / "odd.parquet", 0, odd), tmp_path / "odd-out")
    rows = {r["arxiv_id"]: r for r in pq.read_table(tmp_path / "odd-out").to_pylist()}
    assert result.classified == 3 and set(rows) == {"2611.90001", "2611.90002", "2611.90003"}
    assert all(r["label"] in ModelArchive.open(tiny_zip).labels and 0 <= r["score"] <= 1 for r in rows.values())
    assert rows["2611.90002"]["text_source"] == "title_only" and result.title_only == 1


def test_without_task_retries_a_killed_worker_fails_the_job_naming_the_cause(spark: Any, tiny_zip: Path, tmp_path: Path) -> None:
    spark.stop()  # this test needs a master that does not retry: the module's session ends here
    session = start_session(SparkSettings(master="local[2,1]", app_name="arxiv-labeler-no-retries", shuffle_partitions=2))
    try:
        records = write_papers(tmp_path / "records.parquet", 1000)
        with WorkerKiller() as killer, pytest.raises(ClassifyJobError, match="a Python worker died .* nothing was published"):
            classify(session, tiny_zip, records, tmp_path / "out")
        assert killer.killed and not (tmp_path / "out").exists()
    finally:
        session.stop()
