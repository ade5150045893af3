"""The client: the one door from the SDK (and users) to orchestration.

``get_orchestration_client()`` is what the engine uses; ``get_client()`` is Prefect's
user-facing client (``async with get_client() as client: ...``, or ``sync_client=True``).

>>> from praefect.client import get_orchestration_client
>>> get_orchestration_client() is get_orchestration_client()  # doctest: +SKIP
True
"""

from __future__ import annotations

import atexit
import os
import threading

from praefect import settings as _settings
from praefect.client.base import OrchestrationClient
from praefect.client.embedded import EmbeddedClient

__all__ = [
    "EmbeddedClient",
    "OrchestrationClient",
    "drop_orchestration_clients",
    "get_client",
    "get_orchestration_client",
]

_clients: dict[str, EmbeddedClient] = {}
_lock = threading.Lock()


def get_orchestration_client() -> OrchestrationClient:
    """The client for the current settings: one cached ``EmbeddedClient`` per database URL
    (a ``temporary_settings`` change of the URL gives another client)."""
    settings = _settings.get_current_settings()
    if settings.api_url:
        raise NotImplementedError(
            f"PRAEFECT_API_URL is set ({settings.api_url}) but the HTTP client is not available"
            " yet; unset PRAEFECT_API_URL to use the embedded database."
        )
    url = settings.resolved_database_url
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url)
            if client is None:
                client = _clients[url] = EmbeddedClient(url)
    return client


def drop_orchestration_clients(url: str | None = None, dispose_engines: bool = True) -> None:
    """Flush and forget the cached client of ``url`` (default: every one), and close the
    engines of their databases."""
    with _lock:
        if url is None:
            clients = list(_clients.values())
            _clients.clear()
        else:
            client = _clients.pop(url, None)
            clients = [client] if client is not None else []
    for client in clients:
        client.close()
    if dispose_engines:
        from praefect import database

        for client in clients:
            database.dispose_engine(client.url)
        if url is not None:
            database.dispose_engine(url)


def _flush_at_exit() -> None:
    for client in list(_clients.values()):
        client.close()


def _forget_after_fork() -> None:
    # A forked child has no writer thread and must not reuse the parent's connections.
    _clients.clear()
    from praefect.database import engine as _engine

    for engine in list(_engine._engines.values()):
        engine.dispose(close=False)
    _engine._engines.clear()


atexit.register(_flush_at_exit)
os.register_at_fork(after_in_child=_forget_after_fork)


def get_client(httpx_settings: dict | None = None, sync_client: bool = False):  # type: ignore[no-untyped-def]
    """Prefect's user-facing client: ``PrefectClient`` (async) or ``SyncPrefectClient``.

    >>> from praefect.client import get_client
    >>> with get_client(sync_client=True) as client:  # doctest: +SKIP
    ...     client.hello()
    """
    from praefect.client import orchestration

    return orchestration.get_client(httpx_settings=httpx_settings, sync_client=sync_client)
