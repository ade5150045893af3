"""Schedules for deployments, as Prefect 3 writes them: ``Cron(...)``, ``Interval(...)`` and
``RRule(...)`` build a ``Schedule``, passed to ``flow.serve(schedules=[...])``,
``flow.to_deployment(...)`` or ``flow.deploy(...)``.

>>> from datetime import timedelta
>>> weekdays = Cron("0 9 * * 1-5", timezone="America/New_York", parameters={"n": 2})
>>> hourly = Interval(timedelta(hours=1))
>>> weekdays.cron, weekdays.timezone, hourly.interval
('0 9 * * 1-5', 'America/New_York', datetime.timedelta(seconds=3600))
>>> to_deployment_schedule_create(weekdays).schedule
CronSchedule(cron='0 9 * * 1-5', timezone='America/New_York', day_or=True)

The server stores a schedule as one of the wire models of ``praefect.schemas.schedules``
(``CronSchedule``, ``IntervalSchedule``, ``RRuleSchedule``); how they behave across
daylight-saving changes is described there and in docs/schedules.md.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from dateutil import rrule as _rrule

from praefect.schemas import schedules as _wire

__all__ = [
    "Cron",
    "Interval",
    "RRule",
    "Schedule",
    "deployment_schedules",
    "to_deployment_schedule_create",
]


@dataclasses.dataclass(frozen=True)
class Schedule:
    """When a deployment runs: exactly one of ``interval``, ``cron`` or ``rrule``, plus whether
    the schedule is active and the parameters its runs get. Build one with ``Cron``,
    ``Interval`` or ``RRule``.

    >>> Schedule(cron="@daily").active
    True
    """

    interval: float | _dt.timedelta | None = None
    """Run every this often (a timedelta, or seconds)."""
    anchor_date: _dt.datetime | None = None
    """An interval schedule fires at this time and every ``interval`` from it."""
    cron: str | None = None
    """A cron expression (``"0 9 * * 1-5"``)."""
    day_or: bool = True
    """Cron: with day-of-month and day-of-week both set, fire when either matches."""
    rrule: str | None = None
    """An iCalendar recurrence rule (``"FREQ=WEEKLY;BYDAY=MO"``)."""
    timezone: str | None = None
    """The IANA zone the schedule's wall-clock times are in (default: UTC, or the anchor's)."""
    active: bool = True
    """An inactive schedule creates no runs."""
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Parameters of the runs it creates, over the deployment's."""
    slug: str | None = None
    """A name unique within the deployment, so a later deploy updates it in place."""

    def __post_init__(self) -> None:
        given = [n for n in ("interval", "cron", "rrule") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "a Schedule needs exactly one of interval, cron or rrule; "
                f"got {', '.join(given) or 'none'}"
            )
        # Build the wire model once: a bad cron, rrule, interval or timezone fails here, where
        # the user wrote it, naming the value.
        self.to_wire()

    def to_wire(self) -> _wire.IntervalSchedule | _wire.CronSchedule | _wire.RRuleSchedule:
        """The schedule as the server stores it.

        >>> Interval(60, timezone="UTC").to_wire().interval
        datetime.timedelta(seconds=60)
        """
        try:
            if self.cron is not None:
                return _wire.CronSchedule(
                    cron=self.cron, timezone=self.timezone, day_or=self.day_or
                )
            if self.rrule is not None:
                return _wire.RRuleSchedule(rrule=self.rrule, timezone=self.timezone)
            return _wire.construct_schedule(
                interval=self.interval, anchor_date=self.anchor_date, timezone=self.timezone
            )
        except ValueError as error:
            raise ValueError(f"invalid schedule: {_reason(error)}") from None


def _reason(error: ValueError) -> str:
    """The messages of a pydantic ``ValidationError`` without its banner (other errors as is)."""
    errors = getattr(error, "errors", None)
    if errors is None:
        return str(error)
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in errors())


