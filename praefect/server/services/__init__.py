"""The server's background services: loops that keep the world moving without a client.

- ``Scheduler`` (and ``RecentDeploymentsScheduler``, its quick pass over just-changed
  deployments): inserts the next Scheduled runs of every active schedule;
- ``MarkLateRuns``: Scheduled runs past their time become Late;
- ``CrashedRuns``: Running runs whose process stopped heartbeating become Crashed;
- ``ProactiveTriggers``: proactive automation triggers whose window passed without their
  events fire; ``AutomationActions``: automation actions due (retries) run;
- ``FailExpiredPauses``: paused runs whose pause timed out become Failed;
- ``EventRetention``: events older than ``PRAEFECT_EVENTS_RETENTION_PERIOD`` are deleted.

``praefect server start`` runs the enabled ones (``PRAEFECT_SERVER_SERVICES_<NAME>_ENABLED``,
``--no-scheduler``, ``--no-late-runs``, ``--no-services``) in background threads of the server
process; ``praefect server services start`` runs them alone. The test harness runs none, as
Prefect's does. Every service is safe to run in several replicas at once.

>>> runner = ServiceRunner(enabled_services(), database_url="sqlite:///:memory:")
>>> done = runner.run_once()
>>> sorted(done)[:3], "Scheduler" in done
(['AutomationActions', 'CrashedRuns', 'EventRetention'], True)
"""

from __future__ import annotations

from praefect.server.services.automations import AutomationActions, ProactiveTriggers
from praefect.server.services.base import Service, ServiceRunner
from praefect.server.services.crashed_runs import CrashedRuns
from praefect.server.services.event_retention import EventRetention
from praefect.server.services.late_runs import MarkLateRuns
from praefect.server.services.pause_expirations import FailExpiredPauses
from praefect.server.services.scheduler import RecentDeploymentsScheduler, Scheduler
from praefect.server.services.selection import all_services, enabled_services

__all__ = [
    "AutomationActions",
    "CrashedRuns",
    "EventRetention",
    "FailExpiredPauses",
    "MarkLateRuns",
    "ProactiveTriggers",
    "RecentDeploymentsScheduler",
    "Scheduler",
    "Service",
    "ServiceRunner",
    "all_services",
    "enabled_services",
]
