"""Spark NLP's jar from S3 (``sparknlp_jar_uri``), for hosts that reach S3 but not Maven: cached once per ETag."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import ConfigError, SparkNlpJarFetchError
from arxiv_labeler.object_cache import ObjectCache, ObjectKind

JAR_URI_SETTING = "sparknlp_jar_uri"  # the Spark connection's extra
JAR_KIND = ObjectKind(
    noun="Spark NLP jar",
    setting=JAR_URI_SETTING,
    error=SparkNlpJarFetchError,
    cache_hint="the Spark hook uses $ARXIV_LABELER_DATA_DIR/jars",
)
_JAR_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>\S+\.jar)$")


def parse_jar_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/path/spark-nlp.jar`` as (bucket, key).

    Raises:
        ConfigError: naming the setting, the bad value and the expected form.
    """
    match = _JAR_URI.match(uri.strip())
    if not match:
        raise ConfigError(f"{JAR_URI_SETTING} must look like s3://bucket/path/spark-nlp.jar, got: {uri!r}")
    return match.group("bucket"), match.group("key")


def check_jar(path: Path) -> None:
    """Refuse a download that is not a jar (a zip archive whose entries read back), before it is cached.

    Raises:
        ConfigError: the object at ``sparknlp_jar_uri`` is not a jar.
    """
    try:
        with zipfile.ZipFile(path) as jar:
            damaged = jar.testzip()
    except zipfile.BadZipFile:
        raise ConfigError(f"{JAR_URI_SETTING} points at {path.name}, which is not a jar (not a zip archive)") from None
    if damaged is not None:
        raise ConfigError(f"{JAR_URI_SETTING} points at {path.name}, a damaged jar (entry {damaged!r} does not read back)")


def fetch_sparknlp_jar(s3_client: Any, uri: str, cache_root: Path) -> Path:
    """The local path of the jar at ``uri``: one HEAD when cached, else downloaded, verified and cached by ETag.

    Raises:
        ConfigError: a URI that is not ``s3://.../*.jar``, or an object that is not a jar.
        SparkNlpJarFetchError: S3 unreachable, access denied, object missing, a cut download, a cache not writable.
    """
    bucket, key = parse_jar_uri(uri)
    cached = ObjectCache(s3_client, cache_root, JAR_KIND).fetch_file(bucket, key, key.rsplit("/", 1)[-1], check=check_jar)
    return Path(cached.path)
