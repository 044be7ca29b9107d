"""Spark settings from an Airflow Spark connection (master URL + extras), else ``local[*]``."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from arxiv_labeler import settings
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.hooks.connections import connection_extras, optional_connection
from arxiv_labeler.hooks.model_store import ModelStoreHook
from arxiv_labeler.spark.session import SparkSettings
from arxiv_labeler.spark.sparknlp_jar import JAR_URI_SETTING, fetch_sparknlp_jar


def spark_master(connection: object) -> str:
    """``spark://host:port``, ``yarn``, ``k8s://...`` or ``local[...]`` from a Spark connection."""
    host = str(getattr(connection, "host", "") or "local[*]")
    port = getattr(connection, "port", None)
    if host.startswith(("local", "yarn", "k8s://")):
        return host
    if "://" not in host:
        host = f"spark://{host}"
    return f"{host}:{port}" if port else host


def jar_list(value: Any) -> tuple[str, ...]:
    """``sparknlp_jars`` as given: a JSON list, or (from the connection form) one string of comma-separated paths.

    Raises:
        ConfigError: neither a list nor a string.
    """
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part) for part in value)
    raise ConfigError(f"sparknlp_jars must be a list of jar paths or a comma-separated string, got {value!r}")


class SparkHook(BaseHook):
    """Reads master and sizing (extras ``driver_memory``, ``executor_memory``, ``conf``) from a connection.

    The connection is of type ``arxiv_labeler_spark`` (a form with those fields) or ``spark``. With the
    sparknlp engine, ``sparknlp_jars`` (local paths or URLs) and ``sparknlp_jar_uri`` (an ``s3://`` jar,
    read through the model's S3 connection and cached by ETag under ``$ARXIV_LABELER_DATA_DIR/jars``)
    give Spark NLP's jar to hosts without Maven.
    """

    conn_name_attr = "conn_id"
    default_conn_name = settings.SPARK_CONN_ID
    conn_type = settings.SPARK_CONN_TYPE
    hook_name = "Spark (arxiv-labeler)"

    def __init__(
        self, conn_id: str | None = settings.SPARK_CONN_ID, aws_conn_id: str | None = settings.MODEL_S3_CONN_ID, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.aws_conn_id = aws_conn_id

    def get_settings(self, sparknlp: bool = False, default_driver_memory: str = "2g") -> SparkSettings:
        """Spark settings from the connection, or local defaults without one.

        ``default_driver_memory`` applies when the connection's extras do not set ``driver_memory``
        (the classify operator passes a heap sized from the day's papers and the model).

        Raises:
            ConfigError: a bad ``sparknlp_jars`` or ``sparknlp_jar_uri``, or an object there that is not a jar.
            SparkNlpJarFetchError: the jar at ``sparknlp_jar_uri`` could not be fetched (the task's retry may).
        """
        connection = optional_connection(self.conn_id)
        if connection is None:
            return SparkSettings(sparknlp=sparknlp, driver_memory=default_driver_memory)
        extra = connection_extras(connection)
        jars = jar_list(extra.get("sparknlp_jars", ()))
        if sparknlp and extra.get(JAR_URI_SETTING):  # only the sparknlp engine puts the jar on the classpath
            jars += (str(self.fetch_jar(str(extra[JAR_URI_SETTING]))),)
        return SparkSettings(
            master=spark_master(connection),
            driver_memory=str(extra.get("driver_memory", default_driver_memory)),
            executor_memory=str(extra.get("executor_memory", "2g")),
            sparknlp=sparknlp,
            sparknlp_jars=jars,
            extra_conf={str(k): str(v) for k, v in (extra.get("conf") or {}).items()},
        )

    def fetch_jar(self, uri: str) -> str:
        """The local path of Spark NLP's jar at ``uri`` (``s3://``), fetched with the model's S3 connection."""
        s3 = ModelStoreHook(self.aws_conn_id).get_client()
        return str(fetch_sparknlp_jar(s3, uri, settings.sparknlp_jar_cache_dir()))
