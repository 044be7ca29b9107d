"""Harvest the run's days from arXiv OAI-PMH into the landing area."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler import settings
from arxiv_labeler.harvest.harvester import Harvester
from arxiv_labeler.hooks.oai import OaiHook
from arxiv_labeler.operators.task_failures import permanent_errors_fail_fast
from arxiv_labeler.run.config import RunConfig


class HarvestArxivOperator(BaseOperator):
    """ListRecords for each day of the run, checkpointed per page; XCom: the harvest result.

    Put it in a one-slot pool so concurrent runs never open two connections to arXiv.
    """

    template_fields: Sequence[str] = ("run_config", "landing_dir")

    def __init__(
        self,
        *,
        run_config: Any,
        landing_dir: str,
        http_conn_id: str | None = settings.OAI_CONN_ID,
        metadata_prefix: str = "arXivRaw",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run_config = run_config
        self.landing_dir = landing_dir
        self.http_conn_id = http_conn_id
        self.metadata_prefix = metadata_prefix

    _lineage_source: tuple[str, list[str]] | None = None

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage: the OAI-PMH endpoint and set(s) as inputs."""
        from arxiv_labeler.lineage import harvest_lineage

        endpoint, sets = self._lineage_source or ("", [])
        return harvest_lineage(endpoint, sets)

    def execute(self, context: Any) -> dict[str, Any]:
        """Harvest the run's days; returns the landed partitions and counts."""
        started = time.monotonic()
        config = RunConfig.from_xcom(self.run_config)
        with permanent_errors_fail_fast():
            client = OaiHook(self.http_conn_id).get_client()
            self._lineage_source = (client.endpoint, list(config.sets))
            # The task's retries share the run id, so a retry skips the days its killed try landed; a new run does not.
            run_key = f"{self.dag_id}/{context.get('run_id', '')}"
            try:
                harvester = Harvester(client, Path(self.landing_dir), self.metadata_prefix, config.sets, run_key=run_key)
                result = harvester.harvest(config.start, config.end)
            finally:
                client.close()
        result = dataclasses.replace(result, seconds=round(time.monotonic() - started, 3))
        self.log.info(
            "harvested %s..%s from %s: %d records (%d new, %d deleted) in %d pages; %d days landed by an earlier try",
            config.start,
            config.end,
            client.endpoint,
            result.records,
            result.new,
            result.deleted,
            result.pages,
            result.skipped_days,
        )
        return result.to_xcom()
