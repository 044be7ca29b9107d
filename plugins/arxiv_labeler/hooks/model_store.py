"""S3 access for model zips: an Airflow AWS connection, or anonymous reads of a public bucket."""

from __future__ import annotations

import logging
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.hooks.connections import optional_connection

log = logging.getLogger(__name__)


class ModelStoreHook:
    """Builds the boto3 S3 client the model fetcher uses.

    With the connection defined, this is the amazon provider's ``S3Hook`` (so
    ``endpoint_url`` in the extra serves MinIO, moto, SeaweedFS). Without it,
    the environment's credentials sign requests, or an unsigned client reads
    public buckets such as the published model's (one decision: ``model.s3_client``).
    """

    def __init__(self, aws_conn_id: str | None = settings.MODEL_S3_CONN_ID) -> None:
        self.aws_conn_id = aws_conn_id

    def get_client(self) -> Any:
        """A boto3 S3 client."""
        if optional_connection(self.aws_conn_id) is not None:
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            return S3Hook(aws_conn_id=self.aws_conn_id).get_conn()
        from arxiv_labeler.model.s3_client import s3_client

        log.info("no connection %r: S3 client from the environment", self.aws_conn_id)
        return s3_client()
