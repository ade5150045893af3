"""Which services a server runs: all of them, less those turned off by settings or flags."""

from __future__ import annotations

from praefect import settings as _settings
from praefect.server.services.automations import AutomationActions, ProactiveTriggers
from praefect.server.services.base import Service
from praefect.server.services.crashed_runs import CrashedRuns
from praefect.server.services.event_retention import EventRetention
from praefect.server.services.late_runs import MarkLateRuns
from praefect.server.services.pause_expirations import FailExpiredPauses
from praefect.server.services.scheduler import RecentDeploymentsScheduler, Scheduler

__all__ = ["all_services", "enabled_services"]


def _built(current: _settings.Settings) -> dict[str, list[Service]]:
    return {
        "scheduler": [
            Scheduler(loop_seconds=current.server_services_scheduler_loop_seconds),
            RecentDeploymentsScheduler(
                loop_seconds=current.server_services_scheduler_recent_deployments_loop_seconds
            ),
        ],
        "late_runs": [
            MarkLateRuns(
                loop_seconds=current.server_services_late_runs_loop_seconds,
                after_seconds=current.server_services_late_runs_after_seconds,
            )
        ],
        "crashed_runs": [
            CrashedRuns(
                loop_seconds=current.server_services_crashed_runs_loop_seconds,
                after_seconds=current.server_services_crashed_runs_after_seconds,
            )
        ],
        "triggers": [ProactiveTriggers(loop_seconds=current.server_services_triggers_loop_seconds)],
        "actions": [AutomationActions(loop_seconds=current.server_services_actions_loop_seconds)],
        "pause_expirations": [
            FailExpiredPauses(loop_seconds=current.server_services_pause_expirations_loop_seconds)
        ],
        "event_retention": [
            EventRetention(
                loop_seconds=current.server_services_event_retention_loop_seconds,
                retention_seconds=current.events_retention_period,
            )
        ],
    }


def all_services(settings: _settings.Settings | None = None) -> list[Service]:
    """One of each service, configured from ``settings`` (default: the current ones).

    >>> names = [s.name for s in all_services()]
    >>> names[:4], names[-1]
    (['Scheduler', 'RecentDeploymentsScheduler', 'MarkLateRuns', 'CrashedRuns'], 'EventRetention')
    """
    built = _built(settings or _settings.get_current_settings())
    return [service for group in built.values() for service in group]


def enabled_services(
    settings: _settings.Settings | None = None,
    scheduler: bool | None = None,
    late_runs: bool | None = None,
    crashed_runs: bool | None = None,
    pause_expirations: bool | None = None,
) -> list[Service]:
    """The services to run: each kind is on when its argument says so, or (argument None) when
    its ``PRAEFECT_SERVER_SERVICES_<NAME>_ENABLED`` setting does.

    >>> names = [s.name for s in enabled_services(scheduler=False, crashed_runs=False)]
    >>> names[0]
    'MarkLateRuns'
    """
    current = settings or _settings.get_current_settings()
    flags = {
        "scheduler": scheduler,
        "late_runs": late_runs,
        "crashed_runs": crashed_runs,
        "pause_expirations": pause_expirations,
    }
    chosen: list[Service] = []
    for kind, services in _built(current).items():
        flag = flags.get(kind)
        if getattr(current, f"server_services_{kind}_enabled") if flag is None else flag:
            chosen += services
    return chosen
