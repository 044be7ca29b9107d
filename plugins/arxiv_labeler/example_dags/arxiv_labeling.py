"""arxiv_labeling: label each day's new and revised arXiv papers with a Spark NLP DistilBERT classifier."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param

from arxiv_labeler import settings
from arxiv_labeler.alerts import labels_deadline, on_labels_checked, on_task_failure
from arxiv_labeler.harvest.taxonomy import arxiv_sets
from arxiv_labeler.operators import (
    CheckLabelsOperator,
    ClassifyPapersOperator,
    FetchModelOperator,
    HarvestArxivOperator,
    LoadWarehouseOperator,
    ResolveRunOperator,
)

DATA = settings.data_dir()
RUN = "{{ ti.xcom_pull(task_ids='resolve_run') }}"
WAREHOUSE_ASSETS = [
    Asset(name="arxiv_papers", uri="arxiv-labeler://warehouse/arxiv_papers"),
    Asset(name="arxiv_paper_labels", uri="arxiv-labeler://warehouse/arxiv_paper_labels"),
    Asset(name="arxiv_pipeline_runs", uri="arxiv-labeler://warehouse/arxiv_pipeline_runs"),
]
RETRIES = settings.task_retries()
NETWORK_RETRIES: dict[str, Any] = {
    "retries": RETRIES,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=30),
}

DOC = """
### arxiv_labeling

Labels every arXiv paper created or revised on a UTC day with the model zip in
`model_uri`, and loads papers and labels into the warehouse.

**Scheduled runs** cover the previous UTC day. **Manual runs** take `from_date` and
`until_date` (both inclusive, whole UTC days); without a data interval they are
required. **Backfills**: `airflow backfill create --dag-id arxiv_labeling --from-date
2026-03-01 --to-date 2026-03-31`. Reruns of a day change no warehouse row.

Empty days (Fridays, Saturdays, holidays) succeed with zero papers.

