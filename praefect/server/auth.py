"""Authentication and roles.

Credentials, each giving a role (see ``roles``):

- API keys made with ``praefect api-key create --role viewer|operator|admin`` (stored hashed in
  the database), sent as ``Authorization: Bearer <key>``, or as the password of HTTP basic auth
  (so a browser can log in to the UI with one);
- ``PRAEFECT_SERVER_API_AUTH_STRING`` (``user:password``, HTTP basic auth) and the keys of
  ``PRAEFECT_SERVER_API_KEYS``: admin.

When none of these exists the server is open (every request is admin's), as Prefect's is by
default. A plain ASGI middleware, so a refused request never reaches a route (nothing is
parsed, nothing is written): 401 without valid credentials, 403 naming the role needed.
``/api/health`` stays open for load balancers and readiness probes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Sequence

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from praefect.server import roles
from praefect.server.bodies import read_body

__all__ = ["OPEN_PATHS", "AuthMiddleware", "parse_api_keys"]

OPEN_PATHS = frozenset({"/api/health"})
"""Paths answered without credentials."""
REFRESH_SECONDS = 2.0
"""How old the server's copy of the key table may get: a revoked key stops working after it."""
_MISS_REFRESH_SECONDS = 0.25


def parse_api_keys(value: str | None) -> list[str]:
    """The API keys of a comma-separated setting, blanks dropped.

    >>> parse_api_keys(" k1, ,k2 ")
    ['k1', 'k2']
    """
    return [key.strip() for key in (value or "").split(",") if key.strip()]


class _Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.detail = detail
        self.headers = headers


class AuthMiddleware:
    """Identify each HTTP request's caller and role, and refuse it when the role may not send
    it (``roles.required_role``)."""

    def __init__(
        self,
        app: ASGIApp,
        auth_string: str | None = None,
        api_keys: Sequence[str] = (),
        database_url: str | None = None,
    ) -> None:
        self.app = app
        self.auth_string = (auth_string or "").encode()
        self.api_keys = [key.encode() for key in api_keys]
        self.database_url = database_url
        self._keys: dict[str, tuple[str, str]] | None = None
        self._loaded = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        try:
            role, who = await self._identify(scope)
            if role != "admin":  # an admin (and anyone on an open server) may do everything
                method = scope.get("method", "WEBSOCKET")
                needed = roles.required_role(method, scope["path"])
                if not roles.allows(role, needed):
                    raise _Refused(403, _forbidden(method, scope["path"], needed, role, who))
                if method in ("POST", "PUT", "PATCH") and any(
                    pattern.fullmatch(scope["path"]) for pattern in roles.JOB_VARIABLES_PATHS
                ):
                    receive = await _without_job_variables(scope, receive, role, who)
        except _Refused as refused:
            response = JSONResponse(
                {"detail": refused.detail}, status_code=refused.status, headers=refused.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _identify(self, scope: Scope) -> tuple[str, str]:
        """``(role, who)`` of the request's credentials, or ``_Refused`` (401, 503)."""
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        static = bool(self.auth_string or self.api_keys)
        if header is not None:
            if static and self._static_match(header):
                return "admin", "the server's own credentials"
            token = _token(header)
            if token:
                found = await self._lookup(token)
                if found is not None:
                    return found
        if not static and not await self._keys_exist():
            return "admin", "anyone (the server is open)"
        reason = "no credentials were sent" if header is None else "the credentials are wrong"
        # a browser asks its user for basic-auth credentials (a key as the password) on a page
        basic = bool(self.auth_string) or not scope["path"].startswith("/api")
        raise _Refused(
            401,
            "Not authenticated: this server requires an API key (Authorization: Bearer <key>) "
            f"or basic auth; {reason}.",
            {"WWW-Authenticate": "Basic" if basic else "Bearer"},
        )

    def _static_match(self, header: bytes) -> bool:
        scheme, _, credentials = header.strip().partition(b" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if scheme == b"basic" and self.auth_string:
            try:
                decoded = base64.b64decode(credentials, validate=True)
            except (binascii.Error, ValueError):
                return False
            return hmac.compare_digest(decoded, self.auth_string)
        if scheme == b"bearer" and self.api_keys:
            # compare with every key, so the time taken does not tell which one nearly matched
            matches = [hmac.compare_digest(credentials, key) for key in self.api_keys]
            return any(matches)
        return False

    # -- the database's keys: a copy refreshed every REFRESH_SECONDS -------------------------

    async def _keys_exist(self) -> bool:
        return bool(await self._table())

    async def _lookup(self, token: str) -> tuple[str, str] | None:
        from praefect.orchestration import api_keys

        digest = api_keys.hash_key(token)
        table = await self._table()
        found = table.get(digest)
        # a key made just now; with no key known yet, always look: the server's first key
        # closes it at once instead of leaving it open (and its holder an admin) for a moment
        if found is None and (not table or time.monotonic() - self._loaded > _MISS_REFRESH_SECONDS):
            found = (await self._table(force=True)).get(digest)
        if found is None:
            return None
        role, name = found
        return role, f"the API key {name!r}"

    async def _table(self, force: bool = False) -> dict[str, tuple[str, str]]:
        if self.database_url is None:
            return {}
        if self._keys is None or force or time.monotonic() - self._loaded > REFRESH_SECONDS:
            try:
                self._keys = await anyio.to_thread.run_sync(self._read_table)
            except Exception as exc:
                if self._keys is None:
                    raise _Refused(
                        503,
                        f"The server cannot read its API keys from the database ({exc}); "
                        "try again shortly.",
                        {"Retry-After": "2"},
                    ) from None
            self._loaded = time.monotonic()
        return self._keys

    def _read_table(self) -> dict[str, tuple[str, str]]:
        from praefect import database
        from praefect.orchestration import api_keys

        engine = database.get_engine(self.database_url)
        return database.read(engine, api_keys.roles_by_hash)


def _token(header: bytes) -> str | None:
    """The key in a bearer header, or the password of a basic-auth one."""
    scheme, _, credentials = header.strip().partition(b" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == b"bearer":
        return credentials.decode("latin-1")
    if scheme == b"basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _forbidden(method: str, path: str, needed: str, role: str, who: str) -> str:
    return (
        f"Forbidden: {method} {path} needs the {needed} role; {who} has the {role} role. "
        "Ask an admin for a key with that role (praefect api-key create --role "
        f"{needed} --name ...)."
    )


async def _without_job_variables(scope: Scope, receive: Receive, role: str, who: str) -> Receive:
    """``receive`` replaying the request's body, after refusing (403) a body that sets
    ``job_variables``: they choose the command a worker runs, which only an admin may."""
    body, replaying = await read_body(receive)
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None  # the route answers the malformed body with its 422
    if isinstance(parsed, dict) and parsed.get("job_variables"):
        method = scope.get("method", "POST")
        raise _Refused(
            403,
            _forbidden(method, scope["path"] + " with job_variables", "admin", role, who),
        )
    return replaying
