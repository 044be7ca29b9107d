"""Helpers for the fault matrix's S3 faults (the moto server fixture is the project's, in tests/conftest.py)."""

from __future__ import annotations

import socket
from typing import Any

import boto3
from botocore.config import Config


def signed(endpoint: str, config: Config | None = None) -> Any:
    """A boto3 S3 client with (moto's accepted) credentials."""
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1", config=config
    )


def closed_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
