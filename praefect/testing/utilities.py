"""Helpers for testing flows (Prefect's ``prefect.testing.utilities``).

>>> from praefect.testing.utilities import prefect_test_harness
>>> with prefect_test_harness():
...     pass  # every run in here goes to a throw-away database
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from praefect import settings as _settings

__all__ = ["get_most_recent_flow_run", "praefect_test_harness", "prefect_test_harness"]


@contextlib.contextmanager
def prefect_test_harness(server_startup_timeout: int | None = 30) -> Iterator[None]:
    """Run the block against a fresh temporary home and SQLite database, for every thread.

    On exit, queued records are flushed, the database is closed and the previous settings come
    back. ``server_startup_timeout`` is accepted for Prefect compatibility (no server is started:
    runs are orchestrated in-process).
    """
    from praefect import client as _client

    with tempfile.TemporaryDirectory(prefix="praefect-test-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'praefect.db'}"
        updates: dict[str, Any] = {"home": home, "database_url": url, "api_url": None}
        with _settings.temporary_settings(updates, process_wide=True):
            try:
                yield
            finally:
                _client.drop_orchestration_clients(url)


praefect_test_harness = prefect_test_harness


def get_most_recent_flow_run(client: Any = None, flow_name: str | None = None) -> Any:
    """The newest flow run (of ``flow_name`` if given), or None.

    >>> with prefect_test_harness():
    ...     get_most_recent_flow_run() is None
    True
    """
    from praefect.client import orchestration
    from praefect.schemas import filters

    client = client or orchestration.get_client(sync_client=True)
    flow_filter = None
    if flow_name is not None:
        flow_filter = filters.FlowFilter(name=filters.FlowFilterName(any_=[flow_name]))
    runs = client.read_flow_runs(flow_filter=flow_filter, limit=1)
    return runs[0] if runs else None
