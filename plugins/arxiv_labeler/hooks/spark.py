"""Spark settings from an Airflow Spark connection (master URL + extras), else ``local[*]``."""

from __future__ import annotations

from arxiv_labeler import settings
from arxiv_labeler.hooks.connections import optional_connection
from arxiv_labeler.spark.session import SparkSettings


def spark_master(connection: object) -> str:
    """``spark://host:port``, ``yarn``, ``k8s://...`` or ``local[...]`` from a Spark connection."""
    host = str(getattr(connection, "host", "") or "local[*]")
    port = getattr(connection, "port", None)
    if host.startswith(("local", "yarn", "k8s://")):
        return host
    if "://" not in host:
        host = f"spark://{host}"
    return f"{host}:{port}" if port else host


class SparkHook:
    """Reads master and sizing (extras ``driver_memory``, ``executor_memory``, ``conf``) from a connection."""

    def __init__(self, conn_id: str | None = settings.SPARK_CONN_ID) -> None:
        self.conn_id = conn_id

    def get_settings(self, sparknlp: bool = False, default_driver_memory: str = "2g") -> SparkSettings:
        """Spark settings from the connection, or local defaults without one.

        ``default_driver_memory`` applies when the connection's extras do not set ``driver_memory``
        (the classify operator passes a heap sized from the day's papers and the model).
        """
        connection = optional_connection(self.conn_id)
        if connection is None:
            return SparkSettings(sparknlp=sparknlp, driver_memory=default_driver_memory)
        extra = connection.extra_dejson
        return SparkSettings(
            master=spark_master(connection),
            driver_memory=str(extra.get("driver_memory", default_driver_memory)),
            executor_memory=str(extra.get("executor_memory", "2g")),
            sparknlp=sparknlp,
            sparknlp_jars=tuple(extra.get("sparknlp_jars", ())),
            extra_conf={str(k): str(v) for k, v in (extra.get("conf") or {}).items()},
        )
