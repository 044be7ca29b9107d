"""Data-quality checks on the run's labels after the load; a failed check fails the task, the load stays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler import settings
from arxiv_labeler.hooks.warehouse import WarehouseHook
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.operators.task_failures import permanent_errors_fail_fast
from arxiv_labeler.quality.checks import QualityPolicy, RunScope, raise_for_failed, record_checks, run_agreement, run_checks
from arxiv_labeler.run.config import RunConfig


class CheckLabelsOperator(BaseOperator):
    """Runs the checks of ``quality.checks`` for the run and records them in ``arxiv_quality_checks``."""

    template_fields: Sequence[str] = ("run_config", "model")

    def __init__(
        self, *, run_config: Any, model: Any, warehouse_conn_id: str | None = settings.WAREHOUSE_CONN_ID, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.run_config = run_config
        self.model = model
        self.warehouse_conn_id = warehouse_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        """Check, record, and fail on a failed check (naming it, its value and threshold)."""
        config = RunConfig.from_xcom(self.run_config)
        with permanent_errors_fail_fast():
            model = FetchedModel.from_xcom(self.model)
        scope = RunScope(context["run_id"], config.start, config.end, model.model_id)
        policy = QualityPolicy(
            drift_warn=config.drift_warn,
            drift_fail=config.drift_fail,
            softmax=model.activation == "softmax",
            category_agreement_warn=config.category_agreement_warn,
            category_agreement_fail=config.category_agreement_fail,
        )
        warehouse = WarehouseHook(self.warehouse_conn_id).get_warehouse()
        agreement = run_agreement(warehouse, scope)  # per day and group: judged by the checks, recorded beside them
        results = run_checks(warehouse, scope, policy, agreement)
        status = record_checks(warehouse, scope, results, agreement)
        for result in results:
            (self.log.warning if result.status in ("warn", "fail") else self.log.info)("quality %s", result.message())
        with permanent_errors_fail_fast():
            raise_for_failed(results)
        return {"quality_status": status, "checks": {r.check: r.status for r in results}}
