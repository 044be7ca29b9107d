"""Spark NLP's jar from S3 (``sparknlp_jar_uri``), against a real S3 API (moto on 127.0.0.1) and a stand-in jar.

The stand-in is compiled here: one class named like the Spark NLP class the engine probes, so
the last test shows the jar fetched from S3 reaches the classpath where the engine looks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from arxiv_labeler.engines.sparknlp_engine import JVM_CLASS
from arxiv_labeler.errors import ConfigError, SparkNlpJarFetchError
from arxiv_labeler.hooks.spark import SparkHook
from arxiv_labeler.spark.sparknlp_jar import fetch_sparknlp_jar

BUCKET = "jars"
KEY = "spark-nlp/spark-nlp-assembly-7.0.0.jar"
URI = f"s3://{BUCKET}/{KEY}"


class CountingClient:
    """A real boto3 client that counts the calls the fetch makes."""

    def __init__(self, endpoint: str) -> None:
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
        )
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def head_object(self, **kwargs: Any) -> Any:
        with self.lock:
            self.calls.append("head")
        return self.client.head_object(**kwargs)

    def get_object(self, **kwargs: Any) -> Any:
        with self.lock:
            self.calls.append("get")
        return self.client.get_object(**kwargs)


@pytest.fixture(scope="module")
def stand_in_jar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real jar: one compiled class named ``JVM_CLASS`` (javac from the JDK Spark runs on)."""
    root = tmp_path_factory.mktemp("jar")
    package, _, name = JVM_CLASS.rpartition(".")
    source = root / "src" / Path(*package.split(".")) / f"{name}.java"
    source.parent.mkdir(parents=True)
    source.write_text(f"package {package};\npublic class {name} {{}}\n")
    classes = root / "classes"
    subprocess.run(["javac", "--release", "17", "-d", str(classes), str(source)], check=True, timeout=120)
    jar = root / "spark-nlp-stand-in.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for path in classes.rglob("*.class"):
            archive.write(path, str(path.relative_to(classes)))
    return jar


@pytest.fixture
def s3(moto_endpoint: str) -> CountingClient:
    client = CountingClient(moto_endpoint)
    if BUCKET not in {b["Name"] for b in client.client.list_buckets()["Buckets"]}:
        client.client.create_bucket(Bucket=BUCKET)
    return client


def test_the_jar_is_downloaded_once_per_etag(s3: CountingClient, stand_in_jar: Path, tmp_path: Path) -> None:
    s3.client.upload_file(str(stand_in_jar), BUCKET, KEY)
    first = fetch_sparknlp_jar(s3, URI, tmp_path / "jars")
    assert first.read_bytes() == stand_in_jar.read_bytes() and first.name == "spark-nlp-assembly-7.0.0.jar"
    assert s3.calls == ["head", "get"]
    assert fetch_sparknlp_jar(s3, URI, tmp_path / "jars") == first
    assert s3.calls == ["head", "get", "head"]  # a cache hit: one HEAD, no download


def test_a_replaced_jar_is_fetched_again_beside_the_old_one(s3: CountingClient, stand_in_jar: Path, tmp_path: Path) -> None:
    s3.client.upload_file(str(stand_in_jar), BUCKET, KEY)
    first = fetch_sparknlp_jar(s3, URI, tmp_path / "jars")
    newer = tmp_path / "newer.jar"
    with zipfile.ZipFile(stand_in_jar) as old, zipfile.ZipFile(newer, "w") as new:
        for item in old.infolist():
            new.writestr(item, old.read(item))
        new.writestr("NOTICE", "a new build\n")
    s3.client.upload_file(str(newer), BUCKET, KEY)
    second = fetch_sparknlp_jar(s3, URI, tmp_path / "jars")
    assert second != first and second.read_bytes() == newer.read_bytes() and first.exists()  # a task using the old keeps it


def test_an_object_that_is_not_a_jar_is_refused_and_not_cached(s3: CountingClient, tmp_path: Path) -> None:
    s3.client.put_object(Bucket=BUCKET, Key="broken/spark-nlp.jar", Body=b"<html>an error page</html>")
    with pytest.raises(ConfigError, match=r"sparknlp_jar_uri points at spark-nlp.jar, which is not a jar \(not a zip archive\)"):
        fetch_sparknlp_jar(s3, f"s3://{BUCKET}/broken/spark-nlp.jar", tmp_path / "jars")
    left = [p.relative_to(tmp_path / "jars") for p in (tmp_path / "jars").rglob("*") if p.is_file()]
    assert [p.name for p in left] == [".lock"]  # no entry, no partial download: only the lock file stays


