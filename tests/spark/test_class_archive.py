"""The driver's class-data-sharing archive: recorded once, mapped by the next drivers, harmless when damaged."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from arxiv_labeler.spark.class_archive import ARCHIVE_ENV, archive_key, build_class_archive, default_archive_path
from arxiv_labeler.spark.session import ROW_MOVING_DRIVER_OPTIONS, SparkSettings

from tests.conftest import PROJECT_ROOT

# A driver in its own JVM (the test process's JVM is already running), logging where each class came from.
DRIVER = """
import sys
sys.path.insert(0, {plugins!r})
from pathlib import Path
from arxiv_labeler.spark.session import SparkSettings, start_session
extra = {{"spark.driver.extraJavaOptions": "-Xlog:class+load=info:file={log}"}}
spark = start_session(SparkSettings(master="local[1]", class_archive=Path({archive!r}), extra_conf=extra))
print("rows", spark.range(0, 10).count())
spark.stop()
"""


def run_driver(archive: Path, log: Path) -> str:
    script = DRIVER.format(plugins=str(PROJECT_ROOT / "plugins"), archive=str(archive), log=str(log))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def where_spark_context_came_from(log: Path) -> str:
    match = re.search(r"org\.apache\.spark\.SparkContext source: (.+)", log.read_text())
    assert match, "the driver never loaded SparkContext"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.spark
def test_a_recorded_archive_is_mapped_by_the_next_driver(tmp_path: Path) -> None:
    archive = build_class_archive(tmp_path / "spark.jsa")
    assert archive.stat().st_size > 10_000_000 and not list(tmp_path.glob("*.partial"))  # written whole, then renamed
    assert run_driver(archive, tmp_path / "classes.log") == "rows 10"
    assert where_spark_context_came_from(tmp_path / "classes.log") == "shared objects file (top)"  # the archive's layer


@pytest.mark.slow
@pytest.mark.spark
def test_a_damaged_archive_is_ignored_and_the_driver_reads_the_jars(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.jsa"
    damaged.write_bytes(os.urandom(64 * 1024))
    assert run_driver(damaged, tmp_path / "classes.log") == "rows 10"
    assert where_spark_context_came_from(tmp_path / "classes.log").endswith(".jar")


def test_the_archive_goes_before_the_connection_s_own_java_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "spark.jsa"
    archive.write_bytes(b"recorded")
    own = {"spark.driver.extraJavaOptions": "-Dsome.flag=1"}
    row_moving = " ".join(ROW_MOVING_DRIVER_OPTIONS)
    options = SparkSettings(class_archive=archive, extra_conf=own).conf()["spark.driver.extraJavaOptions"]
    assert options.startswith(f"-XX:SharedArchiveFile={archive} -Xshare:auto") and options.endswith(
        f" {row_moving} -Dsome.flag=1"
    )
    assert SparkSettings(class_archive=tmp_path / "missing.jsa").conf()["spark.driver.extraJavaOptions"] == row_moving
    assert (
        SparkSettings(class_archive=None, extra_conf=own).conf()["spark.driver.extraJavaOptions"] == f"{row_moving} -Dsome.flag=1"
    )
    monkeypatch.setenv(ARCHIVE_ENV, "")
    assert default_archive_path() is None and SparkSettings().class_archive is None  # turned off
    monkeypatch.setenv(ARCHIVE_ENV, str(archive))
    assert SparkSettings().class_archive == archive


def test_only_a_driver_that_runs_no_model_compiles_with_c1_alone_and_a_small_young_generation(tmp_path: Path) -> None:
    onnx = SparkSettings(class_archive=None).conf()["spark.driver.extraJavaOptions"].split()
    assert onnx == ["-XX:TieredStopAtLevel=1", "-Xmn64m"]  # the onnx engine's JVM only plans and moves rows
    sparknlp = SparkSettings(class_archive=None, sparknlp=True, sparknlp_jars=("/jars/spark-nlp.jar",)).conf()
    assert "spark.driver.extraJavaOptions" not in sparknlp  # Spark NLP's tokenizer and model run in the JVM: C2 stays


def test_a_reinstalled_jdk_or_pyspark_gets_a_new_archive(tmp_path: Path) -> None:
    java, jars = tmp_path / "java", tmp_path / "jars"
    java.write_bytes(b"jvm")
    jars.mkdir()
    key = archive_key(java, jars, "4.1.4")
    assert archive_key(java, jars, "4.1.4") == key
    os.utime(jars, ns=(jars.stat().st_atime_ns, jars.stat().st_mtime_ns + 1_000_000_000))  # the venv installed again
    assert archive_key(java, jars, "4.1.4") != key
    assert archive_key(java, jars, "4.1.5") != archive_key(java, jars, "4.1.4")
