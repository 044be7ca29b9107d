#!/opt/moto/bin/python
"""Create the model bucket and put model zips in it: what the production `mc` init service does, for moto.

    s3-init --endpoint http://127.0.0.1:61900 --bucket arxiv-models [--upload /models/model.zip ...]

The stand-in S3 keeps objects in memory, so this runs at every start of the stack; the same
bytes get the same ETag, so the pipeline's model cache (keyed by ETag) still hits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3


def main(argv: list[str] | None = None) -> int:
    """Create ``--bucket`` if absent and upload every ``--upload`` file under its own name."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--upload", type=Path, action="append", default=[], metavar="FILE")
    parser.add_argument("--access-key", default="minioadmin")
    parser.add_argument("--secret-key", default="minioadmin")
    args = parser.parse_args(argv)

    missing = [str(path) for path in args.upload if not path.is_file()]
    if missing:
        print(f"s3-init: error: not found: {', '.join(missing)} (build the demo model: make demo-model)", file=sys.stderr)
        return 2
    client = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret_key,
        region_name="us-east-1",
    )
    if args.bucket not in {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=args.bucket)
        print(f"s3-init: created bucket {args.bucket}")
    for path in args.upload:
        client.upload_file(str(path), args.bucket, path.name)
        etag = client.head_object(Bucket=args.bucket, Key=path.name)["ETag"]
        print(f"s3-init: put s3://{args.bucket}/{path.name} ({path.stat().st_size} bytes, ETag {etag})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
