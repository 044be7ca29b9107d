"""The local stack the demo and the end-to-end tests run on: S3 (moto server) and OAI-PMH (replay).

Both servers bind 127.0.0.1 on free ports; :meth:`LocalStack.env` gives the
Airflow connection and override variables that point the DAG at them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.devstack.airflow_objects import LOCAL_S3_KEY, LOCAL_S3_REGION, local_connections
from arxiv_labeler.devstack.oai_replay import Faults, OaiReplayServer, ReplayArchive

MODEL_BUCKET = "arxiv-models"


class LocalStack:
    """Start with ``with LocalStack(model_zip, replay_data) as stack:``; stops what it started."""

    def __init__(
        self,
        model_zip: Path,
        replay_data: Path,
        page_size: int = 100,
        oai_delay_seconds: float = 0.2,
        faults: Faults | None = None,
    ) -> None:
        self.model_zip = model_zip
        self.replay_data = replay_data
        self.page_size = page_size
        self.oai_delay_seconds = oai_delay_seconds
        self.faults = faults
        self.moto: Any = None
        self.oai: OaiReplayServer | None = None

    @property
    def s3_endpoint(self) -> str:
        """The moto server's URL."""
        host, port = self.moto.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def model_uri(self) -> str:
        """The uploaded model's s3:// URI."""
        return f"s3://{MODEL_BUCKET}/{self.model_zip.name}"

    def __enter__(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        # One log line per S3 request drowns what a person wants to read; -v (DEBUG) still shows them.
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        self.upload_model(self.model_zip)
        self.oai = OaiReplayServer(
            ReplayArchive.from_file(self.replay_data), page_size=self.page_size, faults=self.faults
        ).start()
        return self

    def s3_client(self) -> Any:
        """A boto3 client for the local S3 server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id=LOCAL_S3_KEY,
            aws_secret_access_key=LOCAL_S3_KEY,
            region_name=LOCAL_S3_REGION,
        )

    def upload_model(self, path: Path) -> str:
        """Put a model zip in the bucket; returns its s3:// URI."""
        client = self.s3_client()
        if MODEL_BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
            client.create_bucket(Bucket=MODEL_BUCKET)
        client.upload_file(str(path), MODEL_BUCKET, path.name)
        return f"s3://{MODEL_BUCKET}/{path.name}"

    def env(self, data_dir: Path) -> dict[str, str]:
        """Environment for an Airflow process (or dag.test) to use this stack."""
        assert self.oai is not None
        return local_connections(self.s3_endpoint, self.oai.url, self.oai_delay_seconds) | {
            settings.ENV_MODEL_URI: self.model_uri,
            settings.ENV_DATA_DIR: str(data_dir),
            settings.ENV_TASK_RETRIES: "0",
        }

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.oai is not None:
            self.oai.stop()
        if self.moto is not None:
            self.moto.stop()
