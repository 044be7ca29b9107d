"""The fault matrix: each row a fault injected through a real component and the test that injects it.

The README's table is generated from these rows (``python -m tests.reliability.matrix``) and
``test_matrix.py`` fails when the two disagree or a named test does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One row: the fault, what the pipeline does, what the operator sees, the test that proves it."""

    area: str
    fault: str
    behaviour: str
    operator_sees: str
    test: str  # path::function


R = "tests/reliability/test_faults.py"
FAULTS = [
    Fault(
        "model fetch",
        "S3 endpoint unreachable",
        "fails; the task retries with backoff",
        "`cannot reach S3 at <endpoint> for s3://b/k ... check the endpoint_url`",
        f"{R}::test_s3_unreachable_names_the_endpoint_and_what_to_check",
    ),
    Fault(
        "model fetch",
        "403 from S3",
        "fails, nothing cached",
        "`access denied to s3://b/k: check the credentials ... and the bucket's policy`",
        f"{R}::test_s3_403_names_bucket_key_and_what_to_check",
    ),
    Fault(
        "model fetch",
        "404 from S3",
        "fails, nothing cached",
        "`model not found: s3://b/k (check model_uri: bucket ..., key ...)`",
        f"{R}::test_s3_404_names_bucket_and_key",
    ),
    Fault(
        "model fetch",
        "download cut mid-body",
        "size/checksum mismatch: refused, never cached",
        "`ModelFetchError` naming the size or sha256",
        "tests/model/test_fetch.py::test_truncated_download_is_detected",
    ),
    Fault(
        "model fetch",
        "object replaced (new ETag)",
        "fetched again into a new cache entry",
        "a new model id in the logs",
        "tests/model/test_fetch.py::test_changed_object_is_fetched_again",
    ),
    Fault(
        "model fetch",
        "cache manifest corrupted",
        "entry rebuilt from S3, not trusted",
        "a warning naming the manifest",
        f"{R}::test_corrupted_cache_manifest_is_rebuilt_not_trusted",
    ),
    Fault(
        "model fetch",
        "two runs fetch a new model at once",
        "one download (file lock), both use it",
        "one `downloaded` entry",
        "tests/model/test_fetch.py::test_concurrent_fetches_download_once",
    ),
    Fault(
        "model fetch",
        "zip bomb",
        "refused before extraction",
        "`UnsafeArchiveError` with the limit",
        "tests/model/test_extract.py::test_zip_bomb_refused",
    ),
    Fault(
        "model fetch",
        "corrupt model zip",
        "refused, not cached",
        "the file and what is wrong in it",
        "tests/model/test_fetch.py::test_corrupt_model_is_refused_and_not_cached",
    ),
    Fault(
        "harvest",
        "503 and 429 with Retry-After mid-day",
        "waits as told, resumes, lands each record once",
        "a warning per wait with the URL",
        "tests/harvest/test_harvester.py::test_503_and_429_mid_harvest_are_recovered",
    ),
    Fault(
        "harvest",
        "Retry-After as seconds and as an HTTP date",
        "both honoured",
        "the wait in the log",
        "tests/harvest/test_client.py::test_retry_after_both_forms",
    ),
    Fault(
        "harvest",
        "read timeout",
        "retried",
        "a warning naming the cause",
        "tests/harvest/test_client.py::test_timeout_is_retried",
    ),
    Fault(
        "harvest",
        "HTTP 500 persisting",
        "gives up after the retries",
        "`<url>: gave up after N attempts; last: HTTP 500`",
        f"{R}::test_persistent_http_500_gives_up_with_the_url",
    ),
    Fault(
        "harvest",
        "endpoint refused / unknown host",
        "retried, then fails",
        "`attempt 1 of N ... at most S s`, then the URL and the cause",
        "tests/harvest/test_harvester.py::test_unreachable_endpoint_names_url_and_cause",
    ),
    Fault(
        "harvest",
        "a page that is not XML",
        "fails; no partition, no empty staging left",
        "`malformed OAI-PMH response from <url>`",
        f"{R}::test_page_that_is_not_xml",
    ),
    Fault(
        "harvest",
        "a truncated page mid-day",
        "fails keeping the pages so far; the retry resumes at that page",
        "`malformed OAI-PMH response from <url>`",
        "tests/harvest/test_harvester.py::test_malformed_page_fails_clearly_keeps_pages_and_retry_resumes",
    ),
    Fault(
        "harvest",
        "an OAI error other than noRecordsMatch",
        "fails without retry",
        "`OAI error badArgument: ...`",
        f"{R}::test_oai_error_other_than_no_records_match_fails_naming_the_code",
    ),
    Fault(
        "harvest",
        "resumption token expired mid-day",
        "restarts the day once, lands each record once",
        "a warning",
        "tests/harvest/test_harvester.py::test_expired_token_restarts_the_day_cleanly",
    ),
    Fault(
        "harvest",
        "external entities / billion laughs",
        "refused, never expanded",
        "`malformed OAI-PMH response ... EntitiesForbidden`",
        "tests/harvest/test_parser.py::test_billion_laughs_refused",
    ),
    Fault(
        "harvest",
        "invalid UTF-8 in a page",
        "fails; nothing landed, the record is never silently dropped",
        "`malformed OAI-PMH response ... not well-formed`",
        f"{R}::test_page_with_invalid_utf8_is_a_clear_error_not_a_silent_loss",
    ),
    Fault(
        "harvest",
        "failure before the first page",
        "no empty staging directory left",
        "the error; a clean landing",
        "tests/harvest/test_harvester.py::test_failure_before_any_page_leaves_no_staging_directory",
    ),
    Fault(
        "warehouse",
        "writer SIGKILLed mid-transaction",
        "previous state intact; the retry lands everything",
        "the task's failure; no partial rows",
        "tests/warehouse/test_warehouse.py::test_killed_writer_loses_nothing",
    ),
    Fault(
        "warehouse",
        "concurrent writers (parallel backfill runs)",
        "serialised; every row once",
        "nothing",
        "tests/warehouse/test_warehouse.py::test_concurrent_writers_for_different_intervals",
    ),
    Fault(
        "warehouse",
        "DuckDB file truncated (to 0 or mid-file)",
        "refused; no new empty warehouse over it",
        "`<file> is not a readable DuckDB database ... refusing to start a new warehouse over it`",
        f"{R}::test_truncated_duckdb_file_is_refused_not_replaced",
    ),
    Fault(
        "Airflow",
        "bad conf from the UI or API",
        "refused by the schema, or `resolve_run` fails; nothing harvested",
        "the param named",
        "tests/e2e/test_scheduler.py::test_3_bad_conf_is_refused_naming_the_param_and_harvests_nothing",
    ),
    Fault(
        "Airflow",
        "classify cleared and rerun",
        "reruns; warehouse unchanged",
        "the task's new try",
        "tests/e2e/test_scheduler.py::test_5_clearing_classify_reruns_it_and_changes_nothing",
    ),
    Fault(
        "Airflow",
        "a backfill reprocessing completed days",
        "no label row changes",
        "successful runs",
        "tests/e2e/test_scheduler.py::test_4_backfill_three_days_two_at_a_time",
    ),
]


def render() -> str:
    """The README table."""
    lines = ["| area | fault | what the pipeline does | what the operator sees | test |", "| --- | --- | --- | --- | --- |"]
    for f in FAULTS:
        path, name = f.test.split("::")
        lines.append(f"| {f.area} | {f.fault} | {f.behaviour} | {f.operator_sees} | `{path.rsplit('/', 1)[-1]}::{name}` |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
