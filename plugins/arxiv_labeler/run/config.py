"""What one DAG run processes: its interval (whole UTC days) and options, from params or the data interval."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.classify.confidence_policy import fraction, parse_policy
from arxiv_labeler.errors import ConfigError, RunConfigError
from arxiv_labeler.harvest.taxonomy import validate_set
from arxiv_labeler.model.fetch import S3Location

KNOWN_PARAMS = frozenset(
    {
        "from_date",
        "until_date",
        "sets",
        "model_uri",
        "engine",
        "reclassify",
        "quantize",
        "min_score",
        "label_thresholds",
        "drift_warn",
        "drift_fail",
        "category_agreement_warn",
        "category_agreement_fail",
    }
)


@dataclass(frozen=True)
class RunConfig:
    """The run's hand-off to every stage: days [start, end] inclusive, and the options."""

    start: dt.date
    end: dt.date
    model_uri: str
    engine: str = settings.DEFAULT_ENGINE
    sets: list[str] = field(default_factory=list)
    reclassify: bool = False
    quantize: str = settings.DEFAULT_QUANTIZE
    source: str = "data_interval"
    min_score: float | None = None  # None: the model's default (metadata ``minScore``), else 0
    label_thresholds: dict[str, float] = field(default_factory=dict)
    drift_warn: float = settings.DRIFT_WARN
    drift_fail: float = settings.DRIFT_FAIL
    category_agreement_warn: float = settings.CATEGORY_AGREEMENT_WARN
    category_agreement_fail: float = settings.CATEGORY_AGREEMENT_FAIL

    def to_xcom(self) -> dict[str, Any]:
        """JSON-able form (dates as ISO strings)."""
        return asdict(self) | {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_xcom(cls, data: Mapping[str, Any]) -> RunConfig:
        """Inverse of :meth:`to_xcom`."""
        return cls(**{**data, "start": dt.date.fromisoformat(data["start"]), "end": dt.date.fromisoformat(data["end"])})


def _date(name: str, value: Any) -> dt.date | None:
    """A param's day: empty is None; a date or datetime as given; text ``YYYY-MM-DD`` (a time after it is ignored)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    day, _, _time = text.replace("T", " ").partition(" ")  # the REST API may send a datetime
    try:
        return settings.parse_day(day, f"param {name}")
    except ValueError as exc:
        raise RunConfigError(str(exc).replace(repr(day), repr(value))) from None


def resolve_run_config(
    params: Mapping[str, Any],
    data_interval_start: dt.datetime | None,
    data_interval_end: dt.datetime | None,
    today: dt.date | None = None,
    run_type: str | None = None,
) -> RunConfig:
    """Decide the run's days and options; params' dates win over the data interval, except in a backfill.

    A run covers each UTC day whose end falls inside its data interval: the
    scheduled run at D+1 06:00 (interval D 06:00 .. D+1 06:00) covers day D.

    Raises:
        RunConfigError: unknown params, bad dates or order, unknown set, bad model URI or
            engine, no dates at all (a manual run without a data interval), or dates in a backfill.
    """
    unknown = set(params) - KNOWN_PARAMS
    if unknown:
        raise RunConfigError(f"unknown params {sorted(unknown)}; allowed: {sorted(KNOWN_PARAMS)}")
    start, end, source = _days(params, data_interval_start, data_interval_end, run_type)
    today = today or dt.datetime.now(dt.UTC).date()
    if start > today:
        raise RunConfigError(f"from_date {start} is in the future (today is {today} UTC)")
    return RunConfig(start, end, source=source, **_options(params))


def _days(
    params: Mapping[str, Any], interval_start: dt.datetime | None, interval_end: dt.datetime | None, run_type: str | None
) -> tuple[dt.date, dt.date, str]:
    """(first day, last day, where they came from): the params' dates, else the data interval's whole UTC days."""
    start = _date("from_date", params.get("from_date"))
    end = _date("until_date", params.get("until_date"))
    if run_type == "backfill" and (start or end):
        # Every run of a backfill would harvest the same days: its runs take their days from its date range.
        raise RunConfigError(
            "a backfill takes its days from its date range (each run covers its own data interval): "
            f"leave from_date and until_date empty (got from_date={params.get('from_date')!r}, "
            f"until_date={params.get('until_date')!r})"
        )
    if start is None and end is not None:
        raise RunConfigError("param until_date is set but from_date is not: set from_date too (YYYY-MM-DD)")
    if start is not None:
        end = end or start
        if end < start:
            raise RunConfigError(f"until_date {end} is before from_date {start}")
        return start, end, "params"
    if interval_start is None or interval_end is None:
        raise RunConfigError(
            "this run has no data interval and no dates: trigger it with params from_date "
            '(and optionally until_date), e.g. {"from_date": "2026-11-20", "until_date": "2026-11-20"}'
        )
    # The run covers each UTC day D whose end (D+1 00:00) falls in (start, end].
    first = interval_start.astimezone(dt.UTC).date()
    last = interval_end.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    if last < first:
        raise RunConfigError(
            f"data interval {interval_start.isoformat()}..{interval_end.isoformat()} covers no whole UTC day; "
            "trigger with params from_date (and until_date)"
        )
    return first, last, "data_interval"


def _options(params: Mapping[str, Any]) -> dict[str, Any]:
    """Every option but the days, validated (RunConfig's keyword arguments)."""
    sets = params.get("sets") or []
    if isinstance(sets, str):
        sets = [s.strip() for s in sets.split(",") if s.strip()]
    model_uri = str(params.get("model_uri") or "")
    try:
        sets = [validate_set(s) for s in sets]
    except ConfigError as exc:
        raise RunConfigError(f"param sets: {exc}") from None
    try:
        S3Location.parse(model_uri)
    except ConfigError as exc:
        raise RunConfigError(f"param model_uri: {exc}") from None
    engine = str(params.get("engine") or settings.DEFAULT_ENGINE)
    if engine not in settings.ENGINES:
        raise RunConfigError(f"param engine must be one of {', '.join(settings.ENGINES)}, got {engine!r}")
    quantize = str(params.get("quantize") or settings.DEFAULT_QUANTIZE)
    if quantize not in settings.QUANTIZE_MODES:
        raise RunConfigError(f"param quantize must be one of {', '.join(settings.QUANTIZE_MODES)}, got {quantize!r}")
    try:
        policy = parse_policy(params.get("min_score"), params.get("label_thresholds"))
        drift_warn = fraction("drift_warn", _or_default(params.get("drift_warn"), settings.DRIFT_WARN))
        drift_fail = fraction("drift_fail", _or_default(params.get("drift_fail"), settings.DRIFT_FAIL))
        agreement_warn = fraction(
            "category_agreement_warn", _or_default(params.get("category_agreement_warn"), settings.CATEGORY_AGREEMENT_WARN)
        )
        agreement_fail = fraction(
            "category_agreement_fail", _or_default(params.get("category_agreement_fail"), settings.CATEGORY_AGREEMENT_FAIL)
        )
    except ConfigError as exc:
        raise RunConfigError(str(exc)) from None
    if drift_fail < drift_warn:
        raise RunConfigError(f"param drift_fail ({drift_fail}) is below drift_warn ({drift_warn})")
    if agreement_fail > agreement_warn:
        # Agreement fails below its threshold: the failure line must lie under the warning line.
        raise RunConfigError(
            f"param category_agreement_fail ({agreement_fail}) is above category_agreement_warn ({agreement_warn})"
        )
    return {
        "model_uri": model_uri,
        "engine": engine,
        "sets": list(sets),
        "reclassify": bool(params.get("reclassify", False)),
        "quantize": quantize,
        "min_score": policy.min_score if params.get("min_score") not in (None, "") else None,
        "label_thresholds": dict(policy.label_thresholds),
        "drift_warn": drift_warn,
        "drift_fail": drift_fail,
        "category_agreement_warn": agreement_warn,
        "category_agreement_fail": agreement_fail,
    }


def _or_default(value: Any, default: float) -> Any:
    """A param left empty in the form (None or "") takes its default."""
    return default if value in (None, "") else value
