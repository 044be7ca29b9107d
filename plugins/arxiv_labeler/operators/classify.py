"""Classify the landed papers on Spark with the fetched model."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler import settings
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.harvest.result import HarvestResult
from arxiv_labeler.hooks.spark import SparkHook
from arxiv_labeler.hooks.warehouse import WarehouseHook
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.operators.task_failures import permanent_errors_fail_fast
from arxiv_labeler.run.config import RunConfig


class ClassifyPapersOperator(BaseOperator):
    """Runs the classify stage (engine from the run config); XCom: the classify result.

    Papers whose text the warehouse already holds a label for (same model) are
    skipped unless the run's ``reclassify`` param is set. The onnx engine runs the graph the
    run's ``quantize`` names, ``auto`` as the fetch task decided it (``FetchedModel.quantize_for``).
    """

    template_fields: Sequence[str] = ("run_config", "model", "harvest", "output_dir")

    def __init__(
        self,
        *,
        run_config: Any,
        model: Any,
        harvest: Any,
        output_dir: str,
        spark_conn_id: str | None = settings.SPARK_CONN_ID,
        warehouse_conn_id: str | None = settings.WAREHOUSE_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.run_config = run_config
        self.model = model
        self.harvest = harvest
        self.output_dir = output_dir
        self.spark_conn_id = spark_conn_id
        self.warehouse_conn_id = warehouse_conn_id
        self._spark: Any = None

    def execute(self, context: Any) -> dict[str, Any]:
        """Classify the landed papers; returns the stage's counts and output path."""
        started = time.monotonic()
        with permanent_errors_fail_fast():
            result = self._classify(RunConfig.from_xcom(self.run_config), FetchedModel.from_xcom(self.model))
        return dataclasses.replace(result, seconds=round(time.monotonic() - started, 3)).to_xcom()

    def _classify(self, config: RunConfig, fetched: FetchedModel) -> ClassifyResult:
        from arxiv_labeler.classify.landed_papers import LandedKeys, count_papers, text_bytes_in_flight
        from arxiv_labeler.classify.phases import PhaseClock
        from arxiv_labeler.classify.stage import choose_engine, classify_records, read_landed_records, result_without_spark
        from arxiv_labeler.spark.session import driver_memory_for, start_session, stop_session  # no Spark at DAG parse

        clock = PhaseClock()
        harvest = HarvestResult.from_xcom(self.harvest)
        archive = fetched.archive()
        # Keys and text sizes only: the text stays on disk for Spark, the task process small while Spark runs.
        landed = LandedKeys.read(harvest.partitions)
        output = str(Path(self.output_dir) / f"{config.start}_{config.end}" / f"model={fetched.sha256[:16]}")
        known: set[tuple[str, str]] = set()
        if not config.reclassify and landed.rows.num_rows:
            warehouse = WarehouseHook(self.warehouse_conn_id).get_warehouse()
            known = warehouse.labeled_hashes(fetched.model_id, landed.rows.column("arxiv_id").to_pylist())
        counts = count_papers(landed.rows, known, config.reclassify)  # the stage's counts, without a Spark job
        skipped = result_without_spark(output, archive, counts)
        if skipped is not None:
            return skipped
        sparknlp = config.engine == "sparknlp"
        in_flight = text_bytes_in_flight(landed.text_bytes, tasks=os.cpu_count() or 1)  # local[*]: a task per core
        heap = driver_memory_for(landed.rows.num_rows, fetched.size, sparknlp, text_bytes=in_flight)
        clock.mark("landed_and_known")
        self._spark = start_session(SparkHook(self.spark_conn_id).get_settings(sparknlp=sparknlp, default_driver_memory=heap))
        clock.mark("spark_session")
        try:
            records = read_landed_records(self._spark, harvest.partitions)
            quantize = fetched.quantize_for(config.quantize)  # auto was decided at fetch (FetchedModel.int8)
            engine, reason = choose_engine(
                self._spark, config.engine, archive, Path(fetched.zip_path), Path(fetched.model_dir), quantize=quantize
            )
            if engine.name == "onnx":
                reason += f"; quantize={config.quantize}: {'int8' if quantize == 'int8' else 'fp32'}"
            clock.mark("engine")
            result = classify_records(
                self._spark,
                records,
                engine,
                archive,
                output,
                dt.datetime.now(dt.UTC).isoformat(),
                known=sorted(known),
                reclassify=config.reclassify,
                engine_reason=reason,
                clock=clock,
                counts=counts,
            )
        finally:
            stop_session(self._spark)
            self._spark = None
        clock.mark("spark_stop")
        return dataclasses.replace(result, phases=clock.phases)

    def on_kill(self) -> None:
        """Stop Spark so no job outlives the killed task."""
        if self._spark is not None:
            self.log.warning("task killed: stopping Spark")
            from arxiv_labeler.spark.session import stop_session

            stop_session(self._spark)
