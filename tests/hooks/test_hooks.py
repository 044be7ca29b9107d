"""The hooks read the provider's connection types and the older ones alike; a form's empty fields mean the defaults."""

from __future__ import annotations

import json

import pytest
from arxiv_labeler.devstack.oai_replay import OaiReplayServer, ReplayArchive
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.hooks.oai import OaiHook
from arxiv_labeler.hooks.spark import SparkHook, jar_list

from tests.conftest import DEMO_JSONL
from tests.reliability.conftest import closed_port

OAI_EXTRAS = {"delay_seconds": 0.5, "read_timeout": 30, "max_retries": 2, "backoff_seconds": 1, "max_backoff_seconds": None}


def set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, connection: dict) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))


@pytest.mark.parametrize("conn_type", ["arxiv_oai_pmh", "http"])
def test_the_oai_connection_of_either_type_gives_the_same_client(monkeypatch: pytest.MonkeyPatch, conn_type: str) -> None:
    # max_backoff_seconds None and read_timeout "" are what a form saves for a field left empty
    extras = OAI_EXTRAS | {"read_timeout": "" if conn_type == "arxiv_oai_pmh" else 30}
    set_connection(monkeypatch, "arxiv_oai", {"conn_type": conn_type, "host": "http://127.0.0.1:9/oai", "extra": extras})
    client = OaiHook("arxiv_oai").get_client()
    assert client.endpoint == "http://127.0.0.1:9/oai" and client.delay_seconds == 0.5
    assert client.timeout == (10.0, 120.0 if conn_type == "arxiv_oai_pmh" else 30.0)  # empty: the default
    assert (client.retry.max_retries, client.retry.backoff_seconds, client.retry.max_backoff_seconds) == (2, 1.0, 600.0)


def test_a_mistyped_oai_extra_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(monkeypatch, "arxiv_oai", {"conn_type": "http", "host": "http://127.0.0.1:9/oai", "extra": {"delay": 5}})
    with pytest.raises(ConfigError, match=r"unknown OAI client options \['delay'\]"):
        OaiHook("arxiv_oai").get_client()


def test_the_test_button_asks_identify_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with OaiReplayServer(ReplayArchive.from_file(DEMO_JSONL)) as server:
        set_connection(
            monkeypatch, "arxiv_oai", {"conn_type": "arxiv_oai_pmh", "host": server.url, "extra": {"delay_seconds": 0}}
        )
        ok, message = OaiHook("arxiv_oai").test_connection()
        assert ok, message
        assert message.startswith(f"{server.url}: ") and "earliestDatestamp" in message
        assert server.log.queries == ["verb=Identify"]


def test_the_test_button_names_an_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{closed_port()}/oai"
    set_connection(monkeypatch, "arxiv_oai", {"conn_type": "arxiv_oai_pmh", "host": url, "extra": {"max_retries": 5}})
    ok, message = OaiHook("arxiv_oai").test_connection()
    assert not ok and url in message and "connection refused" in message  # at once: the test does not retry


@pytest.mark.parametrize("conn_type", ["arxiv_labeler_spark", "spark"])
def test_the_spark_connection_of_either_type_gives_the_same_settings(monkeypatch: pytest.MonkeyPatch, conn_type: str) -> None:
    extra = {
        "driver_memory": "",  # left empty in the form: sized from the job
        "executor_memory": "4g",
        "sparknlp_jars": "/opt/jars/spark-nlp.jar, /opt/jars/extra.jar"
        if conn_type == "arxiv_labeler_spark"
        else ["/opt/jars/spark-nlp.jar", "/opt/jars/extra.jar"],
        "sparknlp_jar_uri": None,
        "conf": {"spark.executor.cores": 2},
    }
    set_connection(monkeypatch, "arxiv_spark", {"conn_type": conn_type, "host": "spark://10.0.0.5", "port": 7077, "extra": extra})
    spark = SparkHook("arxiv_spark").get_settings(sparknlp=True, default_driver_memory="1280m")
    assert (spark.master, spark.driver_memory, spark.executor_memory) == ("spark://10.0.0.5:7077", "1280m", "4g")
    assert spark.sparknlp_jars == ("/opt/jars/spark-nlp.jar", "/opt/jars/extra.jar")
    assert spark.conf()["spark.jars"] == "/opt/jars/spark-nlp.jar,/opt/jars/extra.jar"
    assert spark.conf()["spark.executor.cores"] == "2"


def test_jar_lists() -> None:
    assert jar_list("") == () and jar_list(["a.jar"]) == ("a.jar",) and jar_list("a.jar,,b.jar ") == ("a.jar", "b.jar")
    with pytest.raises(ConfigError, match="sparknlp_jars must be a list of jar paths or a comma-separated string, got 3"):
        jar_list(3)
