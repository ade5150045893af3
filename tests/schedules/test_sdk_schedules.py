"""``praefect.schedules``: Prefect 3's ``Cron``, ``Interval``, ``RRule`` and ``Schedule``, and
their conversion to what a deployment stores."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil import rrule as dateutil_rrule

from praefect import schedules
from praefect.schemas.schedules import (
    CronSchedule,
    DeploymentScheduleCreate,
    IntervalSchedule,
    RRuleSchedule,
)

UTC = dt.UTC


def test_interval_with_anchor_date_as_in_prefect_docs():
    anchor = dt.datetime(2030, 1, 1, tzinfo=UTC)
    schedule = schedules.Interval(dt.timedelta(hours=1), anchor_date=anchor)
    wire = schedule.to_wire()
    assert isinstance(wire, IntervalSchedule)
    assert wire.interval == dt.timedelta(hours=1)
    assert wire.anchor_date == anchor


def test_interval_accepts_seconds():
    assert schedules.Interval(60).interval == dt.timedelta(seconds=60)
    assert schedules.Interval(0.5).to_wire().interval == dt.timedelta(milliseconds=500)


@pytest.mark.parametrize("bad", ["1h", None, True])
def test_interval_refuses_what_is_not_a_duration(bad):
    with pytest.raises(TypeError, match="interval must be a timedelta or a number of seconds"):
        schedules.Interval(bad)


def test_cron_with_timezone_as_in_prefect_docs():
    schedule = schedules.Cron("0 9 * * 1-5", timezone="America/New_York")
    wire = schedule.to_wire()
    assert isinstance(wire, CronSchedule)
    assert (wire.cron, wire.timezone, wire.day_or) == ("0 9 * * 1-5", "America/New_York", True)


def test_rrule_from_a_string_or_a_dateutil_rule():
    text = schedules.RRule("FREQ=WEEKLY;BYDAY=MO").to_wire()
    rule = dateutil_rrule.rrule(dateutil_rrule.DAILY, dtstart=dt.datetime(2024, 1, 1, 9))
    built = schedules.RRule(rule, timezone="Europe/Paris").to_wire()
    assert isinstance(text, RRuleSchedule) and isinstance(built, RRuleSchedule)
    (date,) = built.get_dates(1, start=dt.datetime(2024, 6, 1, tzinfo=UTC))
    assert date.isoformat() == "2024-06-01T09:00:00+02:00"


def test_a_bad_schedule_fails_where_it_is_written_naming_the_value():
    with pytest.raises(ValueError, match="^invalid schedule: invalid cron expression 'every day';"):
        schedules.Cron("every day")
    with pytest.raises(ValueError, match="unknown timezone 'Nowhere'"):
        schedules.Interval(60, timezone="Nowhere")


def test_schedule_needs_exactly_one_kind():
    with pytest.raises(ValueError, match="exactly one of interval, cron or rrule; got none"):
        schedules.Schedule()
    with pytest.raises(ValueError, match="got interval, cron"):
        schedules.Schedule(interval=60, cron="@daily")


def test_schedule_is_frozen():
    schedule = schedules.Cron("@daily")
    with pytest.raises(AttributeError):
        schedule.cron = "@hourly"  # type: ignore[misc]


def test_active_parameters_and_slug_go_to_the_deployment_schedule():
    schedule = schedules.Cron("@daily", active=False, parameters={"n": 2}, slug="nightly")
    create = schedules.to_deployment_schedule_create(schedule)
    assert isinstance(create, DeploymentScheduleCreate)
    assert (create.active, create.parameters, create.slug) == (False, {"n": 2}, "nightly")
    assert create.schedule == CronSchedule(cron="@daily")


def test_a_wire_schedule_converts_to_an_active_deployment_schedule():
    create = schedules.to_deployment_schedule_create(CronSchedule(cron="@daily"))
    assert create.active and create.parameters == {}
    with pytest.raises(TypeError, match="expected a schedule"):
        schedules.to_deployment_schedule_create("@daily")  # type: ignore[arg-type]


def test_deployment_schedules_from_shortcuts():
    by_interval = schedules.deployment_schedules(interval=[60, dt.timedelta(hours=2)])
    assert [s.schedule.interval for s in by_interval] == [
        dt.timedelta(seconds=60),
        dt.timedelta(hours=2),
    ]
    (cron,) = schedules.deployment_schedules(cron="*/5 * * * *", timezone="Europe/Paris")
    assert (cron.schedule.cron, cron.schedule.timezone) == ("*/5 * * * *", "Europe/Paris")
    (rrule,) = schedules.deployment_schedules(rrule="FREQ=DAILY")
    assert rrule.schedule.rrule == "FREQ=DAILY"
    listed = schedules.deployment_schedules(
        schedules=[schedules.Interval(60), CronSchedule(cron="@daily")]
    )
    assert [type(s.schedule) for s in listed] == [IntervalSchedule, CronSchedule]
    (single,) = schedules.deployment_schedules(schedule=schedules.RRule("FREQ=HOURLY"))
    assert single.schedule.rrule == "FREQ=HOURLY"
    assert schedules.deployment_schedules() == []


def test_deployment_schedules_refuses_two_kinds_at_once():
    with pytest.raises(
        ValueError, match="only one of interval, cron, rrule, schedule or schedules"
    ):
        schedules.deployment_schedules(cron="@daily", interval=60)
    with pytest.raises(ValueError, match="anchor_date only applies with interval="):
        schedules.deployment_schedules(cron="@daily", anchor_date=dt.datetime(2024, 1, 1))
