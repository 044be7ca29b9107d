"""Classify the landed papers on Spark with the fetched model."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler.harvest.harvester import read_landed
from arxiv_labeler.hooks.spark import SparkHook
from arxiv_labeler.hooks.warehouse import WarehouseHook
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.run_config import RunConfig


class ClassifyPapersOperator(BaseOperator):
    """Runs the classify stage (engine from the run config); XCom: output path and counts.

    Papers whose text the warehouse already holds a label for (same model) are
    skipped unless the run's ``reclassify`` param is set.
    """

    template_fields: Sequence[str] = ("run_config", "model", "harvest", "output_dir")

    def __init__(
        self,
        *,
        run_config: Any,
        model: Any,
        harvest: Any,
        output_dir: str,
        spark_conn_id: str | None = "arxiv_spark",
        warehouse_conn_id: str | None = "arxiv_warehouse",
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
        from arxiv_labeler.engines.classify_stage import choose_engine, classify_records, result_without_spark, text_bytes
        from arxiv_labeler.engines.spark_session import (  # Spark stays out of DAG parsing
            driver_memory_for,
            start_session,
            stop_session,
        )

        started = time.monotonic()
        config = RunConfig.from_xcom(self.run_config)
        fetched = FetchedModel(**{k: v for k, v in self.model.items() if k in FetchedModel.__dataclass_fields__})
        archive = fetched.archive()
        landed = read_landed(self.harvest["partitions"])
        output = str(Path(self.output_dir) / f"{config.start}_{config.end}" / f"model={fetched.sha256[:16]}")
        known: set[tuple[str, str]] = set()
        if not config.reclassify and landed.num_rows:
            warehouse = WarehouseHook(self.warehouse_conn_id).get_warehouse()
            known = warehouse.labeled_hashes(fetched.model_id, landed.column("arxiv_id").to_pylist())
        skipped = result_without_spark(output, archive, landed, known, config.reclassify)
        if skipped is not None:
            return skipped.summary() | {"seconds": round(time.monotonic() - started, 3)}
        sparknlp = config.engine == "sparknlp"
        heap = driver_memory_for(landed.num_rows, fetched.size, sparknlp, text_bytes=text_bytes(landed))
        settings = SparkHook(self.spark_conn_id).get_settings(sparknlp=sparknlp, default_driver_memory=heap)
        self._spark = start_session(settings)
        try:
            records = self._spark.read.parquet(*self.harvest["partitions"])
            engine, reason = choose_engine(
                self._spark, config.engine, archive, Path(fetched.zip_path), Path(fetched.model_dir), quantize=config.quantize
            )
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
            )
        finally:
            stop_session(self._spark)
            self._spark = None
        return result.summary() | {"seconds": round(time.monotonic() - started, 3)}

    def on_kill(self) -> None:
        """Stop Spark so no job outlives the killed task."""
        if self._spark is not None:
            self.log.warning("task killed: stopping Spark")
            from arxiv_labeler.engines.spark_session import stop_session

            stop_session(self._spark)
