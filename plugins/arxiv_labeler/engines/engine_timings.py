"""Where the onnx engine's time goes inside Spark's Python workers, summed over tasks by an accumulator.

Each worker times its own steps with ``time.perf_counter`` and adds them to a Spark
accumulator when its task ends; the driver reads the sums after the job. What a
core did outside these steps (scheduling, shuffles, the Parquet write, idle cores
at the end of an uneven job) is the stage's wall time times its cores minus them.
A task that Spark retries adds its steps twice: the figures are a profile, not an audit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Steps in the order a batch meets them: "batch" is sorting by length and padding, "graph" is session.run alone.
STEPS = ("session_load", "arrow_in", "tokenize", "batch", "graph", "annotate", "arrow_out")


@dataclass
class EngineTimings:
    """Seconds per step, papers and tasks, summed over every Python worker of one job."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    papers: int = 0
    tasks: int = 0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Add the time spent in the ``with`` block to step ``name``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def add(self, other: EngineTimings) -> EngineTimings:
        """Add ``other``'s figures to these (in place) and return self."""
        for name, value in other.seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + value
        self.papers += other.papers
        self.tasks += other.tasks
        return self

    def busy_seconds(self) -> float:
        """Core-seconds spent in the measured steps."""
        return sum(self.seconds.values())

    def summary(self) -> dict[str, object]:
        """The figures as a JSON-able dict (XCom, logs, the benchmark)."""
        return {
            "seconds": {name: round(value, 3) for name, value in self.seconds.items()},
            "papers": self.papers,
            "tasks": self.tasks,
        }
