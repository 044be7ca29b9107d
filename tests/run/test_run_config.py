"""Run configuration: intervals from the data interval or params, and clear rejections."""

from __future__ import annotations

import datetime as dt

import pytest
from arxiv_labeler.errors import RunConfigError
from arxiv_labeler.run.config import RunConfig, resolve_run_config

URI = "s3://auxdata.johnsnowlabs.com/public/models/arxiv_classifier_en_5.5.1_3.0_1744125685973.zip"
BASE = {"model_uri": URI, "engine": "auto", "sets": [], "reclassify": False}
UTC = dt.UTC


def test_scheduled_run_covers_the_previous_utc_day() -> None:
    config = resolve_run_config(BASE, dt.datetime(2026, 11, 20, 6, tzinfo=UTC), dt.datetime(2026, 11, 21, 6, tzinfo=UTC))
    assert (config.start, config.end, config.source) == (dt.date(2026, 11, 20), dt.date(2026, 11, 20), "data_interval")


def test_midnight_aligned_interval_is_one_day_too() -> None:
    config = resolve_run_config(BASE, dt.datetime(2026, 11, 20, tzinfo=UTC), dt.datetime(2026, 11, 21, tzinfo=UTC))
    assert (config.start, config.end) == (dt.date(2026, 11, 20),) * 2


def test_params_win_over_the_interval() -> None:
    params = BASE | {"from_date": "2026-11-01", "until_date": "2026-11-03", "sets": "cs, math:math:NA"}
    config = resolve_run_config(params, dt.datetime(2026, 11, 20, 6, tzinfo=UTC), dt.datetime(2026, 11, 21, 6, tzinfo=UTC))
    assert (config.start, config.end, config.sets, config.source) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 3),
        ["cs", "math:math:NA"],
        "params",
    )
    assert RunConfig.from_xcom(config.to_xcom()) == config


def test_manual_run_without_interval_or_dates_says_what_to_set() -> None:
    with pytest.raises(RunConfigError, match=r"no data interval and no dates: trigger it with params from_date"):
        resolve_run_config(BASE, None, None)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from_date": "2026-11-05", "until_date": "2026-11-01"}, "until_date 2026-11-01 is before from_date 2026-11-05"),
        ({"from_date": "20/11/2026"}, "from_date must be a date YYYY-MM-DD, got '20/11/2026'"),
        ({"from_date": "2026-02-30"}, "not a real date"),
        ({"until_date": "2026-11-01"}, "until_date is set but from_date is not"),
        ({"from_date": "2026-11-01", "sets": ["compsci"]}, "unknown arXiv set 'compsci'"),
        (
            {"from_date": "2026-11-01", "model_uri": "https://example.com/m.zip"},
            "model URI must look like s3://bucket/path/model.zip",
        ),
        ({"from_date": "2026-11-01", "engine": "tensorflow"}, "engine must be one of auto, onnx, sparknlp"),
        ({"from_date": "2026-11-01", "from_dat": "x"}, r"unknown params \['from_dat'\]"),
        ({"from_date": "2099-01-01"}, "is in the future"),
    ],
)
def test_bad_params_are_rejected_with_the_reason(params: dict, message: str) -> None:
    with pytest.raises(RunConfigError, match=message):
        resolve_run_config(BASE | params, None, None)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sets": ["cs:nonexistent"]}, "param sets: unknown arXiv set 'cs:nonexistent'"),
        ({"sets": ["physics:astro-ph:XX"]}, "unknown arXiv set 'physics:astro-ph:XX'"),
        ({"from_date": "2011-2-3"}, "param from_date must be a date YYYY-MM-DD"),
    ],
)
def test_sets_and_dates_arxiv_does_not_have_are_refused(params: dict[str, object], message: str) -> None:
    with pytest.raises(RunConfigError, match=message.replace("(", r"\(")):
        resolve_run_config(BASE | {"from_date": "2026-11-19"} | params, None, None)


def test_the_trigger_form_offers_exactly_arxivs_sets() -> None:
    from arxiv_labeler.harvest.taxonomy import arxiv_sets

    sets = arxiv_sets()
    assert {"cs", "cs:cs", "cs:cs:AI", "physics:astro-ph", "physics:cond-mat:mtrl-sci", "math:math:NA", "physics:hep-th"} <= sets
    assert not {"cs:nonexistent", "physics:hep-th:XX", "biology"} & sets


def test_a_backfill_with_dates_is_refused_saying_it_takes_its_days_from_its_range() -> None:
    interval = (dt.datetime(2026, 11, 20, 6, tzinfo=UTC), dt.datetime(2026, 11, 21, 6, tzinfo=UTC))
    with pytest.raises(RunConfigError, match="a backfill takes its days from its date range"):
        resolve_run_config(BASE | {"from_date": "2026-11-02"}, *interval, run_type="backfill")
    config = resolve_run_config(BASE, *interval, run_type="backfill")
    assert (config.start, config.end, config.source) == (dt.date(2026, 11, 20), dt.date(2026, 11, 20), "data_interval")
    assert resolve_run_config(BASE | {"from_date": "2026-11-02"}, *interval, run_type="manual").start == dt.date(2026, 11, 2)


def test_optional_params_left_empty_in_the_form_take_their_defaults() -> None:
    params = BASE | {"from_date": "2026-11-19", "sets": None, "label_thresholds": None, "drift_warn": None, "drift_fail": ""}
    config = resolve_run_config(params, None, None)
    assert (config.sets, config.label_thresholds, config.drift_warn, config.drift_fail) == ([], {}, 0.25, 0.5)


def test_category_agreement_thresholds_default_when_empty_and_are_checked() -> None:
    base = BASE | {"from_date": "2026-11-19"}
    config = resolve_run_config(base | {"category_agreement_warn": None, "category_agreement_fail": ""}, None, None)
    assert (config.category_agreement_warn, config.category_agreement_fail) == (0.8, 0.6)
    config = resolve_run_config(base | {"category_agreement_warn": 0.9, "category_agreement_fail": 0.7}, None, None)
    assert RunConfig.from_xcom(config.to_xcom()) == config and config.category_agreement_fail == 0.7
    with pytest.raises(RunConfigError, match=r"category_agreement_fail \(0.9\) is above category_agreement_warn \(0.8\)"):
        resolve_run_config(base | {"category_agreement_fail": 0.9}, None, None)
    with pytest.raises(RunConfigError, match="category_agreement_warn"):
        resolve_run_config(base | {"category_agreement_warn": 1.5}, None, None)
