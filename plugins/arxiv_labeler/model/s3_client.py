"""The boto3 S3 client for model zips outside an Airflow connection: signed with credentials, else anonymous."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def s3_client() -> Any:
    """A boto3 S3 client: signed when the environment has AWS credentials, unsigned otherwise.

    Unsigned reads serve public buckets such as the published model's; ``AWS_ENDPOINT_URL``
    (boto3's own setting) points the client at MinIO, moto or SeaweedFS.
    """
    import boto3

    session = boto3.session.Session()
    if session.get_credentials() is not None:
        return session.client("s3")
    from botocore import UNSIGNED
    from botocore.config import Config

    log.info("no AWS credentials: anonymous (unsigned) S3 reads")
    return session.client("s3", config=Config(signature_version=UNSIGNED))