def Cron(  # noqa: N802 - Prefect's name for a constructor function
    cron: str,
    /,
    timezone: str | None = None,
    day_or: bool = True,
    active: bool = True,
    parameters: Mapping[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """A schedule firing when the cron expression matches, in ``timezone`` (default UTC).

    >>> Cron("*/5 * * * *").cron
    '*/5 * * * *'
    """
    return Schedule(
        cron=cron,
        timezone=timezone,
        day_or=day_or,
        active=active,
        parameters=dict(parameters or {}),
        slug=slug,
    )


def Interval(  # noqa: N802 - Prefect's name for a constructor function
    interval: float | _dt.timedelta,
    /,
    anchor_date: _dt.datetime | None = None,
    timezone: str | None = None,
    active: bool = True,
    parameters: Mapping[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """A schedule firing every ``interval`` (a timedelta, or seconds) from ``anchor_date``.

    >>> Interval(90).interval
    datetime.timedelta(seconds=90)
    """
    if isinstance(interval, bool) or not isinstance(interval, int | float | _dt.timedelta):
        raise TypeError(
            f"interval must be a timedelta or a number of seconds, got {interval!r} "
            f"({type(interval).__name__})"
        )
    if not isinstance(interval, _dt.timedelta):
        interval = _dt.timedelta(seconds=interval)
    return Schedule(
        interval=interval,
        anchor_date=anchor_date,
        timezone=timezone,
        active=active,
        parameters=dict(parameters or {}),
        slug=slug,
    )


def RRule(  # noqa: N802 - Prefect's name for a constructor function
    rrule: str | _rrule.rrule | _rrule.rruleset,
    /,
    timezone: str | None = None,
    active: bool = True,
    parameters: Mapping[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """A schedule firing at the times of an iCalendar recurrence rule (a string, or a
    ``dateutil.rrule.rrule``).

    >>> RRule("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9").rrule
    'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9'
    """
    if isinstance(rrule, _rrule.rruleset):
        raise TypeError(
            "RRule takes one rule; write a set of rules as a string with one RRULE/EXDATE line each"
        )
    return Schedule(
        rrule=str(rrule),
        timezone=timezone,
        active=active,
        parameters=dict(parameters or {}),
        slug=slug,
    )


ScheduleLike = (
    Schedule
    | _wire.IntervalSchedule
    | _wire.CronSchedule
    | _wire.RRuleSchedule
    | _wire.DeploymentScheduleCreate
)


def to_deployment_schedule_create(schedule: ScheduleLike) -> _wire.DeploymentScheduleCreate:
    """The ``DeploymentScheduleCreate`` the client sends for a ``Schedule`` (or for a bare wire
    schedule such as ``CronSchedule``, which is active with no parameters).

    >>> to_deployment_schedule_create(Interval(60, active=False)).active
    False
    """
    if isinstance(schedule, _wire.DeploymentScheduleCreate):
        return schedule
    if isinstance(schedule, Schedule):
        return _wire.DeploymentScheduleCreate(
            schedule=schedule.to_wire(),
            active=schedule.active,
            parameters=dict(schedule.parameters),
            slug=schedule.slug,
        )
    if _wire.is_schedule_type(schedule):
        return _wire.DeploymentScheduleCreate(schedule=schedule)
    raise TypeError(
        f"expected a schedule (Cron(...), Interval(...), RRule(...) or a CronSchedule, "
        f"IntervalSchedule, RRuleSchedule), got {schedule!r}"
    )


def deployment_schedules(
    *,
    interval: float | _dt.timedelta | Iterable[float | _dt.timedelta] | None = None,
    anchor_date: _dt.datetime | None = None,
    cron: str | Iterable[str] | None = None,
    rrule: str | Iterable[str] | None = None,
    timezone: str | None = None,
    schedule: ScheduleLike | None = None,
    schedules: Iterable[ScheduleLike] | None = None,
) -> list[_wire.DeploymentScheduleCreate]:
    """The schedules of ``flow.serve()`` / ``flow.to_deployment()`` / ``flow.deploy()`` from
    their shortcut arguments: ``interval=``, ``cron=``, ``rrule=`` (each one value or several),
    ``schedule=`` or ``schedules=[...]``; only one kind may be given.

    >>> [s.schedule.cron for s in deployment_schedules(cron=["0 9 * * *", "0 17 * * *"])]
    ['0 9 * * *', '0 17 * * *']
    >>> deployment_schedules()
    []
    """
    kinds = {
        "interval": interval,
        "cron": cron,
        "rrule": rrule,
        "schedule": schedule,
        "schedules": schedules,
    }
    given = [name for name, value in kinds.items() if value is not None]
    if len(given) > 1:
        raise ValueError(
            f"give only one of interval, cron, rrule, schedule or schedules; got {', '.join(given)}"
        )
    if anchor_date is not None and interval is None:
        raise ValueError("anchor_date only applies with interval=")
    if schedules is not None:
        return [to_deployment_schedule_create(s) for s in schedules]
    if schedule is not None:
        return [to_deployment_schedule_create(schedule)]
    built: list[Schedule] = []
    if interval is not None:
        values = [interval] if isinstance(interval, int | float | _dt.timedelta) else interval
        built = [Interval(v, anchor_date=anchor_date, timezone=timezone) for v in values]
    elif cron is not None:
        built = [Cron(c, timezone=timezone) for c in ([cron] if isinstance(cron, str) else cron)]
    elif rrule is not None:
        rules = [rrule] if isinstance(rrule, str | _rrule.rrule) else rrule
        built = [RRule(r, timezone=timezone) for r in rules]
    return [to_deployment_schedule_create(s) for s in built]
