"""The server's background services: loops that keep the world moving without a client.

- ``Scheduler`` (and ``RecentDeploymentsScheduler``, its quick pass over just-changed
  deployments): inserts the next Scheduled runs of every active schedule;
- ``MarkLateRuns``: Scheduled runs past their time become Late;
- ``CrashedRuns``: Running runs whose process stopped heartbeating become Crashed;
- ``ProactiveTriggers``: proactive automation triggers whose window passed without their
  events fire; ``AutomationActions``: automation actions due (retries) run.

``praefect server start`` runs the enabled ones (``PRAEFECT_SERVER_SERVICES_<NAME>_ENABLED``,
``--no-scheduler``, ``--no-late-runs``, ``--no-services``) in background threads of the server
process; ``praefect server services start`` runs them alone. The test harness runs none, as
Prefect's does. Every service is safe to run in several replicas at once.

>>> runner = ServiceRunner(enabled_services(), database_url="sqlite:///:memory:")
>>> sorted(runner.run_once())
['AutomationActions', 'CrashedRuns', 'MarkLateRuns', 'ProactiveTriggers', 'RecentDeploymentsScheduler', 'Scheduler']
"""

from __future__ import annotations

from praefect.server.services.automations import AutomationActions, ProactiveTriggers
from praefect.server.services.base import Service, ServiceRunner
from praefect.server.services.crashed_runs import CrashedRuns
from praefect.server.services.late_runs import MarkLateRuns
from praefect.server.services.scheduler import RecentDeploymentsScheduler, Scheduler
from praefect.server.services.selection import all_services, enabled_services

__all__ = [
    "AutomationActions",
    "CrashedRuns",
    "MarkLateRuns",
    "ProactiveTriggers",
    "RecentDeploymentsScheduler",
    "Scheduler",
    "Service",
    "ServiceRunner",
    "all_services",
    "enabled_services",
]
