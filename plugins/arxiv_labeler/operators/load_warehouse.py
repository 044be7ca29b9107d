"""Load the run's papers and labels into the warehouse in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler import settings
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.harvest.result import HarvestResult
from arxiv_labeler.hooks.warehouse import WarehouseHook
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.operators.task_failures import permanent_errors_fail_fast
from arxiv_labeler.run.config import RunConfig
from arxiv_labeler.run.record import run_type
from arxiv_labeler.ui.links import DAYS_XCOM_KEY, ArxivLabelsLink
from arxiv_labeler.warehouse.stage import RunToLoad, load_run


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
            run = RunToLoad(
                config,
                FetchedModel.from_xcom(self.model),
                HarvestResult.from_xcom(self.harvest),
                ClassifyResult.from_xcom(self.classify),
            )
            with run.opened() as batch:  # refused here writes nothing: no connection is opened before
                record = run.record(context["run_id"], run_type(context["dag_run"]) or "manual")
                record.stage_seconds["load_warehouse_prepare"] = round(time.monotonic() - started, 3)
                hook = WarehouseHook(self.warehouse_conn_id)
                warehouse = hook.get_warehouse()
                result = load_run(warehouse, batch, record)
        self._lineage_output = (hook.get_url(), result.rows_per_table())
        context["ti"].xcom_push(key=DAYS_XCOM_KEY, value={"from": config.start.isoformat(), "until": config.end.isoformat()})
        for asset in self.outlets or []:
            context["outlet_events"][asset].extra = result.asset_extra(config.start, config.end, run.model.model_id)
        return result.to_xcom() | {"warehouse": repr(warehouse), "loaded_at": dt.datetime.now(dt.UTC).isoformat()}
