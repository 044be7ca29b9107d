"""Wall seconds per phase of the classify task: where its fixed cost goes (``ClassifyResult.phases``)."""

from __future__ import annotations

import time


class PhaseClock:
    """Each ``mark(name)`` records the seconds since the previous mark (or since the clock started) under ``name``."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, name: str) -> None:
        """Close the running phase as ``name`` and start the next one."""
        now = time.perf_counter()
        self.phases[name] = round(now - self._last, 3)
        self._last = now
