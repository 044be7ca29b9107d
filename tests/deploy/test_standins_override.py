"""docker-compose.standins.yaml swaps images and networking only; production files keep the real images.

Fast checks without Docker: the slow end-to-end run is tests/deploy/test_compose_stack.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from include.docker import compose_stack, standin_images

PROJECT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((PROJECT / "docker-compose.yaml").read_text())
OVERRIDE = yaml.safe_load((PROJECT / "docker-compose.standins.yaml").read_text())
SERVICE_HOSTS = set(BASE["services"])


def airflow_env(compose: dict[str, Any]) -> dict[str, str]:
    return dict(compose["services"]["airflow-scheduler"].get("environment", {}))


def test_production_keeps_the_real_images() -> None:
    dockerfile = (PROJECT / "Dockerfile").read_text()
    assert "ARG AIRFLOW_BASE_IMAGE=apache/airflow:3.3.2-python3.11\nFROM ${AIRFLOW_BASE_IMAGE}\n" in dockerfile
    assert BASE["services"]["postgres"]["image"].startswith("postgres:")
    assert BASE["services"]["minio"]["image"].startswith("minio/minio")
    assert BASE["services"]["minio-init"]["image"].startswith("minio/mc")
    assert BASE["services"]["airflow-scheduler"]["image"] == "arxiv-labeler-airflow:latest"
    assert f"AIRFLOW_CONN_{'ARXIV_OAI'}" not in airflow_env(BASE)  # production harvests the real arXiv


def test_every_service_of_the_override_is_a_local_image_on_host_networking() -> None:
    for name, service in OVERRIDE["services"].items():
        assert service["network_mode"] == "host", name
        assert service["image"].startswith("arxiv-labeler"), name
    assert set(BASE["services"]) <= set(OVERRIDE["services"])


def test_standin_dockerfiles_pull_nothing() -> None:
    for dockerfile in (PROJECT / "include" / "docker" / "standins").glob("*/Dockerfile"):
        froms = re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), flags=re.MULTILINE)
        assert froms and all(image.startswith("${") for image in froms), dockerfile  # only the locally built parent


def test_every_address_in_the_merged_airflow_env_is_loopback() -> None:
    env = airflow_env(BASE) | dict(OVERRIDE["x-standin-airflow"]["environment"])
    for key, value in env.items():
        for url in re.findall(r"[a-z+]+://[^\s\"',}]+", value):
            host = urlsplit(url).hostname
            if url.startswith("s3://"):
                continue
            assert host == "127.0.0.1", f"{key}: {url}"
        assert not any(f"//{service}:" in value or f"@{service}:" in value for service in SERVICE_HOSTS), key


def test_the_helpers_loopback_addresses_are_the_override_s() -> None:
    env = OVERRIDE["x-standin-airflow"]["environment"]
    assert env["AIRFLOW__API__BASE_URL"] == compose_stack.API_URL
    assert compose_stack.WAREHOUSE_DSN in env["AIRFLOW_CONN_ARXIV_WAREHOUSE"]
    assert compose_stack.S3_ENDPOINT in env["AIRFLOW_CONN_ARXIV_MODELS_S3"]
    assert compose_stack.OAI_URL in env["AIRFLOW_CONN_ARXIV_OAI"]
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == compose_stack.PASSWORDS_FILE
    assert OVERRIDE["services"]["airflow-scheduler"]["image"] == standin_images.PROJECT_IMAGE
    assert OVERRIDE["x-standin-airflow"]["build"]["args"]["AIRFLOW_BASE_IMAGE"] == standin_images.AIRFLOW_BASE_IMAGE
    assert OVERRIDE["services"]["postgres"]["image"] == standin_images.POSTGRES_IMAGE
    assert OVERRIDE["services"]["minio"]["image"] == standin_images.S3_IMAGE


def test_the_override_s_ports_are_above_the_ephemeral_range() -> None:
    """A listening port inside 32768-60999 can be held by any outgoing connection's local end (it happened)."""
    text = (PROJECT / "docker-compose.standins.yaml").read_text()
    ports = {int(port) for port in re.findall(r"(?:127\.0\.0\.1:|-p\"?, \"|PORT: \"|--port=)(\d{4,5})", text)}
    assert {61432, 61900, 61080, 61008, 61974, 61793, 61794} <= ports
    low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    assert all(not low <= port <= high for port in ports), sorted(ports)


def test_long_running_services_all_have_healthchecks() -> None:
    for name in compose_stack.LONG_RUNNING_SERVICES:
        base = BASE["services"].get(name, {}).get("healthcheck", {})
        override = OVERRIDE["services"][name].get("healthcheck", {})
        assert "test" in base or "test" in override, name
