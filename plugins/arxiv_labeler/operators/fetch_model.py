"""Fetch the model zip from S3 into the local cache (one HEAD when unchanged)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from arxiv_labeler import settings
from arxiv_labeler.hooks.model_store import ModelStoreHook
from arxiv_labeler.model.fetch import ModelFetcher
from arxiv_labeler.operators.task_failures import permanent_errors_fail_fast
from arxiv_labeler.run.config import RunConfig


class FetchModelOperator(BaseOperator):
    """Downloads, verifies, extracts and validates the run's model; XCom: the fetched model.

    With the run's ``quantize=auto`` it also decides, once per model, whether the onnx engine runs the
    int8 graph (``engines.int8_check``); the decision rides in the XCom (``FetchedModel.int8``).
    """

    template_fields: Sequence[str] = ("run_config", "cache_dir")

    def __init__(
        self, *, run_config: Any, cache_dir: str, aws_conn_id: str | None = settings.MODEL_S3_CONN_ID, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.run_config = run_config
        self.cache_dir = cache_dir
        self.aws_conn_id = aws_conn_id

    _model_uri: str | None = None

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage: the model zip in S3 as the input."""
        from arxiv_labeler.lineage import model_lineage

        return model_lineage(self._model_uri) if self._model_uri else None

    def execute(self, context: Any) -> dict[str, Any]:
        """Fetch and validate the model, and decide ``quantize=auto`` for it; returns the fetched model."""
        started = time.monotonic()
        config = RunConfig.from_xcom(self.run_config)
        self._model_uri = config.model_uri
        with permanent_errors_fail_fast():
            fetched = ModelFetcher(ModelStoreHook(self.aws_conn_id).get_client(), Path(self.cache_dir)).fetch(config.model_uri)
            if config.quantize == "auto" and config.engine != "sparknlp":  # quantize is the onnx engine's option
                from arxiv_labeler.engines.int8_check import decide_int8  # onnxruntime only when measuring

                fetched = dataclasses.replace(fetched, int8=decide_int8(fetched.archive(), fetched.int8_decisions_dir))
        self.log.info("model %s: labels %s (downloaded=%s)", fetched.model_id, list(fetched.labels), fetched.downloaded)
        if fetched.int8 is not None:
            self.log.info("quantize=auto: the onnx engine runs %s: %s", fetched.int8.quantize, fetched.int8.reason)
        return dataclasses.replace(fetched, seconds=round(time.monotonic() - started, 3)).to_xcom()
