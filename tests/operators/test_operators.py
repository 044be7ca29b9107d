"""Operators are wiring: template fields, and each execute makes the calls it should (hooks patched)."""

from __future__ import annotations

import inspect
from typing import Any
from unittest import mock

import pytest
from arxiv_labeler.classify.result import ClassifyResult
from arxiv_labeler.harvest.result import DayResult, HarvestResult
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.model.quantize import Int8Decision
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
    config = RunConfig(DAY, DAY, "s3://b/m.zip", quantize="none").to_xcom()
    with (
        mock.patch("arxiv_labeler.operators.fetch_model.ModelStoreHook") as hook,
        mock.patch("arxiv_labeler.operators.fetch_model.ModelFetcher") as fetcher,
        mock.patch("arxiv_labeler.engines.int8_check.decide_int8") as decide,
    ):
        fetcher.return_value.fetch.return_value = FETCHED
        result = FetchModelOperator(task_id="f", run_config=config, cache_dir=str(tmp_path), aws_conn_id="c").execute({})
    hook.assert_called_once_with("c")
    fetcher.return_value.fetch.assert_called_once_with("s3://b/m.zip")
    decide.assert_not_called()  # quantize=none needs no int8 check
    assert result["model_id"] == "m@sha256:x" and result["labels"] == ["a"] and result["int8"] is None


def test_fetch_model_decides_quantize_auto_once_per_model_and_hands_it_on(tmp_path: Any) -> None:
    decision = Int8Decision("none", "int8 changes the label of 5 of 276 papers", agreement=0.9819, papers=276, changed=5)
    assert RunConfig.from_xcom(CONFIG).quantize == "auto"  # the default
    with (
        mock.patch("arxiv_labeler.operators.fetch_model.ModelStoreHook"),
        mock.patch("arxiv_labeler.operators.fetch_model.ModelFetcher") as fetcher,
        mock.patch.object(FetchedModel, "archive") as archive,
        mock.patch("arxiv_labeler.engines.int8_check.decide_int8", return_value=decision) as decide,
    ):
        fetcher.return_value.fetch.return_value = FETCHED
        result = FetchModelOperator(task_id="f", run_config=CONFIG, cache_dir=str(tmp_path)).execute({})
    decide.assert_called_once_with(archive.return_value, FETCHED.int8_decisions_dir)
    assert str(FETCHED.int8_decisions_dir) == "/cache/int8-decisions"  # in the model's cache entry
    handed_on = FetchedModel.from_xcom(result)
    assert handed_on.int8 == decision and handed_on.quantize_for("auto") == "none"


def test_fetch_model_skips_the_int8_check_for_the_sparknlp_engine(tmp_path: Any) -> None:
    config = RunConfig(DAY, DAY, "s3://b/m.zip", engine="sparknlp").to_xcom()
    with (
        mock.patch("arxiv_labeler.operators.fetch_model.ModelStoreHook"),
        mock.patch("arxiv_labeler.operators.fetch_model.ModelFetcher") as fetcher,
        mock.patch("arxiv_labeler.engines.int8_check.decide_int8") as decide,
    ):
        fetcher.return_value.fetch.return_value = FETCHED
        FetchModelOperator(task_id="f", run_config=config, cache_dir=str(tmp_path)).execute({})
    decide.assert_not_called()


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


@pytest.mark.parametrize(
    ("requested", "decided", "runs"), [("auto", "int8", "int8"), ("auto", "none", "none"), ("none", "int8", "none")]
)
def test_classify_runs_the_graph_the_fetch_decided(requested: str, decided: str, runs: str) -> None:
    import dataclasses

    config = RunConfig(DAY, DAY, "s3://b/m.zip", reclassify=True, quantize=requested).to_xcom()
    fetched = dataclasses.replace(FETCHED, int8=Int8Decision(decided, "measured")).to_xcom()
    harvest = HarvestResult(DAY, DAY, ["/landed/day=2026-11-20"]).to_xcom()
    engine = mock.Mock()
    engine.name = "onnx"
    result = ClassifyResult("/out", "onnx", "", FETCHED.model_id, ["a"], 3, 3, 0, 0, 0)
    with (
        mock.patch("arxiv_labeler.classify.landed_papers.LandedKeys"),
        mock.patch("arxiv_labeler.operators.classify.SparkHook"),
        mock.patch.object(FetchedModel, "archive"),
        mock.patch("arxiv_labeler.classify.stage.result_without_spark", return_value=None),
        mock.patch("arxiv_labeler.classify.landed_papers.count_papers"),
        mock.patch("arxiv_labeler.classify.landed_papers.text_bytes_in_flight", return_value=0),
        mock.patch("arxiv_labeler.spark.session.driver_memory_for", return_value="1g"),
        mock.patch("arxiv_labeler.spark.session.start_session"),
        mock.patch("arxiv_labeler.spark.session.stop_session"),
        mock.patch("arxiv_labeler.classify.stage.choose_engine", return_value=(engine, "onnx requested")) as choose,
        mock.patch("arxiv_labeler.classify.stage.classify_records", return_value=result) as classify_records,
    ):
        ClassifyPapersOperator(task_id="c", run_config=config, model=fetched, harvest=harvest, output_dir="/out").execute({})
    assert choose.call_args.kwargs["quantize"] == runs
    expected = f"onnx requested; quantize={requested}: {'int8' if runs == 'int8' else 'fp32'}"
    assert classify_records.call_args.kwargs["engine_reason"] == expected
