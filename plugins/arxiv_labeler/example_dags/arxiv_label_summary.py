"""An example downstream DAG: runs when ``arxiv_labeling`` writes labels, reads the event extras, writes a summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import DAG, Asset, task

from arxiv_labeler import settings

LABELS = Asset(name="arxiv_paper_labels", uri="arxiv-labeler://warehouse/arxiv_paper_labels")

with DAG(
    dag_id="arxiv_label_summary",
    description="Daily label shares (CSV + PNG) whenever arxiv_labeling writes labels",
    schedule=[LABELS],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["arxiv", "example", "consumer"],
    doc_md="Scheduled on the `arxiv_paper_labels` asset: reads the days and model from the event extras.",
) as dag:

    @task
    def summarise(triggering_asset_events: Any = None) -> dict[str, str]:
        """Label shares for the triggering events' days and model, to ``$ARXIV_LABELER_DATA_DIR/summaries``."""
        from arxiv_labeler.hooks.warehouse import WarehouseHook
        from arxiv_labeler.warehouse.label_shares import LabelEvent, write_daily_summary

        events = [LabelEvent.from_extra(event.extra) for event in (triggering_asset_events or {}).get(LABELS, [])]
        csv_path, png_path = write_daily_summary(
            WarehouseHook(settings.WAREHOUSE_CONN_ID).get_warehouse(), events, settings.data_dir() / "summaries"
        )
        return {"csv": str(csv_path), "png": str(png_path)}

    summarise()
