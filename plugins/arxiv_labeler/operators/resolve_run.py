"""Decide the run's days and options before any work, failing fast on bad params."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler.operators.task_failures import permanent_errors_fail_fast
from arxiv_labeler.run.config import resolve_run_config
from arxiv_labeler.run.record import run_type


class ResolveRunOperator(BaseOperator):
    """Validates params and the data interval into a run config (XCom); no retries on bad input."""

    ui_color = "#e8f1fb"

    def execute(self, context: Any) -> dict[str, Any]:
        """Resolve and validate the run config; returns it for XCom."""
        with permanent_errors_fail_fast():  # retrying cannot fix a bad param
            config = resolve_run_config(
                dict(context["params"]),
                context.get("data_interval_start"),
                context.get("data_interval_end"),
                run_type=run_type(context.get("dag_run")),
            )
        self.log.info(
            "run %s covers %s..%s (from %s), sets=%s, engine=%s, model=%s",
            context["run_id"],
            config.start,
            config.end,
            config.source,
            config.sets or "all",
            config.engine,
            config.model_uri,
        )
        return config.to_xcom()
