"""Load the run's papers and labels into the warehouse in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler import settings
from arxiv_labeler.classify.confidence_policy import ConfidencePolicy
from arxiv_labeler.classify.labeled_output import read_labeled
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.errors import LabeledOutputMissingError
from arxiv_labeler.harvest.harvester import read_landed
from arxiv_labeler.harvest.result import HarvestResult
from arxiv_labeler.hooks.warehouse import WarehouseHook
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.operators.task_failures import permanent_errors_fail_fast
from arxiv_labeler.run.config import RunConfig
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
        warehouse_conn_id: str | None = settings.WAREHOUSE_CONN_ID,
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
        with permanent_errors_fail_fast():
            fetched = FetchedModel.from_xcom(self.model)
            harvest = HarvestResult.from_xcom(self.harvest)
            classify = ClassifyResult.from_xcom(self.classify)
            papers = read_landed(harvest.partitions)
            labels = read_labeled(classify.output_path)
            if labels is None and classify.classified:
                raise LabeledOutputMissingError(
                    f"classify labeled {classify.classified} papers but {classify.output_path} holds no labeled output "
                    "(removed since?): clear the classify task to label them again; nothing was loaded"
                )
            run = RunRecord.from_stages(context["run_id"], _run_type(context["dag_run"]), config, fetched, harvest, classify)
            run.stage_seconds["load_warehouse_prepare"] = round(time.monotonic() - started, 3)
            model = ModelInfo(fetched.model_id, fetched.name, fetched.sha256, list(fetched.labels))
            # a param naming no label of this model: refused before anything is written
            policy = ConfidencePolicy(config.min_score or 0.0, config.label_thresholds).validate(model.labels)
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