**Alerts** (`ARXIV_LABELER_ALERT_EMAIL`, or any notifier in `ARXIV_LABELER_ALERT_NOTIFIER`): a task
that failed for good, `check_labels` warnings, and a scheduled day not loaded by
`ARXIV_LABELER_DEADLINE_UTC` (09:00 UTC) the next day.
"""

with DAG(
    dag_id="arxiv_labeling",
    description="Harvest arXiv OAI-PMH, classify with Spark, load the warehouse",
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone="UTC"),  # a scheduled run covers the previous UTC day
    start_date=dt.datetime(2005, 9, 16, tzinfo=dt.UTC),  # arXiv OAI earliestDatestamp: any day can be backfilled
    catchup=False,
    max_active_runs=4,
    render_template_as_native_obj=True,
    doc_md=DOC,
    tags=["arxiv", "spark", "nlp"],
    default_args={"on_failure_callback": [on_task_failure]},  # after the last retry, or at once on a permanent error
    deadline=labels_deadline(),  # None when ARXIV_LABELER_DEADLINE_UTC is empty
    params={
        "from_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="From (UTC day, inclusive)",
            description="First day to harvest. Empty: the run's data interval. Leave empty in a backfill: its runs take "
            "their days from the backfill's date range.",
        ),
        "until_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Until (UTC day, inclusive)",
            description="Last day to harvest. Empty: same as from_date. Leave empty in a backfill.",
        ),
        "sets": Param(
            [],
            type=["null", "array"],  # "null": optional in the form; empty means every set
            items={"type": "string", "enum": sorted(arxiv_sets())},  # a set arXiv does not have cannot pass
            examples=sorted(arxiv_sets()),  # the form offers arXiv's sets as a multi-select
            title="OAI sets",
            description="e.g. cs, physics:astro-ph. None selected: every set.",
        ),
        "model_uri": Param(
            settings.default_model_uri(),
            type="string",
            pattern=r"^s3://[a-z0-9][a-z0-9.\-]+/.+\.zip$",
            title="Model zip (s3://bucket/key.zip)",
        ),
        "engine": Param(settings.DEFAULT_ENGINE, type="string", enum=list(settings.ENGINES), title="Engine"),
        "reclassify": Param(False, type="boolean", title="Classify unchanged papers again"),
        "quantize": Param(
            settings.DEFAULT_QUANTIZE,
            type="string",
            enum=list(settings.QUANTIZE_MODES),
            title="onnx engine: int8 quantization",
            description=(
                f"auto: int8 where it keeps fp32's label for {settings.INT8_MIN_AGREEMENT:.1%} of a calibration sample "
                "(decided once per model at fetch), else fp32; none: fp32; int8: always int8."
            ),
        ),
        "min_score": Param(
            None,
            type=["null", "number"],
            minimum=0,
            maximum=1,
            title="Confidence policy: minimum top score",
            description="Below it a paper is stored as 'unclassified' (its raw label kept). Empty: the model's default, else 0.",
        ),
        "label_thresholds": Param(
            {},
            type=["null", "object"],
            additionalProperties={"type": "number", "minimum": 0, "maximum": 1},
            title="Per-label minimum scores",
            description='e.g. {"cs": 0.6}; labels must be the model\'s. Empty: min_score for every label.',
        ),
        "drift_warn": Param(
            settings.DRIFT_WARN, type=["null", "number"], minimum=0, maximum=1, title="Label drift (Jensen-Shannon) warning"
        ),
        "drift_fail": Param(
            settings.DRIFT_FAIL, type=["null", "number"], minimum=0, maximum=1, title="Label drift (Jensen-Shannon) failure"
        ),
        "category_agreement_warn": Param(
            settings.CATEGORY_AGREEMENT_WARN,
            type=["null", "number"],
            minimum=0,
            maximum=1,
            title="Agreement with the authors' primary categories: warning below",
            description="Share of the run's labels equal to the paper's primary group (or category), for models "
            "whose labels are arXiv's groups or categories; unclassified papers are not counted. Empty: the default.",
        ),
        "category_agreement_fail": Param(
            settings.CATEGORY_AGREEMENT_FAIL,
            type=["null", "number"],
            minimum=0,
            maximum=1,
            title="Agreement with the authors' primary categories: failure below",
        ),
    },
) as dag:
    resolve = ResolveRunOperator(
        task_id="resolve_run",
        doc_md=(
            "Checks params and the data interval. Fails at once on a bad param or a manual run "
            "without dates: fix the params and re-trigger."
        ),
    )
    fetch = FetchModelOperator(
        task_id="fetch_model",
        run_config=RUN,
        cache_dir=str(DATA / "models"),
        aws_conn_id=settings.MODEL_S3_CONN_ID,
        doc_md=(
            "Downloads the model zip (once per ETag) and validates it. "
            "On failure: check `model_uri` and the `arxiv_models_s3` connection."
        ),
        **NETWORK_RETRIES,
    )
    harvest = HarvestArxivOperator(
        task_id="harvest",
        run_config=RUN,
        landing_dir=str(DATA / "landing"),
        http_conn_id=settings.OAI_CONN_ID,
        pool=settings.OAI_POOL,
        doc_md=(
            "OAI-PMH ListRecords for each day, 3 s between requests. A retry skips the days this run already landed "
            "and resumes the interrupted one from its last checkpointed page."
        ),
        **NETWORK_RETRIES,
    )
    classify = ClassifyPapersOperator(
        task_id="classify",
        run_config=RUN,
        model="{{ ti.xcom_pull(task_ids='fetch_model') }}",
        harvest="{{ ti.xcom_pull(task_ids='harvest') }}",
        output_dir=str(DATA / "labeled"),
        spark_conn_id=settings.SPARK_CONN_ID,
        warehouse_conn_id=settings.WAREHOUSE_CONN_ID,
        retries=min(RETRIES, 1),
        execution_timeout=settings.classify_timeout(),
        doc_md="Classifies title + abstract on Spark. OOM or killed: raise driver memory in the `arxiv_spark` connection extra.",
    )
    load = LoadWarehouseOperator(
        task_id="load_warehouse",
        run_config=RUN,
        model="{{ ti.xcom_pull(task_ids='fetch_model') }}",
        harvest="{{ ti.xcom_pull(task_ids='harvest') }}",
        classify="{{ ti.xcom_pull(task_ids='classify') }}",
        warehouse_conn_id=settings.WAREHOUSE_CONN_ID,
        outlets=WAREHOUSE_ASSETS,
        retries=min(RETRIES, 2),
        doc_md=(
            "One transaction: upserts papers and labels, records the run. A failure leaves the previous state intact; just retry."
        ),
    )
    check = CheckLabelsOperator(
        task_id="check_labels",
        run_config=RUN,
        model="{{ ti.xcom_pull(task_ids='fetch_model') }}",
        warehouse_conn_id=settings.WAREHOUSE_CONN_ID,
        retries=0,
        on_success_callback=[on_labels_checked],  # passed with warnings: an alert naming the checks
        doc_md=(
            "Data-quality checks on the run's labels (counts, scores, confidence, drift, empty announcement days, "
            "agreement with the authors' categories), "
            "stored in `arxiv_quality_checks`. A failed check fails this task; the load stays committed."
        ),
    )
    resolve >> [fetch, harvest] >> classify >> load >> check
