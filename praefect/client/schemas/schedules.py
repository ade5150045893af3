"""Prefect's import path ``prefect.client.schemas.schedules``: re-exports
``praefect.schemas.schedules`` (``CronSchedule``, ``IntervalSchedule``, ``RRuleSchedule``,
``NoSchedule``, ``construct_schedule``, ...)."""

from __future__ import annotations

from praefect.schemas.schedules import *  # noqa: F403
from praefect.schemas.schedules import __all__ as __all__
