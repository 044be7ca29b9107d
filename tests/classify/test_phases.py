"""The classify task's phase clock."""

from __future__ import annotations

import time

from arxiv_labeler.classify.phases import PhaseClock


def test_each_mark_records_the_time_since_the_previous_one() -> None:
    clock = PhaseClock()
    time.sleep(0.05)
    clock.mark("first")
    clock.mark("second")
    assert list(clock.phases) == ["first", "second"]
    assert clock.phases["first"] >= 0.05 and clock.phases["second"] < clock.phases["first"]
