"""The classify stage's hand-off: where the labeled Parquet is and what the stage did (no Spark here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class ClassifyResult:
    """The classify stage's hand-off: where the labeled Parquet is and what the stage did."""

    output_path: str
    engine: str
    engine_reason: str
    model_id: str
    labels: list[str]
    papers: int
    classified: int
    skipped_unchanged: int
    title_only: int
    no_text: int
    engine_timings: dict[str, object] | None = None
    seconds: float = 0.0  # the classify task's wall time
    phases: dict[str, float] = field(default_factory=dict)  # the task's wall seconds per phase (its fixed cost)

    def to_xcom(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    @classmethod
    def from_xcom(cls, data: Mapping[str, Any]) -> ClassifyResult:
        """Inverse of :meth:`to_xcom`."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
