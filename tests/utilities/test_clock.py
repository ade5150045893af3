"""The injectable clock (``praefect.utilities.clock``)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from praefect.utilities import clock

T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_manual_clock_stands_still_until_moved():
    manual = clock.ManualClock(T0)
    assert manual.now() == manual.now() == T0
    assert manual.advance(dt.timedelta(minutes=1)) == T0 + dt.timedelta(minutes=1)
    manual.set(dt.datetime(2031, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert manual.now() == dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    assert manual.now().tzinfo is dt.UTC


def test_manual_clock_refuses_naive_times_and_going_back():
    with pytest.raises(ValueError, match="timezone-aware start time"):
        clock.ManualClock(dt.datetime(2030, 1, 1))
    manual = clock.ManualClock(T0)
    with pytest.raises(ValueError, match="only moves forward; got a step of -1 day"):
        manual.advance(dt.timedelta(days=-1))
    with pytest.raises(ValueError, match="timezone-aware time"):
        manual.set(dt.datetime(2030, 1, 1))


def test_use_clock_sets_the_process_clock_for_every_thread():
    manual = clock.ManualClock(T0)
    seen = []
    with clock.use_clock(manual):
        thread = threading.Thread(target=lambda: seen.append(clock.now()))
        thread.start()
        thread.join()
        assert clock.now() == T0
    assert seen == [T0]
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_system_clock_is_aware_utc():
    assert clock.SystemClock().now().tzinfo is dt.UTC


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(clock)
    assert result.failed == 0 and result.attempted > 0
