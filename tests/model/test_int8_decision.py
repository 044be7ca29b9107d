"""quantize=auto's decision record: what it says, how a run's quantize resolves, and how it rides in FetchedModel."""

from __future__ import annotations

import dataclasses
import json

import pytest
from arxiv_labeler import settings
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.model.fetch import FetchedModel
from arxiv_labeler.model.quantize import Int8Decision, effective_quantize

FETCHED = FetchedModel("s3://b/m.zip", "m", "etag", "ab" * 32, 10, "/c/e/model.zip", "/c/e/model", True, ("a", "b"), "softmax")
INT8 = Int8Decision("int8", "int8 gives fp32's label to 276 of 276 papers", agreement=1.0, papers=276, int8_speed_ratio=2.4)


def test_auto_is_the_default_and_the_modes_are_offered() -> None:
    assert settings.DEFAULT_QUANTIZE == "auto" and settings.QUANTIZE_MODES == ("none", "int8", "auto")
    assert settings.GRAPH_QUANTIZATIONS == ("none", "int8") and settings.INT8_MIN_AGREEMENT == 0.995


@pytest.mark.parametrize(
    ("requested", "decision", "runs"),
    [
        ("none", INT8, "none"),
        ("int8", None, "int8"),
        ("auto", INT8, "int8"),
        ("auto", dataclasses.replace(INT8, quantize="none"), "none"),
        ("auto", None, "none"),  # never int8 unproven
    ],
)
def test_a_runs_quantize_resolves_to_a_graph(requested: str, decision: Int8Decision | None, runs: str) -> None:
    assert effective_quantize(requested, decision) == runs
    assert dataclasses.replace(FETCHED, int8=decision).quantize_for(requested) == runs


def test_an_unknown_mode_is_refused_naming_the_modes() -> None:
    with pytest.raises(ConfigError, match=r"quantize must be one of \('none', 'int8', 'auto'\), got 'fp16'"):
        effective_quantize("fp16", None)


def test_the_decision_rides_in_the_xcom_and_comes_back_equal() -> None:
    fetched = dataclasses.replace(FETCHED, int8=INT8)
    xcom = json.loads(json.dumps(fetched.to_xcom()))
    assert xcom["int8"]["quantize"] == "int8" and xcom["int8"]["agreement"] == 1.0
    assert FetchedModel.from_xcom(xcom) == fetched


def test_a_manifest_or_xcom_without_a_decision_still_reads() -> None:
    older = {k: v for k, v in FETCHED.to_xcom().items() if k != "int8"}
    assert FetchedModel.from_xcom(older).int8 is None
    assert FetchedModel.from_xcom(FETCHED.to_xcom()).int8 is None


def test_a_decision_naming_no_graph_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"quantize must be one of \('none', 'int8'\), got 'auto'"):
        Int8Decision.from_dict(INT8.to_dict() | {"quantize": "auto"})
    with pytest.raises(ConfigError, match="not an int8 decision"):
        Int8Decision.from_dict({"agreement": 1.0})
    assert Int8Decision.from_dict(INT8.to_dict() | {"from_a_newer_version": 1}) == INT8