def test_a_missing_jar_and_a_bad_uri_name_the_setting(s3: CountingClient, tmp_path: Path) -> None:
    with pytest.raises(
        SparkNlpJarFetchError, match=r"Spark NLP jar not found: s3://jars/nope.jar \(check sparknlp_jar_uri: bucket"
    ):
        fetch_sparknlp_jar(s3, "s3://jars/nope.jar", tmp_path / "jars")
    with pytest.raises(ConfigError, match=r"sparknlp_jar_uri must look like s3://bucket/path/spark-nlp.jar, got: 'https://"):
        fetch_sparknlp_jar(s3, "https://repo1.maven.org/spark-nlp.jar", tmp_path / "jars")


def connections(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, tmp_path: Path, extra: dict[str, Any]) -> None:
    """The model's S3 connection (moto), the Spark connection with ``extra``, and the data dir."""
    s3 = {"conn_type": "aws", "login": "k", "password": "s", "extra": {"endpoint_url": moto_endpoint, "region_name": "us-east-1"}}
    monkeypatch.setenv("AIRFLOW_CONN_ARXIV_MODELS_S3", json.dumps(s3))
    monkeypatch.setenv(
        "AIRFLOW_CONN_ARXIV_SPARK", json.dumps({"conn_type": "arxiv_labeler_spark", "host": "local[2]", "extra": extra})
    )
    monkeypatch.setenv("ARXIV_LABELER_DATA_DIR", str(tmp_path / "data"))


def test_the_spark_hook_puts_the_fetched_jar_in_spark_jars(
    s3: CountingClient, stand_in_jar: Path, tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.client.upload_file(str(stand_in_jar), BUCKET, KEY)
    connections(monkeypatch, moto_endpoint, tmp_path, {"sparknlp_jar_uri": URI, "sparknlp_jars": "/opt/jars/other.jar"})
    settings = SparkHook().get_settings(sparknlp=True)
    cached = next((tmp_path / "data" / "jars").rglob("spark-nlp-assembly-7.0.0.jar"))
    assert settings.sparknlp_jars == ("/opt/jars/other.jar", str(cached))
    assert settings.conf()["spark.jars"] == f"/opt/jars/other.jar,{cached}" and "spark.jars.packages" not in settings.conf()


def test_the_onnx_engine_fetches_no_jar(tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    connections(monkeypatch, moto_endpoint, tmp_path, {"sparknlp_jar_uri": "s3://jars/not-uploaded.jar"})
    settings = SparkHook().get_settings(sparknlp=False)  # would raise "not found" if it asked S3
    assert "spark.jars" not in settings.conf() and not (tmp_path / "data" / "jars").exists()


SESSION = """
from arxiv_labeler.engines.sparknlp_engine import sparknlp_available
from arxiv_labeler.hooks.spark import SparkHook
from arxiv_labeler.spark.session import start_session, stop_session

session = start_session(SparkHook().get_settings(sparknlp=True, default_driver_memory="1g"))
try:
    print("AVAILABLE=%s %s" % sparknlp_available(session))
finally:
    stop_session(session)
"""


@pytest.mark.spark
def test_a_session_with_the_jar_from_s3_loads_its_classes(
    s3: CountingClient, stand_in_jar: Path, tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.client.upload_file(str(stand_in_jar), BUCKET, KEY)
    connections(monkeypatch, moto_endpoint, tmp_path, {"sparknlp_jar_uri": URI})
    # A process of its own, as a classify task has: a JVM started earlier in this one has its class path already.
    plugins = str(Path(__file__).resolve().parents[2] / "plugins")
    env = dict(os.environ) | {"PYTHONPATH": os.pathsep.join([plugins, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", SESSION], env=env, capture_output=True, text=True, timeout=300, check=False)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("AVAILABLE=")] or [result.stderr[-3000:]]
    assert line == "AVAILABLE=True Spark NLP JVM classes load"  # found where the sparknlp engine looks
