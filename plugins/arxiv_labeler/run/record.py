"""What a run did: its row in ``arxiv_pipeline_runs``, built from the stages' hand-offs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.harvest.result import HarvestResult
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.run.config import RunConfig


@dataclass
class RunRecord:
    """One row of ``arxiv_pipeline_runs``."""

    run_id: str
    run_type: str
    interval_start: dt.date
    interval_end: dt.date
    model_id: str | None
    engine: str | None
    harvested: int = 0
    new_papers: int = 0
    replaced: int = 0
    deleted: int = 0
    classified: int = 0
    skipped_unchanged: int = 0
    failed: int = 0
    withdrawn: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    status: str = "success"

    @classmethod
    def from_stages(
        cls,
        run_id: str,
        run_type: str,
        config: RunConfig,
        model: FetchedModel,
        harvest: HarvestResult,
        classify: ClassifyResult,
    ) -> RunRecord:
        """The run's row from the run config and the fetch, harvest and classify stages' results."""
        return cls(
            run_id=run_id,
            run_type=run_type,
            interval_start=config.start,
            interval_end=config.end,
            model_id=model.model_id,
            engine=classify.engine,
            harvested=harvest.records,
            new_papers=harvest.new,
            replaced=harvest.replaced,  # a record that cannot tell (the arXiv format) counts as neither new nor replaced
            deleted=harvest.deleted,
            classified=classify.classified,
            skipped_unchanged=classify.skipped_unchanged,
            failed=classify.no_text,
            withdrawn=harvest.withdrawn,
            stage_seconds={"fetch_model": model.seconds, "harvest": harvest.seconds, "classify": classify.seconds},
        )


def run_type(dag_run: Any) -> str | None:
    """``manual``, ``scheduled``, ``backfill``, ... of an Airflow DAG run (the enum's value, not its repr); None without one."""
    if dag_run is None:
        return None
    kind = dag_run.run_type
    return str(getattr(kind, "value", kind))
