"""The load stage: a run's landed papers and labeled output into the warehouse, in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from arxiv_labeler.classify.confidence_policy import ConfidencePolicy
from arxiv_labeler.classify.labeled_output import labeled_batches
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.errors import LabeledOutputMissingError
from arxiv_labeler.harvest.harvester import landed_batches
from arxiv_labeler.harvest.result import HarvestResult
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.run.config import RunConfig
from arxiv_labeler.run.record import RunRecord
from arxiv_labeler.warehouse.store import BATCH_ROWS, LABEL_INPUT_COLUMNS, LoadResult, ModelInfo, Rows, Warehouse


@dataclass(frozen=True)
class LoadBatch:
    """One run's rows, checked and ready to stream into one transaction (the batches are read as the load consumes them)."""

    papers: Rows
    labels: Rows | None
    model: ModelInfo
    policy: ConfidencePolicy


@dataclass(frozen=True)
class RunToLoad:
    """What the load needs from a run: its config and the three stages' results."""

    config: RunConfig
    model: FetchedModel
    harvest: HarvestResult
    classify: ClassifyResult

    def record(self, run_id: str, run_type: str) -> RunRecord:
        """The run's audit row."""
        return RunRecord.from_stages(run_id, run_type, self.config, self.model, self.harvest, self.classify)

    @contextmanager
    def opened(self) -> Iterator[LoadBatch]:
        """The landed papers and the labeled output, checked before any connection to the warehouse is opened.

        The labeled output stays locked against another run's swap until the block ends: load inside it.

        Raises:
            LabeledOutputMissingError: classify labeled papers but its output is gone (classify must run again).
            HarvestError: a landed partition is missing.
            ConfigError: a per-label threshold names no label of the model.
        """
        model = ModelInfo(self.model.model_id, self.model.name, self.model.sha256, list(self.model.labels))
        policy = ConfidencePolicy(self.config.min_score or 0.0, self.config.label_thresholds).validate(model.labels)
        # Latest day first (harvest_day=YYYY-MM-DD): of an id landed on two days, the load keeps the first row it meets.
        days = sorted(self.harvest.partitions, key=lambda partition: Path(partition).name, reverse=True)
        papers = landed_batches(days, BATCH_ROWS)
        with labeled_batches(self.classify.output_path, LABEL_INPUT_COLUMNS, BATCH_ROWS) as labels:
            if labels is None and self.classify.classified:
                raise LabeledOutputMissingError(
                    f"classify labeled {self.classify.classified} papers but {self.classify.output_path} holds no labeled "
                    "output (removed since?): clear the classify task to label them again; nothing was loaded"
                )
            yield LoadBatch(papers, labels, model, policy)


def load_run(warehouse: Warehouse, batch: LoadBatch, record: RunRecord) -> LoadResult:
    """Upsert the run's papers and labels and record the run, in one transaction; a rerun changes no row.

    Raises:
        WarehouseError: the transaction failed; the previous state is intact and a retry is safe.
    """
    return warehouse.load(batch.papers, batch.labels, batch.model, record, batch.policy)
