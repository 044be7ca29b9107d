"""Load the run's papers and labels into the warehouse in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from arxiv_labeler.engines.labeled_output import read_labeled
from arxiv_labeler.harvest.harvester import read_landed
from arxiv_labeler.hooks.warehouse import WarehouseHook
from arxiv_labeler.quality.policy import ConfidencePolicy
from arxiv_labeler.run_config import RunConfig
from arxiv_labeler.ui.links import DAYS_XCOM_KEY, ArxivLabelsLink
from arxiv_labeler.warehouse import ModelInfo, RunRecord


class LoadWarehouseOperator(BaseOperator):
    """Upserts papers and labels and records the run; a rerun of an interval changes no row."""

    template_fields: Sequence[str] = ("run_config", "model", "harvest", "classify")
    operator_extra_links = (ArxivLabelsLink(),)

    def __init__(
        self,
        *,
        run_config: Any,
        model: Any,
        harvest: Any,
        classify: Any,
        warehouse_conn_id: str | None = "arxiv_warehouse",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run_config = run_config
        self.model = model
        self.harvest = harvest
        self.classify = classify
        self.warehouse_conn_id = warehouse_conn_id

    _lineage_output: tuple[str, dict[str, int]] | None = None

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage: the warehouse tables written, with schema and the rows this run wrote."""
        from arxiv_labeler.lineage import warehouse_lineage

        url, counts = self._lineage_output or ("", {})
        return warehouse_lineage(url, counts)

    def execute(self, context: Any) -> dict[str, Any]:
        """Load papers and labels in one transaction; returns the counts."""
        started = time.monotonic()
        config = RunConfig.from_xcom(self.run_config)
        papers = read_landed(self.harvest["partitions"])
        labels = read_labeled(self.classify["output_path"])
        if labels is None and self.classify["classified"]:
            raise AirflowFailException(
                f"classify labeled {self.classify['classified']} papers but {self.classify['output_path']} holds no "
                "labeled output (removed since?): clear the classify task to label them again; nothing was loaded"
            )
        run = RunRecord.from_stage_summaries(
            context["run_id"], _run_type(context["dag_run"]), config.start, config.end, self.model, self.harvest, self.classify
        )
        run.stage_seconds["load_warehouse_prepare"] = round(time.monotonic() - started, 3)
        model = ModelInfo(self.model["model_id"], self.model["name"], self.model["sha256"], list(self.model["labels"]))
        try:
            policy = ConfidencePolicy(config.min_score or 0.0, config.label_thresholds).validate(model.labels)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from exc  # a param that names no label of this model: nothing written
        hook = WarehouseHook(self.warehouse_conn_id)
        warehouse = hook.get_warehouse()
        result = warehouse.load(papers, labels, model, run, policy)
        self._lineage_output = (
            hook.get_url(),
            {
                "arxiv_papers": result.papers_inserted + result.papers_updated + result.papers_withdrawn,
                "arxiv_paper_labels": result.labels_written,
                "arxiv_pipeline_runs": 1,
            },
        )
        context["ti"].xcom_push(key=DAYS_XCOM_KEY, value={"from": config.start.isoformat(), "until": config.end.isoformat()})
        for asset in self.outlets or []:
            context["outlet_events"][asset].extra = {
                "interval": f"{config.start}..{config.end}",
                "model_id": model.model_id,
                "labels_written": result.labels_written,
                "days": [config.start.isoformat(), config.end.isoformat()],
                "papers_loaded": result.papers_inserted + result.papers_updated,
                "quality": "pending: check_labels records it in arxiv_quality_checks",
            }
        return {
            "warehouse": repr(warehouse),
            "papers_inserted": result.papers_inserted,
            "papers_updated": result.papers_updated,
            "papers_withdrawn": result.papers_withdrawn,
            "labels_written": result.labels_written,
            "loaded_at": dt.datetime.now(dt.UTC).isoformat(),
        }


def _run_type(dag_run: Any) -> str:
    """``manual``, ``scheduled``, ``backfill``, ... (the enum's value, not its repr)."""
    run_type = dag_run.run_type
    return str(getattr(run_type, "value", run_type))
