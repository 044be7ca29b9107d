"""docker-compose.yaml cannot run here (no Docker engine): check it parses and agrees with the code."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from arxiv_labeler import settings

PROJECT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((PROJECT / "docker-compose.yaml").read_text())


def airflow_env() -> dict[str, str]:
    return COMPOSE["services"]["airflow-scheduler"]["environment"]


def test_services_of_an_airflow_3_deployment() -> None:
    services = set(COMPOSE["services"])
    assert {
        "postgres",
        "minio",
        "minio-init",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    } <= services
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert COMPOSE["services"][name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert airflow_env()["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"


def test_connection_ids_are_the_ones_the_code_reads() -> None:
    env = airflow_env()
    for conn_id in (settings.MODEL_S3_CONN_ID, settings.WAREHOUSE_CONN_ID, settings.SPARK_CONN_ID):
        assert f"AIRFLOW_CONN_{conn_id.upper()}" in env
    s3 = json.loads(env["AIRFLOW_CONN_ARXIV_MODELS_S3"])
    assert s3["conn_type"] == "aws" and s3["extra"]["endpoint_url"] == "http://minio:9000"
    assert env["AIRFLOW_CONN_ARXIV_WAREHOUSE"].startswith("postgresql://warehouse:warehouse@postgres:5432/arxiv")
    assert f"AIRFLOW_CONN_{settings.OAI_CONN_ID.upper()}" not in env  # production: the real arXiv endpoint


def test_env_vars_are_the_ones_the_code_reads() -> None:
    env = airflow_env()
    assert settings.ENV_DATA_DIR in env and settings.ENV_MODEL_URI in env
    bucket = env[settings.ENV_MODEL_URI].removeprefix("s3://").split("/")[0]
    assert f"local/{bucket}" in COMPOSE["services"]["minio-init"]["entrypoint"]  # the bucket is created at start


def test_pool_created_by_init_is_the_harvest_pool() -> None:
    assert f"airflow pools set {settings.OAI_POOL} 1" in COMPOSE["services"]["airflow-init"]["command"]


def test_image_has_java_and_the_locked_requirements() -> None:
    dockerfile = (PROJECT / "Dockerfile").read_text()
    assert "openjdk-17-jre-headless" in dockerfile and "JAVA_HOME" in dockerfile
    assert "pip install --no-cache-dir -r /opt/airflow/requirements.txt" in dockerfile
    assert "apache/airflow:3.3.2" in dockerfile
    # the driver's class archive is recorded at build time, by the user the tasks run as, once the package is in place
    assert dockerfile.index("COPY --chown=airflow:root plugins/") < dockerfile.index("arxiv_labeler spark-class-archive")
    assert dockerfile.rindex("USER airflow") < dockerfile.index("arxiv_labeler spark-class-archive")


def test_warehouse_database_is_created() -> None:
    init = (PROJECT / "include" / "docker" / "postgres-init.sql").read_text()
    assert "CREATE DATABASE arxiv OWNER warehouse" in init
