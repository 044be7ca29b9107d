"""Operators are wiring: template fields, and each execute makes the calls it should (hooks patched)."""

from __future__ import annotations

import inspect
from typing import Any
from unittest import mock

import pytest
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.harvest.result import DayResult, HarvestResult
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.operators import (
    ClassifyPapersOperator,
    FetchModelOperator,
    HarvestArxivOperator,
    LoadWarehouseOperator,
    ResolveRunOperator,
)
from arxiv_labeler.run.config import RunConfig

DAY = __import__("datetime").date(2026, 11, 20)
CONFIG = RunConfig(DAY, DAY, "s3://b/m.zip").to_xcom()
FETCHED = FetchedModel("s3://b/m.zip", "m", "etag", "x", 10, "/cache/m.zip", "/cache/m", True, ("a",), "softmax")


@pytest.mark.parametrize("operator", [FetchModelOperator, HarvestArxivOperator, ClassifyPapersOperator, LoadWarehouseOperator])
def test_template_fields_are_constructor_arguments_stored_unchanged(operator: type) -> None:
    signature = inspect.signature(operator.__init__)
    for name in operator.template_fields:
        assert name in signature.parameters, f"{operator.__name__}.{name} is templated but not an argument"
    kwargs = {name: f"{{{{ {name} }}}}" for name in operator.template_fields}
    required = {
        n: "x"
        for n, p in signature.parameters.items()
        if p.default is inspect.Parameter.empty and n not in kwargs and p.kind is p.KEYWORD_ONLY
    }
    task = operator(task_id="t", **kwargs, **required)
    for name in operator.template_fields:
        assert getattr(task, name) == kwargs[name]


def test_resolve_run_fails_without_retry_on_bad_params() -> None:
    from airflow.sdk.exceptions import AirflowFailException

    context: dict[str, Any] = {"params": {"model_uri": "s3://b/m.zip"}, "run_id": "manual__x"}
    with pytest.raises(AirflowFailException, match="no data interval and no dates"):
        ResolveRunOperator(task_id="r").execute(context)


def test_fetch_model_wires_hook_and_fetcher(tmp_path: Any) -> None:
    with (
        mock.patch("arxiv_labeler.operators.fetch_model.ModelStoreHook") as hook,
        mock.patch("arxiv_labeler.operators.fetch_model.ModelFetcher") as fetcher,
    ):
        fetcher.return_value.fetch.return_value = FETCHED
        result = FetchModelOperator(task_id="f", run_config=CONFIG, cache_dir=str(tmp_path), aws_conn_id="c").execute({})
    hook.assert_called_once_with("c")
    fetcher.return_value.fetch.assert_called_once_with("s3://b/m.zip")
    assert result["model_id"] == "m@sha256:x" and result["labels"] == ["a"]


def test_harvest_wires_hook_and_harvester(tmp_path: Any) -> None:
    with (
        mock.patch("arxiv_labeler.operators.harvest.OaiHook") as hook,
        mock.patch("arxiv_labeler.operators.harvest.Harvester") as harvester,
    ):
        harvester.return_value.harvest.return_value = HarvestResult(DAY, DAY, [], [DayResult(DAY, records=3)])
        result = HarvestArxivOperator(task_id="h", run_config=CONFIG, landing_dir=str(tmp_path), http_conn_id="oai").execute({})
    hook.assert_called_once_with("oai")
    harvester.return_value.harvest.assert_called_once()
    hook.return_value.get_client.return_value.close.assert_called_once()
    assert result["records"] == 3


def test_classify_on_kill_stops_spark() -> None:
    task = ClassifyPapersOperator(task_id="c", run_config=CONFIG, model={}, harvest={}, output_dir="/tmp")
    task._spark = mock.Mock()
    task.on_kill()
    task._spark.stop.assert_called_once()


def test_load_refuses_when_the_labeled_output_it_was_promised_is_gone(tmp_path: Any) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    output = str(tmp_path / "labeled" / "model=abc")  # removed since classify ran
    classify = ClassifyResult(output, "onnx", "", FETCHED.model_id, ["a"], 3, 3, 0, 0, 0).to_xcom()
    harvest = HarvestResult(DAY, DAY, []).to_xcom()
    task = LoadWarehouseOperator(task_id="l", run_config=CONFIG, model=FETCHED.to_xcom(), harvest=harvest, classify=classify)
    with (
        mock.patch("arxiv_labeler.operators.load_warehouse.WarehouseHook") as hook,
        pytest.raises(AirflowFailException, match=r"classify labeled 3 papers but .*model=abc holds no labeled output"),
    ):
        task.execute({"run_id": "manual__x", "dag_run": mock.Mock()})
    hook.assert_not_called()  # nothing loaded: no papers without their labels
