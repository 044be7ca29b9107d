"""A tqdm bar over Spark's task progress, for the command line."""

from __future__ import annotations

import threading
from types import TracebackType

from pyspark import SparkContext
from tqdm import tqdm


class SparkProgressBar:
    """Shows completed/total tasks of the running Spark jobs while the ``with`` block runs."""

    def __init__(self, context: SparkContext, description: str, disable: bool = False) -> None:
        self.context = context
        self.bar = tqdm(total=0, unit=" tasks", desc=description, disable=disable)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        tracker = self.context.statusTracker()
        while not self._stop.wait(0.5):
            total = done = 0
            for stage_id in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage_id)
                if info is not None:
                    total += info.numTasks
                    done += info.numCompletedTasks
            if total:
                self.bar.total = max(self.bar.total or 0, total)
                self.bar.n = min(done, self.bar.total)
                self.bar.refresh()

    def __enter__(self) -> SparkProgressBar:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        if exc is None and self.bar.total:
            self.bar.n = self.bar.total
        self.bar.close()
