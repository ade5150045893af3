"""Schedules of deployments, with Prefect's names: ``CronSchedule``, ``IntervalSchedule``,
``RRuleSchedule`` and ``NoSchedule``, and the ``DeploymentSchedule`` rows that hold them.

Each schedule answers one question, ``get_dates(n, start, end)``: the next ``n`` times it fires
from ``start`` on (and no later than ``end``), as timezone-aware datetimes in the schedule's
``timezone``.

>>> daily = CronSchedule(cron="0 9 * * *", timezone="America/New_York")
>>> [d.isoformat() for d in daily.get_dates(2, start=_dt.datetime(2024, 3, 9, 15, tzinfo=_dt.UTC))]
['2024-03-10T09:00:00-04:00', '2024-03-11T09:00:00-04:00']

Daylight-saving time (the rules, shared by cron, rrule and day-multiple interval schedules,
which all count in the wall-clock time of ``timezone``):

- a wall-clock time the clocks skip (02:30 on a spring-forward day in New York) fires once, at
  the same distance past the jump (03:30 daylight time): a daily job still runs that day;
- a wall-clock time the clocks repeat (01:30 on a fall-back day) fires once, at its first
  occurrence (01:30 daylight time), unless the schedule fires every hour (a cron whose hour
  field covers all 24 hours, an hourly or finer rrule): then both occurrences fire, so an
  every-15-minutes cron keeps firing every 15 minutes through the repeated hour;
- interval schedules shorter than a whole number of days count elapsed time (an hourly interval
  fires every 60 minutes whatever the clocks do); whole-day intervals keep the anchor's
  wall-clock time (a daily 09:00 interval stays at 09:00 local time across the change).

Times that two rules map to the same instant fire once.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import re
import uuid
import zoneinfo
from collections.abc import Iterator
from typing import Annotated, Any

from dateutil import rrule as _rrule
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    field_serializer,
    field_validator,
    model_validator,
)

from praefect.schemas.states import now_utc

__all__ = [
    "CronSchedule",
    "DeploymentSchedule",
    "DeploymentScheduleCreate",
    "DeploymentScheduleUpdate",
    "IntervalSchedule",
    "MAX_ITERATIONS",
    "NoSchedule",
    "RRuleSchedule",
    "SCHEDULE_TYPES",
    "construct_schedule",
    "is_schedule_type",
]

MAX_ITERATIONS = 1000
"""The most dates one ``get_dates`` call returns (Prefect's bound too)."""

_DEFAULT_ANCHOR = _dt.datetime(2020, 1, 1)  # an RRULE without DTSTART counts from here
_MAX_RRULE_LENGTH = 6500
# Candidates are generated in wall-clock time; mapping them to instants can move them by at most
# the largest daylight-saving shift in the tz database (2 h), so this margin keeps them sorted.
_DST_MARGIN = _dt.timedelta(hours=3)
_DAY = _dt.timedelta(days=1)
_TZID_PARAMETER = re.compile(r";TZID=([^:;\s]+)")
_UTC = _dt.UTC


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _valid_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        _zone(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown timezone {value!r}; expected an IANA name such as 'UTC' or 'America/New_York'"
        ) from None
    return value


def _zone_name(value: _dt.datetime) -> str | None:
    tz = value.tzinfo
    if isinstance(tz, zoneinfo.ZoneInfo) and tz.key:
        return tz.key
    if tz is not None and value.utcoffset() == _dt.timedelta(0):
        return "UTC"
    return None


def _instants(wall: _dt.datetime, tz: zoneinfo.ZoneInfo, both_folds: bool) -> list[_dt.datetime]:
    """The UTC instants at which the naive local time ``wall`` happens in ``tz`` (module rules)."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(_UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(_UTC)
    if first == second:
        return [first]
    if first > second:
        # A skipped time: fold=0 reads it with the offset from before the jump, which lands the
        # same distance past the jump (02:30 -> 03:30).
        return [first]
    return [first, second] if both_folds else [first]


def _collect(
    walls: Iterator[_dt.datetime],
    tz: zoneinfo.ZoneInfo,
    both_folds: bool,
    n: int,
    start: _dt.datetime,
    end: _dt.datetime | None,
) -> list[_dt.datetime]:
    """The first ``n`` instants at or after ``start`` (at most ``end``) of wall-clock times
    ``walls`` (increasing, beginning at least ``_DST_MARGIN`` before ``start``)."""
    found: list[_dt.datetime] = []  # sorted, no duplicates
    for wall in walls:
        instants = _instants(wall, tz, both_folds)
        # Every later wall time maps to an instant after `instants[0] - margin`: once that is past
        # the n-th date found (or past `end`), no later candidate can change the answer.
        horizon = instants[0] - _DST_MARGIN
        if end is not None and horizon > end:
            break
        if len(found) >= n and horizon > found[n - 1]:
            break
        for instant in instants:
            if instant >= start and (end is None or instant <= end):
                at = bisect.bisect_left(found, instant)
                if at == len(found) or found[at] != instant:
                    found.insert(at, instant)
    return [d.astimezone(tz) for d in found[:n]]


def _bounds(
    n: int | None, start: _dt.datetime | None, end: _dt.datetime | None
) -> tuple[int, _dt.datetime, _dt.datetime | None]:
    if n is None:
        n = 1 if end is None else MAX_ITERATIONS
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    start = now_utc() if start is None else start
    if start.tzinfo is None:
        start = start.replace(tzinfo=_UTC)
    if end is not None and end.tzinfo is None:
        end = end.replace(tzinfo=_UTC)
    return min(n, MAX_ITERATIONS), start.astimezone(_UTC), end


class _Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def get_dates(
        self,
        n: int | None = None,
        start: _dt.datetime | None = None,
        end: _dt.datetime | None = None,
    ) -> list[_dt.datetime]:
        """The next ``n`` times this schedule fires at or after ``start`` (default: now) and at
        or before ``end``, timezone-aware in the schedule's timezone. ``n`` defaults to 1, or to
        every date up to ``end`` when ``end`` is given (at most ``MAX_ITERATIONS``). A naive
        ``start`` or ``end`` counts as UTC."""
        count, start, end = _bounds(n, start, end)
        if count == 0:
            return []
        return self._dates(count, start, end)

    def _dates(
        self, n: int, start: _dt.datetime, end: _dt.datetime | None
    ) -> list[_dt.datetime]:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


class IntervalSchedule(_Schedule):
    """Fires every ``interval`` from ``anchor_date`` on (and back from it: the anchor only fixes
    the phase). Intervals of whole days keep the anchor's wall-clock time in ``timezone``; shorter
    ones count elapsed time.

    >>> hourly = IntervalSchedule(interval=_dt.timedelta(hours=1),
    ...                           anchor_date=_dt.datetime(2024, 1, 1, 0, 30, tzinfo=_dt.UTC))
    >>> [d.strftime("%H:%M") for d in hourly.get_dates(3, start=_dt.datetime(2024, 5, 1, 10, tzinfo=_dt.UTC))]
    ['10:30', '11:30', '12:30']
    """

    interval: _dt.timedelta
    """How often it fires (seconds as a number are accepted); more than zero."""
    anchor_date: _dt.datetime = Field(default_factory=lambda: now_utc().replace(microsecond=0))
    """A time it fires at; a naive one is read in ``timezone``. Default: the time of creation."""
    timezone: str | None = None
    """The IANA zone whose wall clock whole-day intervals follow; default: the anchor's zone
    when it has a name, else UTC."""

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: _dt.timedelta) -> _dt.timedelta:
        if value <= _dt.timedelta(0):
            raise ValueError(
                f"interval must be more than zero, got {value.total_seconds():g} seconds"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return _valid_timezone(value)

    @model_validator(mode="after")
    def _anchor_in_timezone(self) -> IntervalSchedule:
        zone = self.timezone or _zone_name(self.anchor_date) or "UTC"
        anchor = self.anchor_date
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=_zone(zone))
        self.timezone = zone
        self.anchor_date = anchor
        return self

    @field_serializer("interval", when_used="json")
    def _seconds(self, value: _dt.timedelta) -> float:
        # Prefect's API sends the interval as seconds.
        return value.total_seconds()

    def _dates(self, n: int, start: _dt.datetime, end: _dt.datetime | None) -> list[_dt.datetime]:
        tz = _zone(self.timezone or "UTC")
        if self.interval % _DAY:
            anchor = self.anchor_date.astimezone(_UTC)
            k = -((anchor - start) // self.interval)
            dates: list[_dt.datetime] = []
            while len(dates) < n:
                date = anchor + k * self.interval
                if end is not None and date > end:
                    break
                dates.append(date.astimezone(tz))
                k += 1
            return dates
        anchor = self.anchor_date.astimezone(tz).replace(tzinfo=None)
        wall_start = start.astimezone(tz).replace(tzinfo=None) - _DST_MARGIN
        k = (wall_start - anchor) // self.interval
        walls = (anchor + i * self.interval for i in _count_from(k))
        return _collect(walls, tz, False, n, start, end)


def _count_from(k: int) -> Iterator[int]:
    while True:
        yield k
        k += 1


class CronSchedule(_Schedule):
    """Fires at the times a cron expression matches, read in the wall-clock time of ``timezone``
    (see the module's daylight-saving rules).

    >>> weekdays = CronSchedule(cron="0 9 * * 1-5", timezone="Europe/Paris")
    >>> [d.strftime("%a %H:%M") for d in weekdays.get_dates(2, start=_dt.datetime(2024, 6, 7, 12, tzinfo=_dt.UTC))]
    ['Mon 09:00', 'Tue 09:00']
    """

    cron: str
    """A cron expression (five fields, or a macro such as ``@daily``)."""
    timezone: str | None = None
    """The IANA zone the expression is read in; None means UTC."""
    day_or: bool = True
    """With both a day-of-month and a day-of-week field: fire when either matches (True, cron's
    rule) or only when both do (False)."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return _valid_timezone(value)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        # croniter is imported when a cron schedule is used: a server that has none never loads it
        from croniter import croniter

        if value.strip().lower() == "@reboot" or not croniter.is_valid(value):
            raise ValueError(
                f"invalid cron expression {value!r}; expected five fields "
                "'minute hour day-of-month month day-of-week' such as '0 9 * * 1-5'"
            )
        return value

    def _dates(self, n: int, start: _dt.datetime, end: _dt.datetime | None) -> list[_dt.datetime]:
        from croniter import CroniterBadCronError, CroniterBadDateError, croniter

        tz = _zone(self.timezone or "UTC")
        wall_start = start.astimezone(tz).replace(tzinfo=None) - _DST_MARGIN
        try:
            matcher = croniter(self.cron, wall_start, day_or=self.day_or)
        except (CroniterBadCronError, ValueError) as error:  # pragma: no cover - validated above
            raise ValueError(f"invalid cron expression {self.cron!r}: {error}") from None
        hours = matcher.expanded[1]
        every_hour = hours == ["*"] or len(set(hours)) == 24

        def walls() -> Iterator[_dt.datetime]:
            for _ in range(MAX_ITERATIONS * 4):
                try:
                    yield matcher.get_next(_dt.datetime)
                except CroniterBadDateError:  # an expression that never matches (30 Feb)
                    return

        return _collect(walls(), tz, every_hour, n, start, end)


class RRuleSchedule(_Schedule):
    """Fires at the times of an iCalendar recurrence rule (RFC 5545 ``RRULE``, optionally with
    ``DTSTART``, ``RDATE``, ``EXRULE``, ``EXDATE`` lines), in the wall-clock time of ``timezone``.

    >>> r = RRuleSchedule(rrule="DTSTART:20240101T080000\\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE")
    >>> [d.strftime("%a %H:%M") for d in r.get_dates(2, start=_dt.datetime(2024, 6, 4, tzinfo=_dt.UTC))]
    ['Wed 08:00', 'Mon 08:00']
    """

    rrule: str
    """The rule, e.g. ``FREQ=DAILY;BYHOUR=9`` or ``DTSTART:20240101T090000\\nRRULE:FREQ=DAILY``.
    Without ``DTSTART`` it counts from 2020-01-01 00:00."""
    timezone: str | None = None
    """The IANA zone the rule is read in; default: the ``DTSTART``'s ``TZID`` if any, else UTC."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        return _valid_timezone(value)

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str) -> str:
        if len(value) > _MAX_RRULE_LENGTH:
            raise ValueError(
                f"rrule is {len(value)} characters long; at most {_MAX_RRULE_LENGTH} are allowed"
            )
        try:
            _parse_rrule(value)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"invalid rrule {value!r} ({error}); expected an RFC 5545 rule such as "
                "'FREQ=DAILY;BYHOUR=9;BYMINUTE=0'"
            ) from None
        return value

    @model_validator(mode="after")
    def _timezone_from_tzid(self) -> RRuleSchedule:
        if self.timezone is None:
            match = _TZID_PARAMETER.search(self.rrule)
            zone = _valid_timezone(match.group(1)) if match else "UTC"
            self.timezone = zone
        return self

    def _dates(self, n: int, start: _dt.datetime, end: _dt.datetime | None) -> list[_dt.datetime]:
        tz = _zone(self.timezone or "UTC")
        wall_start = start.astimezone(tz).replace(tzinfo=None) - _DST_MARGIN
        rule = _rebased(_parse_rrule(self.rrule), wall_start)
        rules = vars(rule)["_rrule"]
        every_hour = all(vars(r)["_freq"] >= _rrule.HOURLY for r in rules) and bool(rules)
        walls = rule.xafter(wall_start, count=MAX_ITERATIONS * 4, inc=True)
        return _collect(walls, tz, every_hour, n, start, end)


@functools.lru_cache(maxsize=256)
def _parse_rrule(text: str) -> _rrule.rruleset:
    # The rule is read in wall-clock time; the zone comes from `timezone` (or the TZID, dropped
    # here so dateutil yields naive times).
    text = _TZID_PARAMETER.sub("", text)
    return _rrule.rrulestr(text, dtstart=_DEFAULT_ANCHOR, forceset=True, ignoretz=True)


_PERIODS = {
    _rrule.WEEKLY: _dt.timedelta(weeks=1),
    _rrule.DAILY: _DAY,
    _rrule.HOURLY: _dt.timedelta(hours=1),
    _rrule.MINUTELY: _dt.timedelta(minutes=1),
    _rrule.SECONDLY: _dt.timedelta(seconds=1),
}


def _rebased(rules: _rrule.rruleset, wall_start: _dt.datetime) -> _rrule.rruleset:
    """``rules`` with each rule's DTSTART moved forward by whole periods to just before
    ``wall_start``: the same occurrences from there on, without dateutil walking every one since
    a DTSTART years ago. Rules with a COUNT, or monthly and yearly ones (few occurrences a year),
    are kept as they are."""

    # dateutil keeps a rule's parts and a set's members private (vars() reads them), with no
    # public accessor
    def rebase(rule: _rrule.rrule) -> _rrule.rrule:
        # Naive wall-clock arithmetic: a period is a fixed length, so shifting DTSTART by whole
        # periods keeps the rule's phase (and the BY* defaults taken from DTSTART).
        parts = vars(rule)
        period = _PERIODS.get(parts["_freq"])
        if period is None or parts["_count"] is not None:
            return rule
        period *= parts["_interval"]
        dtstart: _dt.datetime = parts["_dtstart"]
        steps = (wall_start - dtstart) // period - 1
        if steps <= 0:
            return rule
        return rule.replace(dtstart=dtstart + steps * period)

    members = vars(rules)
    rebased = _rrule.rruleset()
    for rule in members["_rrule"]:
        rebased.rrule(rebase(rule))
    for rule in members["_exrule"]:
        rebased.exrule(rebase(rule))
    for date in members["_rdate"]:
        rebased.rdate(date)
    for date in members["_exdate"]:
        rebased.exdate(date)
    return rebased


class NoSchedule(_Schedule):
    """A schedule that never fires."""

    def _dates(self, n: int, start: _dt.datetime, end: _dt.datetime | None) -> list[_dt.datetime]:
        return []


SCHEDULE_TYPES = IntervalSchedule | CronSchedule | RRuleSchedule | NoSchedule
"""Any schedule; a JSON object is told apart by its fields (``interval``, ``cron``, ``rrule``)."""


def is_schedule_type(value: object) -> bool:
    """Whether ``value`` is one of the schedule models.

    >>> is_schedule_type(CronSchedule(cron="@daily")), is_schedule_type("@daily")
    (True, False)
    """
    return isinstance(value, IntervalSchedule | CronSchedule | RRuleSchedule | NoSchedule)


def construct_schedule(
    interval: _dt.timedelta | float | None = None,
    anchor_date: _dt.datetime | str | None = None,
    cron: str | None = None,
    rrule: str | None = None,
    timezone: str | None = None,
) -> IntervalSchedule | CronSchedule | RRuleSchedule:
    """Build a schedule from exactly one of ``interval`` (seconds or a timedelta), ``cron`` and
    ``rrule``, as Prefect's ``construct_schedule`` does.

    >>> construct_schedule(interval=60).interval
    datetime.timedelta(seconds=60)
    """
    given = [name for name, v in (("interval", interval), ("cron", cron), ("rrule", rrule)) if v]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of interval, cron or rrule; got {', '.join(given) or 'none'}"
        )
    if anchor_date is not None and interval is None:
        raise ValueError("anchor_date only applies to an interval schedule")
    if interval is not None:
        if not isinstance(interval, _dt.timedelta):
            interval = _dt.timedelta(seconds=interval)
        values: dict[str, Any] = {"interval": interval, "timezone": timezone}
        if anchor_date is not None:
            values["anchor_date"] = anchor_date
        return IntervalSchedule.model_validate(values)
    if cron is not None:
        return CronSchedule(cron=cron, timezone=timezone)
    return RRuleSchedule(rrule=str(rrule), timezone=timezone)


_AnySchedule = Annotated[SCHEDULE_TYPES, Field(union_mode="smart")]


class DeploymentScheduleCreate(BaseModel):
    """A schedule to add to a deployment (Prefect's ``DeploymentScheduleCreate``).

    >>> DeploymentScheduleCreate.model_validate({"schedule": {"cron": "0 0 * * *"}}).schedule.cron
    '0 0 * * *'
    """

    model_config = ConfigDict(extra="ignore")

    schedule: _AnySchedule
    active: bool = True
    """Whether the scheduler creates runs for it."""
    max_scheduled_runs: PositiveInt | None = None
    """The most future runs the scheduler keeps for it (default: the scheduler's setting)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Parameters of its runs, over the deployment's."""
    slug: str | None = None
    """A name unique within the deployment, to update it in place on a later deploy."""


class DeploymentScheduleUpdate(BaseModel):
    """Changes to a deployment's schedule (Prefect's ``DeploymentScheduleUpdate``): fields left
    unset are kept."""

    model_config = ConfigDict(extra="ignore")

    schedule: _AnySchedule | None = None
    active: bool | None = None
    max_scheduled_runs: PositiveInt | None = None
    parameters: dict[str, Any] | None = None
    slug: str | None = None


class DeploymentSchedule(BaseModel):
    """A schedule of a deployment, as stored (Prefect's ``DeploymentSchedule``)."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    created: _dt.datetime | None = None
    updated: _dt.datetime | None = None
    deployment_id: uuid.UUID | None = None
    schedule: _AnySchedule
    active: bool = True
    max_scheduled_runs: PositiveInt | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    slug: str | None = None
