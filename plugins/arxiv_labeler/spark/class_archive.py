"""A class-data-sharing (CDS) archive of the Spark driver's classes, so the driver JVM starts faster.

Without it the JVM reads and verifies several thousand classes from Spark's jars at
every start; with it, it maps the classes an earlier run loaded from one file. The
archive is made once per JDK and PySpark install (``arxiv-labeler spark-class-archive``,
run by ``make venv`` and the image build) and used when it exists. The JVM checks it
against its own build and class path and ignores one that does not match
(``-Xshare:auto``), so a stale or damaged archive only costs the time it would save.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from arxiv_labeler import settings
from arxiv_labeler.errors import SparkSessionError

ARCHIVE_ENV = settings.ENV_SPARK_CLASS_ARCHIVE  # an explicit archive path; an empty value turns the archive off
_SILENT = ["-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]  # a mismatch is not worth a warning per task

# Run in a child process: a representative driver (session, Parquet, Arrow to Python and back), then a clean JVM
# exit, which is when the JVM writes the archive.
_RECORDING_RUN = """
import sys, tempfile
sys.path.insert(0, {plugins!r})
from pyspark import SparkContext
from arxiv_labeler.spark.session import SparkSettings, start_session
options = "-XX:ArchiveClassesAtExit={partial} -Xlog:cds=off -Xlog:cds+dynamic=off"
spark = start_session(SparkSettings(master="local[1]", app_name="arxiv-labeler-class-archive", class_archive=None,
                                    extra_conf={{"spark.driver.extraJavaOptions": options}}))
with tempfile.TemporaryDirectory() as scratch:
    frame = spark.range(0, 64).selectExpr("cast(id as string) as arxiv_id", "repeat('graph ', 20) as text")
    frame.repartition(2).mapInPandas(lambda batches: batches, frame.schema).write.parquet(scratch + "/out")
    spark.read.parquet(scratch + "/out").agg({{"arxiv_id": "count"}}).first()
jvm = SparkContext._gateway.proc
spark.stop()
SparkContext._gateway.shutdown()
jvm.stdin.close()  # PySpark's JVM exits when its stdin closes
jvm.wait(timeout=120)
"""


def default_archive_path() -> Path | None:
    """Where this JDK's and this PySpark's archive lives (``ARXIV_LABELER_SPARK_CLASS_ARCHIVE`` overrides); None if off."""
    configured = settings.spark_class_archive_override()
    if configured is not None:
        return Path(configured) if configured else None
    import pyspark

    home_java = shutil.which("java", path=str(Path(os.environ["JAVA_HOME"]) / "bin")) if os.environ.get("JAVA_HOME") else None
    java = Path(home_java or shutil.which("java") or "java").resolve()
    key = archive_key(java, Path(pyspark.__file__).parent / "jars", pyspark.__version__)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "arxiv-labeler"
    return cache / f"spark-{pyspark.__version__}-{key}.jsa"


def archive_key(java: Path, jars: Path, version: str) -> str:
    """A short key for a JDK binary and a PySpark jars directory, changing when either is reinstalled.

    The JVM refuses, silently, an archive whose JDK or jars changed (it checks their sizes and
    times): a reinstall at the same path must get a new archive, not keep a useless one.
    """
    stamps = [str(p.stat().st_mtime_ns) if p.exists() else "-" for p in (java, jars)]
    return hashlib.sha256("|".join([str(java), str(jars), version, *stamps]).encode()).hexdigest()[:12]


def driver_java_options(archive: Path | None) -> str:
    """The driver JVM's options that map ``archive``; empty when there is none."""
    if archive is None or not archive.is_file():
        return ""
    return " ".join([f"-XX:SharedArchiveFile={archive}", *_SILENT])


def build_class_archive(target: Path, timeout: float = 600.0) -> Path:
    """Record the classes a Spark driver loads into ``target`` (replaced whole, never left half-written)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    plugins = str(Path(__file__).resolve().parents[2])
    script = _RECORDING_RUN.format(plugins=plugins, partial=str(partial))
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            raise SparkSessionError(f"recording Spark's classes failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target
