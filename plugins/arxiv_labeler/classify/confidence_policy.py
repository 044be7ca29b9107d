"""The confidence policy: a paper whose top score is below its threshold is stored as ``unclassified``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from arxiv_labeler.errors import ConfigError

UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class ConfidencePolicy:
    """``min_score`` for every label, or a per-label threshold; the raw top label is always kept."""

    min_score: float = 0.0
    label_thresholds: Mapping[str, float] = field(default_factory=dict)

    def threshold_for(self, label: str) -> float:
        """The score a paper labeled ``label`` must reach."""
        return float(self.label_thresholds.get(label, self.min_score))

    def apply(self, label: str, score: float) -> str:
        """The label to store: ``label``, or ``unclassified`` when ``score`` is below its threshold."""
        return UNCLASSIFIED if score < self.threshold_for(label) else label

    def validate(self, labels: Sequence[str]) -> ConfidencePolicy:
        """Check the per-label thresholds name the model's labels.

        Raises:
            ConfigError: naming the unknown labels and the model's labels.
        """
        unknown = sorted(set(self.label_thresholds) - set(labels))
        if unknown:
            raise ConfigError(
                f"param label_thresholds names labels the model does not have: {', '.join(unknown)} "
                f"(the model's labels: {', '.join(labels)})"
            )
        return self

    def to_xcom(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"min_score": self.min_score, "label_thresholds": dict(self.label_thresholds)}


def fraction(name: str, value: Any) -> float:
    """A param that must be a number in [0, 1].

    Raises:
        ConfigError: naming the param and the value.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"param {name} must be a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ConfigError(f"param {name} must be between 0 and 1, got {number}")
    return number


def parse_policy(min_score: Any, label_thresholds: Any, model_default: float | None = None) -> ConfidencePolicy:
    """The policy from the params (``min_score`` empty: the model's default, else 0; thresholds as a dict or JSON).

    Raises:
        ConfigError: a value outside [0, 1], or thresholds that are not a JSON object of numbers.
    """
    base = fraction("min_score", min_score) if min_score not in (None, "") else (model_default or 0.0)
    raw = label_thresholds
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ConfigError(f"param label_thresholds is not JSON: {exc.msg} at column {exc.colno}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f'param label_thresholds must be a JSON object like {{"cs": 0.6}}, got {raw!r}')
    return ConfidencePolicy(base, {str(k): fraction(f"label_thresholds[{k}]", v) for k, v in raw.items()})
