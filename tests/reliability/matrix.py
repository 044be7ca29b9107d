"""The fault matrix: each row a fault injected through a real component and the test that injects it.

The README's table is generated from these rows (``python -m tests.reliability.matrix``) and
``test_matrix.py`` fails when the two disagree or a named test does not exist.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fault:
    """One row: the fault, what the pipeline does, what the operator sees, the test that proves it."""

    area: str
    fault: str
    behaviour: str
    operator_sees: str
    test: str  # path::function


FAULTS = [
    Fault(
        "model fetch",
        "S3 endpoint unreachable",
        "fails; the task retries with backoff",
        "`cannot reach S3 at <endpoint> for s3://b/k ... check the endpoint_url`",
        "tests/reliability/test_model_fetch_faults.py::test_s3_unreachable_names_the_endpoint_and_what_to_check",
    ),
    Fault(
        "model fetch",
        "403 from S3",
        "fails, nothing cached",
        "`access denied to s3://b/k: check the credentials ... and the bucket's policy`",
        "tests/reliability/test_model_fetch_faults.py::test_s3_403_names_bucket_key_and_what_to_check",
    ),
    Fault(
        "model fetch",
        "404 from S3",
        "fails, nothing cached",
        "`model not found: s3://b/k (check model_uri: bucket ..., key ...)`",
        "tests/reliability/test_model_fetch_faults.py::test_s3_404_names_bucket_and_key",
    ),
    Fault(
        "model fetch",
        "503 SlowDown, then success",
        "retried by botocore's default retries (the hook's client), then fetched",
        "nothing: the model is fetched",
        "tests/reliability/test_model_fetch_faults.py::test_s3_503_then_success_is_retried",
    ),
    Fault(
        "model fetch",
        "download cut mid-body (connection reset)",
        "refused, never cached; the retry downloads it whole",
        "`download of s3://b/k cut after N of M bytes (...); nothing cached`",
        "tests/reliability/test_model_fetch_faults.py::test_download_cut_mid_body_is_never_cached_and_the_retry_completes",
    ),
    Fault(
        "model fetch",
        "object replaced between HEAD and GET",
        "GET with If-Match is refused (412); fetched again under the new ETag, never a mixed cache entry",
        "a warning: `... was replaced after its HEAD ...; fetching the new version`",
        "tests/reliability/test_model_fetch_faults.py::test_object_replaced_between_head_and_get_is_fetched_again_never_mixed",
    ),
    Fault(
        "model fetch",
        "cache directory read-only (read-only mount)",
        "cache hits still served; a new model fails before any download is kept",
        "`model cache <dir> is not writable (Read-only file system ...); give the task a writable cache directory ...`",
        "tests/reliability/test_model_fetch_faults.py::test_read_only_cache_serves_hits_and_names_itself_for_a_new_model",
    ),
    Fault(
        "model fetch",
        "ONNX graph onnxruntime cannot load (unknown operator)",
        "refused at fetch, before any harvest; not cached",
        "`s3://b/k: ...: onnxruntime <version> cannot load the ONNX graph: <onnxruntime's message>`",
        "tests/reliability/test_model_fetch_faults.py::test_onnx_graph_onnxruntime_cannot_load_is_refused_naming_the_model",
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
        "tests/reliability/test_model_fetch_faults.py::test_corrupted_cache_manifest_is_rebuilt_not_trusted",
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
        "an inner zip nested 20 deep (64 MiB at its core) inside the model zip",
        "only the outer zip is unpacked (declared and actual sizes checked); the inner one is never opened",
        "nothing: the model loads",
        "tests/reliability/test_model_fetch_faults.py::test_a_deeply_nested_inner_zip_is_never_expanded",
    ),
    Fault(
        "model fetch",
        "corrupt model zip",
        "refused, not cached",
        "the file and what is wrong in it",
        "tests/model/test_fetch.py::test_corrupt_model_is_refused_and_not_cached",
    ),
    Fault(
        "model input",
        "a zip bomb entry (60 MB of zeros in 60 KB)",
        "refused from the zip's headers before anything is inflated or written out",
        "`... inflates N bytes to M (more than 100x); refusing a possible zip bomb`",
        "tests/reliability/test_model_input_faults.py::test_a_zip_bomb_entry_is_refused_from_its_headers_before_anything_is_inflated",
    ),
    Fault(
        "model input",
        "10,001 entries",
        "refused before any entry is read",
        "`N entries, more than the 10000 a model zip may hold`",
        "tests/reliability/test_model_input_faults.py::test_too_many_entries_are_refused",
    ),
    Fault(
        "model input",
        "a character-device entry",
        "refused (also FIFOs and sockets)",
        "`refusing device, FIFO or socket entry '<entry>' (mode crw-...)`",
        "tests/reliability/test_model_input_faults.py::test_a_device_file_entry_is_refused",
    ),
    Fault(
        "model input",
        "a symbolic link, a climbing path, read by inspect or classify (not only fetch)",
        "refused on every path, not only at extraction",
        "`refusing symbolic link entry ...`, `refusing entry with '..' ...`",
        "tests/reliability/test_model_input_faults.py::test_a_symbolic_link_and_a_climbing_path_are_refused",
    ),
    Fault(
        "model input",
        "the graph's inner zip holding a bomb",
        "the inner zip is held to the same limits",
        "`...distilbert_classification_onnx: entry 'padding.bin' inflates ...`",
        "tests/reliability/test_model_input_faults.py::test_the_inner_graph_zip_is_held_to_the_same_limits",
    ),
    Fault(
        "model input",
        "a fields array declaring 2^31 elements",
        "refused from the length field, nothing allocated",
        "`cannot read feature 'vocabulary': array of 2147483647 elements declared with 0 bytes left`",
        "tests/reliability/test_model_input_faults.py::test_an_array_length_of_2_to_the_31_fails_at_once_without_allocating",
    ),
    Fault(
        "model input",
        "a SequenceFile record with a negative key length",
        "refused (it could loop back over the file)",
        "`key of -8 bytes in a record of 12 ...`",
        "tests/reliability/test_model_input_faults.py::test_a_negative_key_length_in_a_sequence_file_is_refused_not_looped_over",
    ),
    Fault(
        "model input",
        "arrays nested 200 deep in a fields file",
        "refused at depth 64, before the interpreter's stack runs out",
        "`objects nested more than 64 deep`",
        "tests/reliability/test_model_input_faults.py::test_arrays_nested_past_any_model_s_depth_are_refused",
    ),
    Fault(
        "model input",
        'metadata params mistyped (`"128"`, 0, 513, `"false"`, `relu`, 1.5, `true`)',
        "each refused as Spark NLP types it",
        "`param maxSentenceLength must be an int in 1..512, got 513` (and the like)",
        "tests/reliability/test_model_input_faults.py::test_metadata_params_are_typed_as_spark_nlp_types_them",
    ),
    Fault(
        "model input",
        "an operator from a custom-op library",
        "refused before onnxruntime loads it",
        "`uses operator 'X' of domain 'com.example.customops', which needs a custom-op library`",
        "tests/reliability/test_model_input_faults.py::test_an_operator_from_a_custom_op_library_is_refused_naming_its_domain",
    ),
    Fault(
        "model input",
        "external data at `../../weights.bin`, `/etc/passwd`, a missing file",
        "refused (they used to resolve against the task's working directory)",
        "`the ONNX graph stores tensors in '<location>', outside the model's own directory`",
        "tests/reliability/test_model_input_faults.py::test_external_data_outside_the_model_is_refused",
    ),
    Fault(
        "model input",
        "external data inside the model's inner zip",
        "accepted, inlined once, scores equal the one-file graph",
        "nothing: the model runs",
        "tests/reliability/test_model_input_faults.py::test_external_data_inside_the_model_is_used_and_scores_as_the_inline_graph",
    ),
    Fault(
        "model input",
        "3 logits and 4 labels",
        "refused (one run of the graph on three tokens)",
        "`the graph gives 3 logits per document but the model has 4 labels`",
        "tests/reliability/test_model_input_faults.py::test_logits_wider_or_narrower_than_the_labels_are_refused",
    ),
    Fault(
        "model input",
        "a vocabulary larger than the embedding matrix",
        "refused (ids past the matrix would fail in every worker)",
        "`the vocabulary has ids up to N but the embedding matrix only M rows`",
        "tests/reliability/test_model_input_faults.py::test_a_vocabulary_larger_than_the_embedding_matrix_is_refused",
    ),
    Fault(
        "model input",
        "graph inputs the engine cannot feed (a float attention mask)",
        "refused",
        "`graph inputs ['attention_mask'] must be int64 tensors`",
        "tests/reliability/test_model_input_faults.py::test_inputs_the_engine_cannot_feed_are_refused",
    ),
    Fault(
        "model input",
        "such a model in S3",
        "refused by the fetch, never cached",
        "`s3://b/k: ...`: the model named first",
        "tests/reliability/test_model_input_faults.py::test_fetch_refuses_it_before_caching",
    ),
    Fault(
        "model input",
        "such a local zip given to `model inspect` or `classify`",
        "refused in one line before Spark starts",
        "`arxiv-labeler classify: error: ...`",
        "tests/reliability/test_model_input_faults.py::test_inspect_and_classify_refuse_a_local_zip_in_one_line_before_spark",
    ),
    Fault(
        "model input",
        "`model package` writing such a zip",
        "the zip is checked and removed",
        "`arxiv-labeler model: error: ...`",
        "tests/reliability/test_model_input_faults.py::test_package_removes_a_zip_that_fails_the_check",
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
        "Retry-After longer than the task may wait",
        "fails at once (one request, no loop of shortened waits); the task's retry comes back later",
        "`HTTP 503 asks to wait 3600 s (Retry-After '3600'), longer than this task waits (600 s, max_backoff_seconds)`",
        "tests/reliability/test_harvest_faults.py::test_retry_after_longer_than_the_task_waits_fails_naming_the_wait",
    ),
    Fault(
        "harvest",
        "connection reset mid-page",
        "the page is asked again; each record lands once",
        "a warning: `connection cut mid-answer (incomplete body)`",
        "tests/reliability/test_harvest_faults.py::test_connection_reset_mid_page_is_retried_and_lands_each_record_once",
    ),
    Fault(
        "harvest",
        "a 100 MB page (no Content-Length)",
        "refused past max_page_bytes (64 MiB), memory bounded by the limit",
        "`answer refused, more than 67108864 bytes were sent; the limit is ... (max_page_bytes ...)`",
        "tests/reliability/test_harvest_faults.py::test_100_mb_page_is_refused_with_bounded_memory",
    ),
    Fault(
        "harvest",
        "a page declaring more than the limit",
        "refused before reading the body",
        "`answer refused, it declares N bytes; the limit is M bytes per page`",
        "tests/reliability/test_harvest_faults.py::test_declared_oversized_page_is_refused_before_reading",
    ),
    Fault(
        "harvest",
        "task SIGKILLed after page 37 of a 10,000-record day (100 pages)",
        "the retry resumes with the checkpointed token at the next page; 10,000 records, each once",
        "`resuming <day> from page N`",
        "tests/reliability/test_harvest_faults.py::test_harvest_killed_after_page_k_of_a_10000_record_day_resumes_at_page_k",
    ),
    Fault(
        "harvest",
        "task SIGKILLed on day 4 (page 2) of a 5-day interval, then retried",
        "the retry (same run id) skips the 3 days the killed try landed (the run's manifest in _staging/) and resumes "
        "day 4 at its checkpointed page: 10 ListRecords instead of 28; a new run of the interval requests all 30",
        "`<day> already landed by this run (run-<hash>.json): not requested again`",
        "tests/reliability/test_harvest_faults.py::test_harvest_task_killed_on_day_4_of_5_is_retried_without_the_3_finished_days",
    ),
    Fault(
        "harvest",
        "an interval wholly before earliestDatestamp or after today",
        "empty: zero records, a success, no ListRecords request",
        "`interval 1970-01-01..1970-01-02 is empty: it ends before the repository's earliestDatestamp 2005-09-16`",
        "tests/harvest/test_harvester.py::test_an_interval_wholly_outside_the_repository_range_is_empty",
    ),
    Fault(
        "harvest",
        "HTTP 500 persisting",
        "gives up after the retries",
        "`<url>: gave up after N attempts; last: HTTP 500`",
        "tests/reliability/test_harvest_faults.py::test_persistent_http_500_gives_up_with_the_url",
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
        "tests/reliability/test_harvest_faults.py::test_page_that_is_not_xml",
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
        "tests/reliability/test_harvest_faults.py::test_oai_error_other_than_no_records_match_fails_naming_the_code",
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
        "tests/reliability/test_harvest_faults.py::test_page_with_invalid_utf8_is_a_clear_error_not_a_silent_loss",
    ),
    Fault(
        "harvest",
        "failure before the first page",
        "no empty staging directory left",
        "the error; a clean landing",
        "tests/harvest/test_harvester.py::test_failure_before_any_page_leaves_no_staging_directory",
    ),
    Fault(
        "classify",
        "a Python worker SIGKILLed mid-stage",
        "Spark retries the task (local masters run as local[N,4]); every paper labeled once",
        "a lost-task warning in the Spark log; the task succeeds",
        "tests/reliability/test_classify_faults.py::test_python_worker_killed_mid_stage_is_retried_and_every_paper_is_labeled_once",
    ),
    Fault(
        "classify",
        "a Python worker killed with no task retries left",
        "the job fails; nothing published",
        "`the classify job failed: a Python worker died (killed, or out of memory) ...; nothing was published at <path>`",
        "tests/reliability/test_classify_faults.py::test_without_task_retries_a_killed_worker_fails_the_job_naming_the_cause",
    ),
    Fault(
        "classify",
        "an out-of-memory driver (360 MB of text in a 480 MB heap)",
        "the JVM dies (exit code 52); the job's error is kept (the session's stop tolerates the dead JVM), "
        "nothing published; the retry with the heap the task sizes from the landed text (driver_memory_for) "
        "labels every paper once",
        "`the classify job failed: the Spark JVM ran out of memory (java.lang.OutOfMemoryError): raise driver_memory "
        "... in the arxiv_spark connection's extras (the JVM exited with code 52)`",
        "tests/reliability/test_classify_faults.py::"
        "test_out_of_memory_driver_names_the_setting_and_the_retry_with_more_memory_completes",
    ),
    Fault(
        "classify",
        "the whole task SIGKILLed mid-write",
        "no output published (written beside it, swapped in when complete); the rerun clears the leftover and publishes all",
        "the task's failure",
        "tests/reliability/test_classify_faults.py::test_task_killed_mid_write_publishes_nothing_and_the_rerun_publishes_all",
    ),
    Fault(
        "classify",
        "the same interval classified by two runs at once",
        "each write holds a lock on its staging directory (only dead writers' leftovers are removed); swaps wait for "
        "loads reading the output, so a load reads one whole output, never a directory being replaced",
        "nothing",
        "tests/classify/test_labeled_output.py::test_loads_read_one_whole_output_while_two_runs_keep_publishing",
    ),
    Fault(
        "classify",
        "a second run of the interval starting while the first claims its staging directory",
        "claiming (creating and locking the write's lock file) and the search for dead writers' leftovers take turns "
        "on a claims lock, so a lock file created but not yet locked is never taken for a leftover (it was: one run "
        "removed the other's staging directory mid-write, 8 times in 40 under stress)",
        "nothing",
        "tests/classify/test_labeled_output.py::test_a_write_being_claimed_is_not_taken_for_a_leftover",
    ),
    Fault(
        "classify",
        "disk full while writing the labeled Parquet (48 KB tmpfs)",
        "fails; no partition, no partial files; the retry with room completes",
        "`the classify job failed: no space left on device: free space there or point ARXIV_LABELER_DATA_DIR at a larger disk`",
        "tests/reliability/test_classify_faults.py::test_disk_full_while_writing_the_labeled_parquet_publishes_nothing",
    ),
    Fault(
        "classify",
        "empty input, a 1 MB paper, a title-only paper, a text with no tokens",
        "each labeled (or counted as empty); nothing crashes",
        "the counts in the task's XCom",
        "tests/reliability/test_classify_faults.py::test_empty_input_a_1_mb_paper_a_title_only_paper_and_a_paper_without_tokens",
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
        "a landed partition cut short, found after the run's later day was upserted",
        "the load fails as it reaches the file; its one transaction rolls back: nothing loaded",
        "`<partition>/part-00000.parquet is not a readable Parquet file (...): re-run the task that wrote it`",
        "tests/warehouse/test_warehouse.py::test_a_landed_partition_cut_short_fails_the_load_by_name_and_loads_nothing",
    ),
    Fault(
        "warehouse",
        "a paper revised between two days of a backfill lands on both",
        "the later day's row (the one classify labeled) is loaded, counted once; a rerun changes nothing",
        "`run <id>: 1 papers inserted, 1 updated` in the load's log (before: PostgreSQL refused the run, DuckDB kept the earlier row)",
        "tests/warehouse/test_warehouse.py::test_an_id_landed_on_two_days_of_a_run_loads_the_row_the_classify_stage_labeled",
    ),
    Fault(
        "warehouse",
        "DuckDB file truncated (to 0 or mid-file)",
        "refused; no new empty warehouse over it",
        "`<file> is not a readable DuckDB database ... refusing to start a new warehouse over it`",
        "tests/reliability/test_warehouse_faults.py::test_truncated_duckdb_file_is_refused_not_replaced",
    ),
    Fault(
        "warehouse",
        "PostgreSQL connection dropped mid-transaction (pg_terminate_backend)",
        "previous state intact; the retry lands everything",
        "`the connection to PostgreSQL failed (...); the transaction did not complete ... a retry of the task is safe`",
        "tests/reliability/test_warehouse_faults.py::test_postgres_connection_dropped_mid_transaction_loses_nothing_and_the_retry_lands_all",
    ),
    Fault(
        "warehouse",
        "the same interval loaded twice at once (DuckDB and PostgreSQL)",
        "both runs succeed; one row per paper and per paper and model",
        "two run rows",
        "tests/reliability/test_warehouse_faults.py::test_the_same_interval_loaded_twice_at_once_ends_with_one_row_per_paper_and_model",
    ),
    Fault(
        "warehouse",
        "DuckDB file locked by another process",
        "waits its turn; past lock_timeout_seconds fails writing nothing",
        "`<file> stayed locked by another process for N s: is a load stuck? (use PostgreSQL for parallel writers)`",
        "tests/reliability/test_warehouse_faults.py::test_duckdb_file_locked_by_another_process_waits_then_names_the_lock",
    ),
    Fault(
        "Airflow",
        "classify killed by its execution_timeout (ARXIV_LABELER_CLASSIFY_TIMEOUT_MINUTES)",
        "the task fails, Spark stopped; nothing published, the load never runs",
        "`AirflowTaskTimeout` in the task log; the run failed",
        "tests/e2e/test_dag_runs.py::test_classify_killed_by_its_execution_timeout_publishes_nothing",
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
        "the same interval triggered twice at once (REST API)",
        "both runs succeed; one row per paper and per paper and model",
        "two successful runs, two audit rows",
        "tests/e2e/test_scheduler.py::test_5b_the_same_interval_triggered_twice_at_once",
    ),
    Fault(
        "Airflow",
        "a run cleared and rerun after the model was replaced in S3",
        "fetch_model sees the new ETag; the day is labeled once more, by the new model",
        "a new model id in the warehouse",
        "tests/e2e/test_scheduler.py::test_7_a_run_cleared_after_a_model_change_labels_with_the_new_model",
    ),
    Fault(
        "Airflow",
        "a backfill reprocessing completed days",
        "no label row changes",
        "successful runs",
        "tests/e2e/test_scheduler.py::test_4_backfill_three_days_two_at_a_time",
    ),
    Fault(
        "Airflow",
        "credentials on every connection (S3 key and session token, OAI, PostgreSQL warehouse, Spark)",
        "the run succeeds; no secret in the run's output, its task logs, its XComs or its OpenLineage events",
        "nothing: errors show URLs as `postgresql://***@host/db`",
        "tests/e2e/test_secrets.py::test_no_credential_reaches_logs_xcoms_or_lineage",
    ),
    Fault(
        "load",
        "30 days with 30 harvest faults, 3 killed workers and 2 locked warehouse loads (seed 20261125)",
        "every task retry succeeds; the warehouse equals the fault-free run's, row for row",
        "the retried tasks",
        "tests/reliability/test_soak.py::test_thirty_days_with_random_faults_end_with_the_fault_free_warehouse",
    ),
]


def render() -> str:
    """The README table."""
    lines = ["| area | fault | what the pipeline does | what the operator sees | test |", "| --- | --- | --- | --- | --- |"]
    for f in FAULTS:
        path, name = f.test.split("::")
        lines.append(f"| {f.area} | {f.fault} | {f.behaviour} | {f.operator_sees} | `{path.rsplit('/', 1)[-1]}::{name}` |")
    return "\n".join(lines)


def write_readme(readme: Path) -> None:
    """Replace the table between the README's fault-matrix markers with ``render()``."""
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + START + render() + END + tail, encoding="utf-8")


START, END = "<!-- fault-matrix:start -->\n", "\n<!-- fault-matrix:end -->"

if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_readme(Path(__file__).resolve().parents[2] / "README.md")
    else:
        print(render())
