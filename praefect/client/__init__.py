"""The client: the one door from the SDK (and users) to orchestration.

``get_orchestration_client()`` is what the engine uses; ``get_client()`` is Prefect's
user-facing client (``async with get_client() as client: ...``, or ``sync_client=True``).

>>> from praefect.client import get_orchestration_client
>>> get_orchestration_client() is get_orchestration_client()  # doctest: +SKIP
True
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from typing import TYPE_CHECKING, Any, Literal, overload

from praefect import settings as _settings
from praefect.client.base import OrchestrationClient
from praefect.client.embedded import EmbeddedClient

if TYPE_CHECKING:
    from praefect.client.orchestration import PrefectClient, SyncPrefectClient

__all__ = [
    "EmbeddedClient",
    "OrchestrationClient",
    "drop_orchestration_clients",
    "get_client",
    "get_orchestration_client",
]

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def get_orchestration_client() -> OrchestrationClient:
    """The client for the current settings: with ``api_url`` set, one cached ``HttpClient`` per
    API URL (and credentials); otherwise one cached ``EmbeddedClient`` per database URL. A
    ``temporary_settings`` change of either gives another client."""
    settings = _settings.get_current_settings()
    api_url = settings.api_url
    if api_url:
        cached = _last_http_key
        key = cached[1] if cached[0] is settings else _http_key(settings)
    else:
        key = settings.resolved_database_url
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                if api_url:
                    from praefect.client.http import HttpClient

                    client = HttpClient.from_settings(settings)
                else:
                    client = EmbeddedClient(key)
                _clients[key] = client
    return client


def _http_key(settings: _settings.Settings) -> str:
    global _last_http_key
    # credentials are part of the key (hashed: keys show up in debuggers and reprs)
    secret = f"{settings.api_key or ''}\0{settings.api_auth_string or ''}"
    digest = hashlib.sha256(secret.encode()).hexdigest()[:12] if secret != "\0" else ""
    key = f"{(settings.api_url or '').rstrip('/')}#{digest}"
    _last_http_key = (settings, key)
    return key


_last_http_key: tuple[Any, str] = (None, "")


def drop_orchestration_clients(url: str | None = None, dispose_engines: bool = True) -> None:
    """Flush and forget the cached client of ``url`` (a database URL or an API URL; default:
    every one), and close the engines of their databases."""
    with _lock:
        if url is None:
            clients = list(_clients.values())
            _clients.clear()
        else:
            keys = [k for k in _clients if k == url or k.partition("#")[0] == url.rstrip("/")]
            clients = [_clients.pop(k) for k in keys]
    for client in clients:
        client.close()
    if dispose_engines:
        from praefect import database

        for client in clients:
            if isinstance(client, EmbeddedClient):
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


@overload
def get_client(
    httpx_settings: dict[str, Any] | None = None, sync_client: Literal[False] = False
) -> PrefectClient: ...


@overload
def get_client(
    httpx_settings: dict[str, Any] | None = None, *, sync_client: Literal[True]
) -> SyncPrefectClient: ...


@overload
def get_client(
    httpx_settings: dict[str, Any] | None = None, sync_client: bool = False
) -> PrefectClient | SyncPrefectClient: ...


def get_client(
    httpx_settings: dict[str, Any] | None = None, sync_client: bool = False
) -> PrefectClient | SyncPrefectClient:
    """Prefect's user-facing client: ``PrefectClient`` (async) or ``SyncPrefectClient``.

    >>> from praefect.client import get_client
    >>> with get_client(sync_client=True) as client:  # doctest: +SKIP
    ...     client.hello()
    """
    from praefect.client import orchestration

    return orchestration.SyncPrefectClient() if sync_client else orchestration.PrefectClient()
