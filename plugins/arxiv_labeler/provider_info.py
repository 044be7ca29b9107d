"""What Airflow learns about arxiv-labeler as a provider (the ``apache_airflow_provider`` entry point).

``airflow providers list`` shows the package, ``airflow providers hooks`` and the UI's connection
form its two connection types: ``arxiv_oai_pmh`` (a field per OAI client option) and
``arxiv_labeler_spark`` (master, sizing, Spark NLP's jars). The older types keep working: the hooks
read ``arxiv_oai`` as an ``http`` connection and ``arxiv_spark`` as a ``spark`` one just the same.
Imported by every Airflow process that lists providers: it imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

from arxiv_labeler import settings

PACKAGE_NAME = "arxiv-labeler"
INTEGRATION = "arXiv labeler"

# The OAI client's options as form fields: label, description, lowest value. Keyed like
# harvest.client.OAI_CLIENT_OPTIONS, which decides their types (a test keeps the two in step).
OAI_FIELDS: dict[str, tuple[str, str, float]] = {
    "delay_seconds": (
        "Seconds between requests",
        "At least 3 (arXiv's terms); lower only against a loopback replay server. Empty: 3.",
        0,
    ),
    "read_timeout": ("Read timeout (s)", "How long one page may take to arrive. Empty: 120.", 1),
    "max_retries": ("Retries per request", "For timeouts, lost connections, 429 and 5xx answers. Empty: 5.", 0),
    "backoff_seconds": ("First backoff (s)", "The wait before the first retry; it doubles each time. Empty: 10.", 0),
    "max_backoff_seconds": (
        "Longest backoff (s)",
        "Caps the doubling, and the longest Retry-After the task waits before failing. Empty: 600.",
        0,
    ),
}

SPARK_FIELDS: dict[str, dict[str, Any]] = {
    "driver_memory": {
        "label": "Driver memory",
        "description": "e.g. 4g. Empty: sized from the day's papers and the model (at least 1g).",
        "schema": {"type": ["string", "null"], "pattern": r"^[0-9]+[kKmMgGtT]?$"},
    },
    "executor_memory": {
        "label": "Executor memory",
        "description": "On a cluster, e.g. 4g (about 1g per core for the onnx engine). Empty: 2g.",
        "schema": {"type": ["string", "null"], "pattern": r"^[0-9]+[kKmMgGtT]?$"},
    },
    "sparknlp_jars": {
        "label": "Spark NLP jars",
        "description": "engine=sparknlp without Maven: comma-separated local paths or URLs of the jar(s).",
        "schema": {"type": ["string", "null"]},
    },
    "sparknlp_jar_uri": {
        "label": "Spark NLP jar on S3",
        "description": "engine=sparknlp without Maven: s3://bucket/path/spark-nlp.jar, read with the arxiv_models_s3 "
        "connection and cached by ETag under $ARXIV_LABELER_DATA_DIR/jars.",
        "schema": {"type": ["string", "null"], "pattern": r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/\S+\.jar$"},
    },
}


def oai_conn_fields() -> dict[str, dict[str, Any]]:
    """The OAI-PMH connection's form fields, typed as the client converts them (``OAI_CLIENT_OPTIONS``)."""
    from arxiv_labeler.harvest.client import OAI_CLIENT_OPTIONS

    fields = {}
    for name, kind in OAI_CLIENT_OPTIONS.items():
        label, description, minimum = OAI_FIELDS[name]
        json_type = "integer" if kind is int else "number"
        fields[name] = {"label": label, "description": description, "schema": {"type": [json_type, "null"], "minimum": minimum}}
    return fields


def get_provider_info() -> dict[str, Any]:
    """The provider's metadata, in the form of Airflow's ``provider_info.schema.json``."""
    return {
        "package-name": PACKAGE_NAME,
        "name": INTEGRATION,
        "description": "Labels each day's new arXiv papers: a Spark NLP DistilBERT model from S3, OAI-PMH harvests, "
        "Spark classification, a DuckDB or PostgreSQL warehouse, and a labels page in Airflow's UI.",
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://info.arxiv.org/help/oa/index.html",
                "tags": ["service"],
            }
        ],
        "operators": [{"integration-name": INTEGRATION, "python-modules": ["arxiv_labeler.operators"]}],
        "hooks": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "arxiv_labeler.hooks.oai",
                    "arxiv_labeler.hooks.spark",
                    "arxiv_labeler.hooks.model_store",
                    "arxiv_labeler.hooks.warehouse",
                ],
            }
        ],
        "connection-types": [
            {
                "connection-type": settings.OAI_CONN_TYPE,
                "hook-class-name": "arxiv_labeler.hooks.oai.OaiHook",
                "hook-name": "arXiv OAI-PMH",
                "conn-fields": oai_conn_fields(),
                "ui-field-behaviour": {
                    # Every option has its field, and the hook refuses unknown extras: no free JSON to mistype.
                    "hidden-fields": ["schema", "login", "password", "port", "extra"],
                    "relabeling": {"host": "Base URL"},
                    "placeholders": {"host": settings.ARXIV_OAI_ENDPOINT},
                },
            },
            {
                "connection-type": settings.SPARK_CONN_TYPE,
                "hook-class-name": "arxiv_labeler.hooks.spark.SparkHook",
                "hook-name": "Spark (arxiv-labeler)",
                "conn-fields": SPARK_FIELDS,
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login", "password"],
                    "relabeling": {"host": "Master"},
                    "placeholders": {
                        "host": "local[*], spark://host, yarn or k8s://https://host:6443",
                        "port": "7077 (standalone master)",
                        "extra": '{"conf": {"spark.executor.cores": "2"}}',
                    },
                },
            },
        ],
        "extra-links": ["arxiv_labeler.ui.links.ArxivLabelsLink"],
        "plugins": [{"name": "arxiv_labeler", "plugin-class": "arxiv_labeler.airflow_plugin.ArxivLabelerPlugin"}],
    }
