"""What a failed Spark job means for the operator: the cause in one line and the setting to change."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from py4j.protocol import Py4JNetworkError

# spark-submit's exit code when a JVM thread hit java.lang.OutOfMemoryError (SparkExitCode.OOM): in local
# mode the executor's handler exits the whole JVM, so Python only sees the connection refused.
JVM_OOM_EXIT_CODE = 52
_OUT_OF_MEMORY = (
    "the Spark JVM ran out of memory (java.lang.OutOfMemoryError): raise driver_memory "
    "(and executor_memory on a cluster) in the arxiv_spark connection's extras"
)

# Java's own messages, searched in the (long) text of a Py4J / captured Spark exception, stack trace included.
_CAUSES = (
    (
        re.compile("No space left on device"),
        "no space left on device: free space there or point ARXIV_LABELER_DATA_DIR at a larger disk",
    ),
    (re.compile("java.lang.OutOfMemoryError"), _OUT_OF_MEMORY),
    (
        # Dead while running, or while Spark's daemon forked it (the JVM's worker factory then reads EOF).
        re.compile(
            r"Python worker exited unexpectedly"
            r"|java\.io\.EOFException(?:\s+at [^\n]+){0,3}\s+at org\.apache\.spark\.api\.python\."
        ),
        "a Python worker died (killed, or out of memory) on every attempt Spark allows: look for the OOM killer "
        "in the kernel log and give the worker more memory or fewer cores",
    ),
)


def jvm_exit_code(spark: Any, wait_seconds: float = 0.0) -> int | None:
    """The exit code of the session's JVM, None while it runs (or when this process did not start it).

    Args:
        spark: the session.
        wait_seconds: how long to wait for a JVM that closed its gateway but is still running its shutdown hooks.
    """
    process = getattr(spark.sparkContext._gateway, "proc", None)  # set by pyspark's launch_gateway
    if process is None:
        return None
    try:
        return int(process.wait(timeout=wait_seconds))
    except subprocess.TimeoutExpired:
        return None


def jvm_going_away(spark: Any, exc: BaseException) -> bool:
    """Whether the JVM stopped answering or its context shut down under the job (it is exiting), not a job failure."""
    if isinstance(exc, ConnectionError | Py4JNetworkError):
        return True
    try:
        return bool(spark.sparkContext._jsc.sc().isStopped())
    except Exception:  # nothing answers: the JVM is gone
        return True


_PYTHON_TRACEBACK = "Traceback (most recent call last):"


def python_worker_error(text: str) -> str | None:
    """The exception a Python worker raised (``ModelArchiveError: ...``), from a failed job's text; None if none.

    Spark wraps it in "An exception was thrown from the Python worker" and JVM frames: the
    worker's own last traceback line is the cause a person needs.
    """
    start = text.rfind(_PYTHON_TRACEBACK)
    if start < 0:
        return None
    for line in text[start + len(_PYTHON_TRACEBACK) :].splitlines():
        if line.strip() and not line[0].isspace():  # frames are indented; the exception line is not
            name, colon, message = line.strip().partition(":")
            return f"{name.rsplit('.', 1)[-1]}{colon}{message}"  # arxiv_labeler.errors.X: m -> X: m
    return None


def describe_spark_failure(exc: BaseException, jvm_exit: int | None = None) -> str:
    """One line saying why a Spark job failed and what to change.

    Args:
        exc: the exception Spark (or Py4J, when the JVM is gone) raised.
        jvm_exit: the JVM's exit code when it died under the job (see ``jvm_exit_code``).
    """
    if jvm_exit == JVM_OOM_EXIT_CODE:
        return f"{_OUT_OF_MEMORY} (the JVM exited with code {jvm_exit})"
    if jvm_exit is not None:
        return f"the Spark JVM exited with code {jvm_exit} under the job (killed? see the task log above this error)"
    text = str(exc)
    for marker, meaning in _CAUSES:
        if marker.search(text):
            return meaning
    worker_error = python_worker_error(text)
    if worker_error is not None:
        return f"a Python worker raised {worker_error[:500]}"
    # Py4J's first line only names the Java call ("An error occurred while calling o105.count."): skip it.
    lines = [line.strip().removeprefix(": ") for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("An error occurred while calling")]
    first = next(iter(useful or lines), type(exc).__name__)
    return re.sub(r"\s+", " ", first)[:300]
