"""The schedule wire models (``praefect.schemas.schedules``): validation, JSON shape, and the
dates they give, including the documented daylight-saving cases."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import re
import zoneinfo

import pytest
from pydantic import TypeAdapter, ValidationError

from praefect.client.schemas import schedules as client_schedules
from praefect.schemas.schedules import (
    MAX_ITERATIONS,
    SCHEDULE_TYPES,
    CronSchedule,
    DeploymentSchedule,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
    IntervalSchedule,
    NoSchedule,
    RRuleSchedule,
    construct_schedule,
)

UTC = dt.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _local(dates: list[dt.datetime]) -> list[str]:
    return [d.isoformat() for d in dates]


def test_a_daily_cron_at_a_skipped_time_fires_once_an_hour_later_on_spring_forward_day():
    schedule = CronSchedule(cron="30 2 * * *", timezone="America/New_York")
    dates = schedule.get_dates(3, start=dt.datetime(2024, 3, 9, tzinfo=UTC))
    assert _local(dates) == [
        "2024-03-09T02:30:00-05:00",
        "2024-03-10T03:30:00-04:00",  # 02:30 does not exist that day
        "2024-03-11T02:30:00-04:00",
    ]


def test_a_daily_cron_at_a_repeated_time_fires_once_on_fall_back_day():
    schedule = CronSchedule(cron="30 1 * * *", timezone="America/New_York")
    dates = schedule.get_dates(3, start=dt.datetime(2024, 11, 2, tzinfo=UTC))
    assert _local(dates) == [
        "2024-11-02T01:30:00-04:00",
        "2024-11-03T01:30:00-04:00",  # the first 01:30 only
        "2024-11-04T01:30:00-05:00",
    ]


def test_an_every_hour_cron_keeps_firing_through_the_repeated_hour():
    schedule = CronSchedule(cron="*/30 * * * *", timezone="America/New_York")
    dates = schedule.get_dates(5, start=dt.datetime(2024, 11, 3, 5, tzinfo=UTC))
    assert _local(dates) == [
        "2024-11-03T01:00:00-04:00",
        "2024-11-03T01:30:00-04:00",
        "2024-11-03T01:00:00-05:00",
        "2024-11-03T01:30:00-05:00",
        "2024-11-03T02:00:00-05:00",
    ]
    utc = [d.astimezone(UTC) for d in dates]
    assert {b - a for a, b in zip(utc, utc[1:], strict=False)} == {dt.timedelta(minutes=30)}


def test_cron_weekdays_in_a_timezone():
    schedule = CronSchedule(cron="0 9 * * 1-5", timezone="America/New_York")
    dates = schedule.get_dates(3, start=dt.datetime(2030, 1, 4, 15, tzinfo=UTC))  # a Friday
    assert [d.strftime("%a %H:%M %Z") for d in dates] == [
        "Mon 09:00 EST",
        "Tue 09:00 EST",
        "Wed 09:00 EST",
    ]


def test_cron_day_or_false_needs_both_day_fields_to_match():
    either = CronSchedule(cron="0 0 13 * 5", timezone="UTC")
    both = CronSchedule(cron="0 0 13 * 5", timezone="UTC", day_or=False)
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert either.get_dates(1, start=start)[0].date() == dt.date(2024, 1, 5)  # first Friday
    assert both.get_dates(1, start=start)[0].date() == dt.date(2024, 9, 13)  # Friday the 13th


def test_get_dates_includes_start_and_end_and_defaults_n_to_everything_up_to_end():
    schedule = CronSchedule(cron="0 * * * *")
    start = dt.datetime(2024, 5, 1, 10, tzinfo=UTC)
    dates = schedule.get_dates(start=start, end=start + dt.timedelta(hours=3))
    assert [d.hour for d in dates] == [10, 11, 12, 13]
    assert len(schedule.get_dates(start=start)) == 1
    assert schedule.get_dates(0, start=start) == []


def test_get_dates_returns_at_most_max_iterations():
    dates = CronSchedule(cron="* * * * *").get_dates(10**6)
    assert len(dates) == MAX_ITERATIONS


def test_get_dates_rejects_a_negative_count():
    with pytest.raises(ValueError, match="n must be 0 or more, got -1"):
        CronSchedule(cron="@daily").get_dates(-1)


def test_get_dates_defaults_start_to_now():
    before = dt.datetime.now(UTC)
    (date,) = IntervalSchedule(interval=dt.timedelta(seconds=7)).get_dates()
    assert before <= date <= before + dt.timedelta(seconds=8)


def test_a_naive_start_counts_as_utc():
    schedule = CronSchedule(cron="0 12 * * *")
    assert schedule.get_dates(1, start=dt.datetime(2024, 1, 1, 13)) == schedule.get_dates(
        1, start=dt.datetime(2024, 1, 1, 13, tzinfo=UTC)
    )


def test_a_cron_that_never_matches_has_no_dates():
    assert CronSchedule(cron="0 0 30 2 *").get_dates(3) == []


@pytest.mark.parametrize("cron", ["", "bad", "61 * * * *", "* * * *", "@reboot"])
def test_bad_cron_is_refused_naming_it(cron):
    with pytest.raises(ValidationError, match=re.escape(f"invalid cron expression {cron!r}")):
        CronSchedule(cron=cron)


@pytest.mark.parametrize("model", [CronSchedule, RRuleSchedule, IntervalSchedule])
def test_unknown_timezone_is_refused_naming_it(model):
    values = {"cron": "@daily", "rrule": "FREQ=DAILY", "interval": 60}
    field = {CronSchedule: "cron", RRuleSchedule: "rrule", IntervalSchedule: "interval"}[model]
    with pytest.raises(ValidationError, match="unknown timezone 'Mars/Olympus'"):
        model.model_validate({field: values[field], "timezone": "Mars/Olympus"})


def test_interval_must_be_positive():
    with pytest.raises(ValidationError, match="interval must be more than zero"):
        IntervalSchedule(interval=dt.timedelta(seconds=-1))


def test_interval_counts_from_its_anchor_in_both_directions():
    anchor = dt.datetime(2030, 1, 1, 0, 10, tzinfo=UTC)
    schedule = IntervalSchedule(interval=dt.timedelta(minutes=30), anchor_date=anchor)
    before = schedule.get_dates(2, start=dt.datetime(2029, 6, 1, 12, 0, tzinfo=UTC))
    assert [d.strftime("%H:%M") for d in before] == ["12:10", "12:40"]
    assert schedule.get_dates(1, start=anchor) == [anchor]


def test_interval_timezone_comes_from_the_anchor_or_defaults_to_utc():
    named = IntervalSchedule(interval=60, anchor_date=dt.datetime(2024, 1, 1, tzinfo=NEW_YORK))
    fixed = IntervalSchedule(interval=60, anchor_date=dt.datetime(2024, 1, 1, tzinfo=UTC))
    naive = IntervalSchedule(
        interval=60, anchor_date=dt.datetime(2024, 1, 1), timezone="Asia/Tokyo"
    )
    assert (named.timezone, fixed.timezone, naive.timezone) == (
        "America/New_York",
        "UTC",
        "Asia/Tokyo",
    )
    assert naive.anchor_date.utcoffset() == dt.timedelta(hours=9)


def test_daily_interval_keeps_nine_oclock_across_spring_forward():
    schedule = IntervalSchedule(
        interval=dt.timedelta(days=1), anchor_date=dt.datetime(2024, 1, 1, 9, tzinfo=NEW_YORK)
    )
    dates = schedule.get_dates(3, start=dt.datetime(2024, 3, 9, tzinfo=UTC))
    assert _local(dates) == [
        "2024-03-09T09:00:00-05:00",
        "2024-03-10T09:00:00-04:00",
        "2024-03-11T09:00:00-04:00",
    ]


def test_interval_json_is_seconds_like_prefect():
    schedule = IntervalSchedule(
        interval=dt.timedelta(hours=1), anchor_date=dt.datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert schedule.model_dump(mode="json") == {
        "interval": 3600.0,
        "anchor_date": "2030-01-01T00:00:00Z",
        "timezone": "UTC",
    }


def test_rrule_reads_dtstart_tzid_as_its_timezone():
    schedule = RRuleSchedule(rrule="DTSTART;TZID=Europe/Paris:20240101T090000\nRRULE:FREQ=DAILY")
    assert schedule.timezone == "Europe/Paris"
    (date,) = schedule.get_dates(1, start=dt.datetime(2024, 7, 1, tzinfo=UTC))
    assert date.isoformat() == "2024-07-01T09:00:00+02:00"


def test_rrule_count_and_until_end_the_schedule():
    counted = RRuleSchedule(rrule="DTSTART:20240101T000000\nRRULE:FREQ=DAILY;COUNT=3")
    until = RRuleSchedule(rrule="DTSTART:20240101T000000\nRRULE:FREQ=DAILY;UNTIL=20240102T000000")
    start = dt.datetime(2023, 1, 1, tzinfo=UTC)
    assert len(counted.get_dates(10, start=start)) == 3
    assert len(until.get_dates(10, start=start)) == 2


def test_rrule_with_an_old_dtstart_is_quick_and_keeps_its_phase():
    rule = "DTSTART:19700101T000700\nRRULE:FREQ=MINUTELY;INTERVAL=10"
    dates = RRuleSchedule(rrule=rule).get_dates(3, start=dt.datetime(2030, 5, 5, 12, tzinfo=UTC))
    assert [d.strftime("%H:%M") for d in dates] == ["12:07", "12:17", "12:27"]


def test_rrule_exdate_removes_a_date():
    rule = "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nEXDATE:20240102T090000"
    dates = RRuleSchedule(rrule=rule).get_dates(2, start=dt.datetime(2024, 1, 1, 9, tzinfo=UTC))
    assert [d.day for d in dates] == [1, 3]


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "not a rule", "x" * 7000])
def test_bad_rrule_is_refused(rule):
    with pytest.raises(ValidationError, match="rrule"):
        RRuleSchedule(rrule=rule)


def test_no_schedule_never_fires():
    assert NoSchedule().get_dates(5) == []


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"interval": 60}, IntervalSchedule),
        ({"cron": "0 0 * * *", "timezone": "UTC"}, CronSchedule),
        ({"rrule": "FREQ=DAILY"}, RRuleSchedule),
        ({}, NoSchedule),
    ],
)
def test_schedule_json_is_told_apart_by_its_fields(payload, kind):
    schedule = TypeAdapter(SCHEDULE_TYPES).validate_python(payload)
    assert type(schedule) is kind
    again = TypeAdapter(SCHEDULE_TYPES).validate_json(schedule.model_dump_json())
    assert again == schedule


def test_deployment_schedule_round_trips_through_json():
    schedule = DeploymentSchedule(
        schedule=CronSchedule(cron="0 9 * * 1-5", timezone="America/New_York"),
        parameters={"n": 1},
        slug="weekdays",
    )
    again = DeploymentSchedule.model_validate_json(schedule.model_dump_json())
    assert again == schedule
    assert again.active is True


def test_deployment_schedule_create_and_update_validate_their_fields():
    create = DeploymentScheduleCreate.model_validate({"schedule": {"interval": 30}})
    assert create.active and create.parameters == {} and create.max_scheduled_runs is None
    with pytest.raises(ValidationError, match="max_scheduled_runs"):
        DeploymentScheduleCreate.model_validate({"schedule": {}, "max_scheduled_runs": 0})
    update = DeploymentScheduleUpdate.model_validate({"active": False})
    assert update.model_dump(exclude_unset=True) == {"active": False}


def test_construct_schedule_builds_one_kind():
    assert construct_schedule(cron="@hourly", timezone="UTC").cron == "@hourly"
    assert construct_schedule(interval=dt.timedelta(minutes=5)).interval.total_seconds() == 300
    assert construct_schedule(rrule="FREQ=DAILY").rrule == "FREQ=DAILY"
    with pytest.raises(ValueError, match="exactly one of interval, cron or rrule; got cron, rrule"):
        construct_schedule(cron="@daily", rrule="FREQ=DAILY")
    with pytest.raises(ValueError, match="anchor_date only applies"):
        construct_schedule(cron="@daily", anchor_date=dt.datetime(2024, 1, 1))


def test_prefect_import_path_reexports_the_models():
    assert client_schedules.CronSchedule is CronSchedule
    assert client_schedules.__all__ == sorted(client_schedules.__all__)


@pytest.mark.parametrize("name", ["praefect.schemas.schedules", "praefect.schedules"])
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
