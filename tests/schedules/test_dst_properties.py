"""Property tests: cron, rrule and interval schedules against ``zoneinfo`` across daylight-saving
transitions.

The oracle does not share the implementation's method: it walks every minute of real (UTC) time
around a transition, reads the wall clock there with ``zoneinfo`` and asks croniter whether the
expression matches that wall-clock time; the wall-clock minutes the clocks skip are added at the
same distance past the jump. The schedule's answer (which generates wall-clock times and maps
them to instants) must be exactly that set, per the rules in ``praefect.schemas.schedules``.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from praefect.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
WINDOW = dt.timedelta(hours=3)

# Zones with daylight saving of every shape: both hemispheres, a transition at local midnight
# (Santiago), a half-hour shift (Lord Howe), half-hour offsets (St John's, Chatham).
ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/St_Johns",
    "Pacific/Chatham",
]

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def _transitions(zone: str, year: int) -> tuple[dt.datetime, ...]:
    """The UTC instants (to the minute) at which ``zone`` changes offset during ``year``."""
    tz = zoneinfo.ZoneInfo(zone)

    def offset(instant: dt.datetime) -> dt.timedelta | None:
        return instant.astimezone(tz).utcoffset()

    found = []
    day = dt.datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        low, high = day, day + dt.timedelta(days=1)
        if offset(low) != offset(high):
            while high - low > MINUTE:  # the first minute of the new offset
                middle = low + (high - low) // 2
                middle -= dt.timedelta(seconds=middle.second, microseconds=middle.microsecond)
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            found.append(high)
        day += dt.timedelta(days=1)
    return tuple(found)


@st.composite
def transitions(draw: st.DrawFn) -> tuple[str, dt.datetime]:
    zone = draw(st.sampled_from(ZONES))
    year = draw(st.integers(2005, 2035))
    found = _transitions(zone, year)
    if not found:  # a year the zone kept one offset (Santiago's rules changed often)
        return zone, dt.datetime(year, 6, 1, tzinfo=UTC)
    return zone, draw(st.sampled_from(found))


def _oracle(
    matches, zone: str, start: dt.datetime, end: dt.datetime, every_hour: bool
) -> list[dt.datetime]:
    tz = zoneinfo.ZoneInfo(zone)
    expected = set()
    instant = start
    while instant <= end:
        local = instant.astimezone(tz)
        wall = local.replace(tzinfo=None)
        if matches(wall) and (local.fold == 0 or every_hour):
            expected.add(instant)
        after = (instant + MINUTE).astimezone(tz).replace(tzinfo=None)
        skipped = wall + MINUTE
        while skipped < after:  # wall-clock minutes the clocks jump over
            if matches(skipped):
                shifted = instant + (skipped - wall)
                if start <= shifted <= end:
                    expected.add(shifted)
            skipped += MINUTE
        instant += MINUTE
    return sorted(expected)


MINUTES = st.sampled_from(["0", "30", "15,45", "*/15", "*/20", "5", "59", "*"])
HOURS = st.sampled_from(["*", "0", "1", "2", "3", "22", "23", "1,2", "0-3", "*/2"])
DAYS_OF_WEEK = st.sampled_from(["*", "*", "1-5", "0,6"])


@PROPERTY
@given(place=transitions(), minute=MINUTES, hour=HOURS, dow=DAYS_OF_WEEK)
def test_cron_fires_at_matching_wall_clock_times_across_dst(place, minute, hour, dow):
    zone, transition = place
    cron = f"{minute} {hour} * * {dow}"
    start, end = transition - WINDOW, transition + WINDOW
    schedule = CronSchedule(cron=cron, timezone=zone)

    got = schedule.get_dates(1000, start=start, end=end)

    every_hour = croniter(cron).expanded[1] == ["*"] or hour == "*"
    expected = _oracle(lambda w: croniter.match(cron, w), zone, start, end, every_hour)
    assert [d.astimezone(UTC) for d in got] == expected
    assert all(d.tzinfo == zoneinfo.ZoneInfo(zone) for d in got)


@PROPERTY
@given(
    place=transitions(),
    minutes=st.lists(st.integers(0, 59), min_size=1, max_size=3, unique=True),
    hours=st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True),
)
def test_daily_rrule_fires_at_matching_wall_clock_times_across_dst(place, minutes, hours):
    zone, transition = place
    by_minute = ",".join(map(str, sorted(minutes)))
    by_hour = ",".join(map(str, sorted(hours)))
    rule = f"DTSTART:20000101T000000\nRRULE:FREQ=DAILY;BYHOUR={by_hour};BYMINUTE={by_minute}"
    start, end = transition - WINDOW, transition + WINDOW

    got = RRuleSchedule(rrule=rule, timezone=zone).get_dates(1000, start=start, end=end)

    expected = _oracle(
        lambda w: w.hour in hours and w.minute in minutes, zone, start, end, every_hour=False
    )
    assert [d.astimezone(UTC) for d in got] == expected


@PROPERTY
@given(place=transitions(), minute=st.integers(0, 59))
def test_hourly_rrule_fires_every_hour_of_real_time_across_dst(place, minute):
    zone, transition = place
    rule = f"DTSTART:20000101T000000\nRRULE:FREQ=HOURLY;BYMINUTE={minute}"
    start, end = transition - WINDOW, transition + WINDOW

    got = RRuleSchedule(rrule=rule, timezone=zone).get_dates(1000, start=start, end=end)

    expected = _oracle(lambda w: w.minute == minute, zone, start, end, every_hour=True)
    assert [d.astimezone(UTC) for d in got] == expected


@PROPERTY
@given(
    place=transitions(),
    seconds=st.integers(60, 6 * 3600),
    offset=st.integers(0, 86399),
)
def test_sub_day_interval_counts_elapsed_time_across_dst(place, seconds, offset):
    zone, transition = place
    interval = dt.timedelta(seconds=seconds)
    anchor = dt.datetime(2001, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=offset)
    start = transition - WINDOW
    schedule = IntervalSchedule(interval=interval, anchor_date=anchor, timezone=zone)

    got = schedule.get_dates(5, start=start)

    # (arithmetic on datetimes of one zone is wall-clock arithmetic: compare in UTC)
    utc = [d.astimezone(UTC) for d in got]
    assert len(utc) == 5
    assert utc[0] >= start and utc[0] - interval < start
    assert all(b - a == interval for a, b in zip(utc, utc[1:], strict=False))
    assert all((d - anchor) % interval == dt.timedelta(0) for d in got)


@PROPERTY
@given(
    place=transitions(),
    days=st.integers(1, 3),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
)
def test_whole_day_interval_keeps_the_anchor_wall_clock_time_across_dst(place, days, hour, minute):
    zone, transition = place
    tz = zoneinfo.ZoneInfo(zone)
    anchor = dt.datetime(2001, 1, 1, hour, minute, tzinfo=tz)
    start = transition - dt.timedelta(days=days + 1)
    schedule = IntervalSchedule(interval=dt.timedelta(days=days), anchor_date=anchor)

    got = schedule.get_dates(4, start=start)

    assert schedule.timezone == zone
    walls = [d.replace(tzinfo=None) for d in got]
    for date, wall in zip(got, walls, strict=True):
        intended = dt.datetime.combine(wall.date(), dt.time(hour, minute))
        exists = (
            intended.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
            == intended
        )
        if exists:
            assert wall == intended and date.fold == 0
        else:  # skipped by the clocks: fires the same distance past the jump
            assert wall > intended
    assert all(
        (b.date() - a.date()).days in (days, days - 1, days + 1)
        for a, b in zip(walls, walls[1:], strict=False)
    )
    assert [d.astimezone(UTC) for d in got] == sorted({d.astimezone(UTC) for d in got})
