"""Spark sessions for the classify stage: local or a cluster master, sized explicitly."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from arxiv_labeler.errors import SparkSessionError
from arxiv_labeler.spark.class_archive import default_archive_path, driver_java_options

if TYPE_CHECKING:  # pyspark is imported where a session starts, not at DAG parse time
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

SPARK_NLP_PACKAGE = "com.johnsnowlabs.nlp:spark-nlp_2.13:7.0.0"
# Rows per Arrow batch between the JVM and a Python worker: a worker's memory stays the same however large the run.
ARROW_BATCH_ROWS = 1000
# Local mode fails the job at a task's first failure unless the master says otherwise; clusters retry 4 times.
LOCAL_TASK_ATTEMPTS = 4
# The onnx engine runs the model in Python workers: the driver JVM only plans and moves rows, so it compiles with
# C1 alone, which starts it sooner and leaves the cores to the workers (make bench-task: 2.5 s less a day's task).
# Spark NLP runs its tokenizer and model in the JVM, where C2's faster code pays: it keeps the default.
C1_ONLY_JIT = "-XX:TieredStopAtLevel=1"
# What that driver allocates dies young (rows in passage): a fixed small young generation keeps G1 from growing it
# over a long run into more of the committed heap (make bench-scale: the driver JVM 0.1 to 0.18 GB smaller).
SMALL_YOUNG_GENERATION = "-Xmn64m"
ROW_MOVING_DRIVER_OPTIONS = (C1_ONLY_JIT, SMALL_YOUNG_GENERATION)
_LOCAL_MASTER = re.compile(r"^local(?:\[(\*|\d+)\])?$")


def driver_memory_for(papers: int, model_bytes: int, sparknlp: bool = False, text_bytes: int = 0) -> str:
    """A driver heap sized from the job, used when the Spark connection does not set ``driver_memory``.

    The onnx engine runs the graph in Python workers, outside the JVM heap: the heap holds
    Spark itself (768 MB with its 300 MB reserve), a row's bookkeeping (ids, hashes, flags: at
    most 1 KB a paper) and, four times over (the Parquet reader's column batch, the Arrow batch
    sent to Python, its copy, the labeled Parquet page), the text the running tasks hold at once:
    ``text_bytes`` is that, from ``text_bytes_in_flight``. Nothing is cached or collected to the
    driver, so the heap does not grow with the papers beyond that: a larger heap only lets the
    JVM's RSS grow (``make bench-scale``). The sparknlp engine loads the model into the JVM: three
    times the zip more. A day (2,000 papers) and a 64,000-paper month both get 1 GB; 300 papers of
    1.2 MB each (all of them in flight) 2.3 GB, where 480 MB runs out of memory (tests/reliability).
    """
    megabytes = 768 + papers / 1024 + 4 * text_bytes / 2**20 + (3 * model_bytes / 2**20 if sparknlp else 0)
    return f"{max(1024, math.ceil(megabytes / 256) * 256)}m"


def with_task_retries(master: str) -> str:
    """``local`` / ``local[N]`` / ``local[*]`` as ``local[N,4]``: a crashed Python worker's task is retried, as on a cluster."""
    match = _LOCAL_MASTER.match(master)
    if not match:
        return master
    return f"local[{match.group(1) or '1'},{LOCAL_TASK_ATTEMPTS}]"


@dataclass(frozen=True)
class SparkSettings:
    """How to start Spark; ``sparknlp=True`` adds what ``sparknlp.start()`` would set."""

    master: str = "local[*]"
    app_name: str = "arxiv-labeler"
    driver_memory: str = "2g"
    executor_memory: str = "2g"
    shuffle_partitions: int = 8
    sparknlp: bool = False
    sparknlp_jars: tuple[str, ...] = ()
    extra_conf: dict[str, str] = field(default_factory=dict)
    # The driver's class-data-sharing archive (jvm_class_archive), used when the file exists.
    class_archive: Path | None = field(default_factory=default_archive_path)

    def conf(self) -> dict[str, str]:
        """Every Spark config key this project sets (tested without starting a JVM)."""
        conf = {
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.session.timeZone": "UTC",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
            "spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH_ROWS),
            # The worker must be this interpreter, not whatever python3 is on PATH (virtualenvs).
            "spark.pyspark.python": sys.executable,
            "spark.pyspark.driver.python": sys.executable,
            "spark.python.worker.reuse": "true",
        }
        if self.master.startswith("local"):
            # Local mode talks only to itself: keep the driver on loopback whatever the hostname resolves to.
            conf["spark.driver.host"] = "127.0.0.1"
            conf["spark.driver.bindAddress"] = "127.0.0.1"
        if self.sparknlp:
            conf.update(
                {
                    "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
                    "spark.kryoserializer.buffer.max": "2000M",
                    "spark.driver.maxResultSize": "0",
                }
            )
            if self.sparknlp_jars:
                conf["spark.jars"] = ",".join(self.sparknlp_jars)
            else:
                conf["spark.jars.packages"] = SPARK_NLP_PACKAGE
        conf.update(self.extra_conf)
        driver_options = () if self.sparknlp else ROW_MOVING_DRIVER_OPTIONS
        java_options = " ".join(filter(None, [driver_java_options(self.class_archive), *driver_options]))
        if java_options:  # before the connection's own options: for a flag given twice, the JVM takes the last
            own = self.extra_conf.get("spark.driver.extraJavaOptions", "")
            conf["spark.driver.extraJavaOptions"] = f"{java_options} {own}".strip()
        return conf


def start_session(settings: SparkSettings) -> SparkSession:
    """Start (or reuse) a session with ``settings``; the caller stops it."""
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    master = with_task_retries(settings.master)
    builder = SparkSession.builder.master(master).appName(settings.app_name)
    for key, value in settings.conf().items():
        builder = builder.config(key, value)
    log.info(
        "starting Spark: master=%s driver_memory=%s sparknlp=%s class archive=%s",
        master,
        settings.driver_memory,
        settings.sparknlp,
        settings.class_archive if driver_java_options(settings.class_archive) else "none",
    )
    session = builder.getOrCreate()
    if session.sparkContext.master != master:
        # getOrCreate returns a running session whatever master it has: never run on the wrong cluster.
        raise SparkSessionError(
            f"a Spark session with master {session.sparkContext.master!r} is already running in this process; "
            f"stop it before starting one on {master!r}"
        )
    session.sparkContext.setLogLevel("WARN")
    ship_package(session)
    return session


def stop_session(session: SparkSession) -> None:
    """Stop ``session``; a JVM that already died (out of memory, killed) is logged, not raised over the job's error."""
    try:
        session.stop()
    except Exception as exc:  # py4j's connection errors when nothing answers any more: the job's error matters
        log.warning("Spark's JVM was gone when stopping the session (%s: %s)", type(exc).__name__, exc)


def package_zip() -> Path:
    """This package as a zip for Python workers (content-addressed, built once per version)."""
    root = Path(__file__).resolve().parents[1]
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())
    target = Path(tempfile.gettempdir()) / f"arxiv_labeler-{digest.hexdigest()[:16]}.zip"
    if not target.exists():
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, str(Path(root.name) / file.relative_to(root)))
        partial.replace(target)
    return target


def ship_package(session: SparkSession) -> None:
    """Make ``arxiv_labeler`` importable on every Python worker (Airflow's plugins/ is not on their path)."""
    session.sparkContext.addPyFile(str(package_zip()))
