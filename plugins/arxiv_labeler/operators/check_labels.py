"""Data-quality checks on the run's labels after the load; a failed check fails the task, the load stays."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from arxiv_labeler.hooks.warehouse import WarehouseHook
from arxiv_labeler.quality.checks import QualityPolicy, RunScope, record_checks, run_checks
from arxiv_labeler.run_config import RunConfig

log = logging.getLogger(__name__)


def model_is_softmax(model: Any) -> bool:
    """Whether the fetched model scores with softmax (the sum-to-one check applies); softmax when unknown."""
    try:
        from arxiv_labeler.model.fetch import FetchedModel

        return FetchedModel(**{k: v for k, v in model.items() if k != "model_id"}).archive().params.activation == "softmax"
    except Exception as exc:  # the cache may live on another worker: the checks still run, as for softmax
        log.warning("could not read the model's activation (%s): checking scores as softmax", exc)
        return True


class CheckLabelsOperator(BaseOperator):
    """Runs the checks of ``quality.checks`` for the run and records them in ``arxiv_quality_checks``."""

    template_fields: Sequence[str] = ("run_config", "model")

    def __init__(self, *, run_config: Any, model: Any, warehouse_conn_id: str | None = "arxiv_warehouse", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_config = run_config
        self.model = model
        self.warehouse_conn_id = warehouse_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        """Check, record, and fail on a failed check (naming it, its value and threshold)."""
        config = RunConfig.from_xcom(self.run_config)
        scope = RunScope(context["run_id"], config.start, config.end, self.model["model_id"])
        policy = QualityPolicy(drift_warn=config.drift_warn, drift_fail=config.drift_fail, softmax=model_is_softmax(self.model))
        warehouse = WarehouseHook(self.warehouse_conn_id).get_warehouse()
        results = run_checks(warehouse, scope, policy)
        status = record_checks(warehouse, scope, results)
        for result in results:
            (log.warning if result.status in ("warn", "fail") else log.info)("quality %s", result.message())
        failed = [r for r in results if r.status == "fail"]
        if failed:
            raise AirflowFailException(
                "data-quality check failed (the load is committed; the run is marked quality_status=failed): "
                + "; ".join(r.message() for r in failed)
            )
        return {"quality_status": status, "checks": {r.check: r.status for r in results}}
