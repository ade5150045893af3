"""``HttpClient``: the orchestration client that talks to a praefect server over HTTP.

It implements the same protocol as ``EmbeddedClient`` against the REST API (Prefect 3's paths
under ``/api``). Flow-run calls are synchronous requests: the server's rules may refuse a state.
Task-run records, their states and logs go through the same write-behind queue as in embedded
mode, so a task call only appends to a deque; a background thread posts them in batches
(``POST /task_runs/batch``, ``POST /logs/``) and ``flush()`` returns once the server has
acknowledged everything queued before it.

Connection errors, 5xx and 429 are retried with exponential backoff and jitter, honouring
``Retry-After`` (a server whose database is down answers 503). When the server stays
unreachable or keeps failing, batches go to an on-disk spool (``praefect.client.spool``) with
one warning, and are delivered when it answers again, so a flow keeps running through an
outage; a batch is never dropped for a connection error or a 5xx. A synchronous call gives up
after ``client_retry_seconds`` with a ``ServerUnavailable`` error naming the URL.

>>> client = HttpClient("http://127.0.0.1:4200/api")  # doctest: +SKIP
>>> client.ensure_flow("etl")  # doctest: +SKIP
UUID('...')
"""

from __future__ import annotations

import base64
import datetime as _dt
import email.utils
import enum
import hashlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pydantic_core

from praefect import exceptions
from praefect.client.http_automations import HttpAutomationMethods
from praefect.client.http_blocks import HttpBlockMethods
from praefect.client.http_concurrency import HttpConcurrencyMethods
from praefect.client.http_deployments import HttpDeploymentMethods
from praefect.client.http_inputs import HttpInputMethods
from praefect.client.http_rows import orchestration_result as _orchestration_result
from praefect.client.http_rows import query_body as _query_body
from praefect.client.http_rows import row as _row
from praefect.client.http_task_workers import HttpTaskWorkerMethods
from praefect.client.http_variables import HttpVariableMethods
from praefect.client.http_work_pools import HttpWorkPoolMethods
from praefect.client.spool import ServerError, Spool, SpoolDeliverer
from praefect.client.writer import WriteBehind
from praefect.schemas import _results
from praefect.schemas.responses import OrchestrationResult
from praefect.schemas.states import State

if TYPE_CHECKING:
    from praefect.schemas.events import Event, EventFilter
    from praefect.schemas.queries import (
        FlowQuery,
        FlowRunCriteria,
        FlowRunQuery,
        LogQuery,
        TaskRunCriteria,
        TaskRunQuery,
    )

__all__ = [
    "HttpClient",
    "PrefectHTTPStatusError",
    "ServerUnavailable",
    "Transport",
    "deliver_spooled",
]

_logger = logging.getLogger("praefect.client")

_PAGE = 1000  # the largest ``limit`` the server's filter routes accept
_EVENT_PAGE = 50
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SILENT_SECONDS = 2.0  # retrying longer than this is said once, so a user is not left waiting
_MAX_500_RETRIES = 2  # a 500 is usually a bug: retry it a little, not for the whole budget
_SPOOL_STATUSES = frozenset({408, 429})  # besides 5xx: answers after which a batch is kept


class ServerUnavailable(exceptions.PrefectException, ConnectionError):
    """The server could not be reached (or kept answering 5xx/429) for the whole retry budget."""

    def __init__(
        self, message: str, url: str, problem: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.problem = problem
        """The last error met (``ConnectError: ...``, ``HTTP 503 ...``)."""
        self.retry_after = retry_after
        """Seconds the server asked to wait (``Retry-After``), if it said."""


class PrefectHTTPStatusError(httpx.HTTPStatusError):
    """The server refused a request (4xx, or a 5xx that retries did not cure); the message
    carries the server's ``detail``."""

    @classmethod
    def from_response(cls, response: httpx.Response) -> PrefectHTTPStatusError:
        try:
            detail = response.json().get("detail", response.text)
        except Exception:
            detail = response.text
        request = response.request
        message = (
            f"The praefect server answered {response.status_code} {response.reason_phrase} to"
            f" {request.method} {request.url}: {detail}"
        )
        return cls(message, request=request, response=response)


# -- wire encoding ------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, State):
        return value.to_record()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset):
        return list(value)
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    return str(value)


_encode = json.JSONEncoder(default=_default, separators=(",", ":"), ensure_ascii=False).encode


def dumps(value: Any) -> bytes:
    """JSON bytes of ``value`` (ids, times, states, enums and pydantic models included)."""
    return _encode(value).encode()


_result = _orchestration_result


# -- transport ----------------------------------------------------------------------------------


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - _dt.datetime.now(_dt.UTC)).total_seconds())


class Transport:
    """An ``httpx.Client`` on the API URL with auth headers and retries."""

    def __init__(
        self,
        api_url: str,
        api_key: str | None = None,
        auth_string: str | None = None,
        timeout: float = 60.0,
        retry_seconds: float = 30.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.retry_seconds = retry_seconds
        """Default time budget of ``request`` for retrying connection errors, 5xx and 429."""
        self._warned = False
        from praefect import __version__

        headers = {
            "User-Agent": f"praefect/{__version__}",
            "X-PREFECT-API-VERSION": "0.8.4",
            "Content-Type": "application/json",
        }
        # Prefect's precedence: an API key wins over the basic-auth string.
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        elif auth_string:
            token = base64.b64encode(auth_string.encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self._options: dict[str, Any] = {
            "base_url": self.api_url + "/",
            "headers": headers,
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        }
        self._client = httpx.Client(**self._options)

    def request(
        self,
        method: str,
        path: str,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        budget: float | None = None,
    ) -> httpx.Response:
        """Send a request, retrying connection errors, 5xx and 429 for up to ``budget`` seconds
        (default ``retry_seconds``); return the first other response (4xx included), or raise
        ``ServerUnavailable``."""
        budget = self.retry_seconds if budget is None else budget
        if self._client.is_closed:  # a user client may outlive the cached one it was given
            self._client = httpx.Client(**self._options)
        start = time.monotonic()
        delay = 0.05
        errors_500 = 0
        last_try = False
        while True:
            retry_after = None
            try:
                response = self._client.request(method, path, content=content, params=params)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status not in _RETRY_STATUSES:
                    return response
                if status == 500:
                    errors_500 += 1
                    if errors_500 > _MAX_500_RETRIES:
                        return response
                problem = f"HTTP {status} {response.reason_phrase}"
                retry_after = _retry_after(response)
            wait = retry_after if retry_after is not None else delay * random.uniform(0.75, 1.25)
            elapsed = time.monotonic() - start
            if not self._warned and elapsed + wait >= _SILENT_SECONDS and budget > _SILENT_SECONDS:
                self._warned = True  # once per client: say why nothing happens, then keep trying
                _logger.warning(
                    "The praefect server at %s does not answer (%s); retrying for up to %.0f s.",
                    self.api_url,
                    problem,
                    budget,
                )
            if elapsed + wait > budget and not last_try and budget - elapsed > 0.05:
                wait, last_try = budget - elapsed, True  # use what is left for one more try
            elif elapsed + wait > budget:
                raise ServerUnavailable(
                    f"Could not reach the praefect server at {self.api_url} ({method} {path}):"
                    f" {problem}; gave up after {elapsed:.1f} s of retries. Check that the server"
                    " is running (`praefect server start`) and that PRAEFECT_API_URL points at"
                    " it, or unset PRAEFECT_API_URL to record runs in the local database.",
                    url=self.api_url,
                    problem=problem,
                    retry_after=retry_after,
                )
            time.sleep(wait)
            delay = min(delay * 2, 2.0)

    def close(self) -> None:
        self._client.close()


# -- the write-behind queue over HTTP ----------------------------------------------------------


def task_run_items(tasks: list[tuple[Mapping[str, Any], State | None]]) -> list[dict[str, Any]]:
    """The ``POST /task_runs/batch`` items of ``(row, state)`` pairs: each task run's row goes
    once, with its last item (the server keeps a run's last row anyway); its earlier items name
    the run by ``task_run_id``. A task's three states would otherwise carry its row three times.

    >>> row = {"id": 1, "name": "t"}
    >>> task_run_items([(row, "Pending"), (row, "Running")])
    [{'task_run_id': 1, 'state': 'Pending'}, {'row': {'id': 1, 'name': 't'}, 'state': 'Running'}]
    """
    last = {row["id"]: index for index, (row, _) in enumerate(tasks)}
    return [
        {"row": row, "state": state}
        if last[row["id"]] == index
        else {"task_run_id": row["id"], "state": state}
        for index, (row, state) in enumerate(tasks)
    ]


def task_run_body(tasks: list[tuple[Mapping[str, Any], State | None]]) -> bytes:
    """The JSON of ``task_run_items(tasks)``, written by pydantic_core (UUIDs and times in C,
    times as ``...Z``) rather than by ``dumps``, at a third of its cost: the writer's thread
    shares the GIL with the flow it records. Other values are written as ``dumps`` writes them.

    >>> row = {"id": uuid.UUID(int=1), "name": "t"}
    >>> at = _dt.datetime(2030, 1, 1, tzinfo=_dt.UTC)
    >>> json.loads(task_run_body([(row, State("PENDING", timestamp=at))]))[0]["state"]["timestamp"]
    '2030-01-01T00:00:00Z'
    """
    return pydantic_core.to_json(task_run_items(tasks), fallback=_wire_default)


def events_body(events: list[Event]) -> bytes:
    """The JSON body of ``POST /api/events`` for ``events``."""
    return b"[" + b",".join(event.model_dump_json().encode() for event in events) + b"]"


def _wire_default(value: Any) -> Any:
    if value.__class__ is State:
        # State.to_record, leaving UUIDs and times to pydantic_core
        data = value.data
        return {
            "id": value.id,
            "type": value.type._value_,
            "name": value.name,
            "timestamp": value.timestamp,
            "message": value.message,
            "state_details": {k: v for k, v in value.state_details.items() if v is not None},
            "data": None if data is None else _results.data_reference(data),
        }
    return _default(value)


def _first(items: list[Any]) -> bytes:
    return dumps(items[0])


def _no_engine() -> Any:
    raise RuntimeError("The HTTP writer has no database engine.")


class HttpWriteBehind(WriteBehind):
    """``WriteBehind`` whose batches are acknowledged HTTP requests instead of transactions:
    same queue, batching, ``flush()`` and ``close()``; a batch the server cannot take now is
    spooled to disk and delivered later."""

    send_budget = 1.0
    """Seconds a batch is retried before it is spooled."""

    def __init__(
        self, transport: Transport, spool: Spool, deliverer: SpoolDeliverer, max_batch: int = 2000
    ) -> None:
        super().__init__(_no_engine, max_batch=max_batch)
        self.transport = transport
        self.spool = spool
        self.deliverer = deliverer
        self.requests = 0
        """Batch requests the server acknowledged."""
        self._warned = False

    def _commit(
        self,
        tasks: list[tuple[Mapping[str, Any], State | None]],
        logs: list[Mapping[str, Any]],
        events: list[Event],
        artifacts: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        if tasks:
            self._post("/task_runs/batch", tasks, task_run_body)
        if logs:
            self._post("/logs/", logs)
        if events:
            self._post("/events", events, events_body)
        for artifact in artifacts:  # Prefect's API has no batch of artifacts
            body = {k: v for k, v in artifact.items() if k not in ("created", "updated")}
            self._post("/artifacts/", [body], _first)

    def _post(
        self, path: str, items: list[Any], encode: Callable[[list[Any]], bytes] = dumps
    ) -> None:
        body = encode(items)
        if self.spool.pending():  # while anything is spooled, later batches queue behind it
            self._to_spool(path, body, len(items), None)
            return
        try:
            response = self.transport.request("POST", path, content=body, budget=self.send_budget)
        except ServerUnavailable as exc:
            self._to_spool(path, body, len(items), exc.problem)
            return
        if response.is_success:
            self.requests += 1
            self._warned = False
        elif response.status_code in (413, 422) and len(items) > 1:
            # one bad record (or too big a body) must not cost the whole batch: halve it
            half = len(items) // 2
            self._post(path, items[:half], encode)
            self._post(path, items[half:], encode)
        elif response.status_code >= 500 or response.status_code in _SPOOL_STATUSES:
            # the server failed, not the batch: keep it and send it again later
            problem = f"HTTP {response.status_code} {response.reason_phrase}"
            self._to_spool(path, body, len(items), problem)
        else:
            self.failed_items += len(items)
            _logger.error(
                "%s; %d record(s) are lost.",
                PrefectHTTPStatusError.from_response(response),
                len(items),
            )

    def _to_spool(self, path: str, body: bytes, count: int, problem: str | None) -> None:
        if not self.spool.put(path, body, count):
            self.failed_items += count
            _logger.error(
                "The spool of unsent run records (%s) is full (%.0f MB); %d record(s) are lost."
                " Raise PRAEFECT_CLIENT_SPOOL_MAX_MB or bring the server at %s back.",
                self.spool.directory,
                self.spool.max_bytes / 2**20,
                count,
                self.transport.api_url,
            )
            return
        if not self._warned:
            self._warned = True
            _logger.warning(
                "The praefect server at %s is unreachable or cannot take run records now"
                " (%s). Runs go on: their records are kept in %s and sent when the server is"
                " back.",
                self.transport.api_url,
                problem or "earlier batches are still waiting",
                self.spool.directory,
            )
        self.deliverer.notify()


def deliver_spooled(
    transport: Transport, deliverer: SpoolDeliverer, path: str, body: bytes
) -> bool:
    """Send one spooled batch: the ``send`` of a ``SpoolDeliverer`` (see there)."""
    try:
        # a short budget: a few quick tries, then the deliverer's own backoff; a lasting 500
        # comes back as a response and sends the batch to the back of the spool (it must not
        # block those behind it)
        response = transport.request("POST", path, content=body, budget=0.5)
    except ServerUnavailable as exc:
        deliverer.retry_after = exc.retry_after
        return False
    if response.status_code >= 500 or response.status_code in _SPOOL_STATUSES:
        raise ServerError(f"HTTP {response.status_code} {response.reason_phrase}")
    if not response.is_success:
        raise PrefectHTTPStatusError.from_response(response)
    return True


# -- the client ---------------------------------------------------------------------------------


class HttpClient(
    HttpBlockMethods,
    HttpWorkPoolMethods,
    HttpDeploymentMethods,
    HttpAutomationMethods,
    HttpTaskWorkerMethods,
    HttpConcurrencyMethods,
    HttpInputMethods,
    HttpVariableMethods,
):
    """An ``OrchestrationClient`` onto the praefect server at ``api_url``.

    >>> client = HttpClient("http://127.0.0.1:4200/api", api_key="k")  # doctest: +SKIP
    >>> client.read_flow_runs(FlowRunQuery(limit=1))  # doctest: +SKIP
    []
    """

    def __init__(
        self,
        api_url: str,
        api_key: str | None = None,
        auth_string: str | None = None,
        home: Path | None = None,
        timeout: float = 60.0,
        retry_seconds: float = 30.0,
        spool_max_bytes: int = 256 * 2**20,
    ) -> None:
        self.url = api_url.rstrip("/")
        self.transport = Transport(self.url, api_key, auth_string, timeout, retry_seconds)
        home = Path(home or "~/.praefect").expanduser()
        key = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.spool = Spool(home / "spool" / key, spool_max_bytes, url=self.url)
        self.deliverer = SpoolDeliverer(self.spool, self._deliver, self.url)
        self.writer = HttpWriteBehind(self.transport, self.spool, self.deliverer)
        # Bound straight to the queue: the hot path is one deque append (no method frame).
        self.enqueue_task_run = self.writer.put_task_run  # type: ignore[method-assign]
        self.enqueue_logs = self.writer.put_logs  # type: ignore[method-assign]
        self._flow_ids: dict[str, uuid.UUID] = {}
        self._warned_records = 0
        if self.spool.has_files():  # left by an earlier process
            self.deliverer.start()

    @classmethod
    def from_settings(cls, settings: Any) -> HttpClient:
        """The client the ``settings`` describe (``api_url``, ``api_key``, ...)."""
        return cls(
            settings.api_url,
            api_key=settings.api_key,
            auth_string=settings.api_auth_string,
            home=settings.home_path,
            timeout=settings.api_request_timeout,
            retry_seconds=settings.client_retry_seconds,
            spool_max_bytes=int(settings.client_spool_max_mb * 2**20),
        )

    def _deliver(self, path: str, body: bytes) -> bool:
        if not deliver_spooled(self.transport, self.deliverer, path, body):
            return False
        self.writer.requests += 1
        return True

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        budget: float | None = None,
        missing: Any = exceptions.ObjectNotFound,
        on_status: Mapping[int, Callable[[httpx.Response], Any]] | None = None,
    ) -> Any:
        """Send a request and return its decoded JSON; a 404 gives ``None`` when ``missing`` is
        None, else raises it; a status in ``on_status`` gives what its function makes of the
        response."""
        content = None if body is None else dumps(body)
        response = self.transport.request(
            method, path, content=content, params=params, budget=budget
        )
        if response.is_success:
            return response.json() if response.content else None
        if on_status and response.status_code in on_status:
            return on_status[response.status_code](response)
        if response.status_code == 404:
            if missing is None:
                return None
            raise missing(str(PrefectHTTPStatusError.from_response(response)))
        if response.status_code == 409:
            raise exceptions.ObjectAlreadyExists(
                str(PrefectHTTPStatusError.from_response(response))
            )
        if response.status_code == 422:
            raise ValueError(str(PrefectHTTPStatusError.from_response(response)))
        raise PrefectHTTPStatusError.from_response(response)

    @staticmethod
    def _refused(response: httpx.Response) -> PrefectHTTPStatusError:
        """The error of an answer no caller expects (for the mixins)."""
        return PrefectHTTPStatusError.from_response(response)

    # -- what the engine calls ------------------------------------------------------------
    def ensure_flow(self, name: str) -> uuid.UUID:
        """The id of the flow called ``name``, created if needed (cached in-process)."""
        flow_id = self._flow_ids.get(name)
        if flow_id is None:
            data = self._call("POST", "/flows/", {"name": name})
            flow_id = self._flow_ids[name] = uuid.UUID(data["id"])
        return flow_id

    def create_flow_run(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Create a flow run with its first state, or return the existing one (``row``: see
        ``EmbeddedClient``)."""
        return _row(self._call("POST", "/flow_runs/", dict(row), missing=exceptions.FlowNotFound))

    def set_flow_run_state(
        self, flow_run_id: uuid.UUID, state: State, force: bool = False
    ) -> OrchestrationResult:
        """Propose ``state`` for a flow run; the server's rules answer."""
        data = self._call(
            "POST",
            f"/flow_runs/{flow_run_id}/set_state",
            {"state": state, "force": force},
            missing=_flow_run_not_found(flow_run_id),
        )
        return _result(data, state)

    def update_flow_run(self, flow_run_id: uuid.UUID, **fields: Any) -> None:
        """Change plain fields of a flow run."""
        # a heartbeat missed now is sent again at the next beat: do not hold its thread long
        budget = 2.0 if "heartbeat" in fields else None
        self._call(
            "PATCH",
            f"/flow_runs/{flow_run_id}",
            fields,
            budget=budget,
            missing=_flow_run_not_found(flow_run_id),
        )

    def update_flow_run_labels(self, flow_run_id: uuid.UUID, labels: Mapping[str, Any]) -> None:
        """Set these labels on a flow run, keeping its others."""
        self._call(
            "PATCH",
            f"/flow_runs/{flow_run_id}/labels",
            dict(labels),
            missing=_flow_run_not_found(flow_run_id),
        )

    def enqueue_task_run(self, row: Mapping[str, Any], state: State | None) -> None:
        """Queue a task run's current row and new state (replaced per instance in __init__)."""
        self.writer.put_task_run(row, state)

    def enqueue_logs(self, rows: list[Mapping[str, Any]]) -> None:
        """Queue log rows (replaced per instance in __init__)."""
        self.writer.put_logs(rows)

    def enqueue_events(self, events: list[Event]) -> None:
        """Queue events: sent in batches to ``POST /api/events``, each batch acknowledged by
        the server, or spooled to disk while it is away."""
        self.writer.put_events(events)

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything queued so far is acknowledged by the server, or spooled to
        disk when the server is unreachable (then one delivery attempt is waited for, and a
        warning says how many records wait and how they will be delivered)."""
        self.writer.flush(timeout)
        if self.spool.pending():
            self.deliverer.deliver_now(min(timeout if timeout is not None else 2.0, 2.0))
            self._warn_spooled()

    def deliver_spool_in_background(self, poll: float = 10.0) -> None:
        """Deliver spooled batches of this API URL for as long as the process lives, also those
        other processes (flows that exited during an outage) left, looking every ``poll``
        seconds: for long-lived processes such as a worker."""
        self.deliverer.poll = poll
        self.deliverer.start()
        self.deliverer.notify()

    def _warn_spooled(self) -> None:
        records = self.spool.pending_records()
        if not records or records == self._warned_records:
            return
        self._warned_records = records
        _logger.warning(
            "%d run record(s) are not delivered to the praefect server at %s yet: they wait in"
            " %s. This process keeps sending them while it runs; after it exits, `praefect"
            " spool deliver` (or a worker with the same PRAEFECT_HOME) delivers them.",
            records,
            self.url,
            self.spool.directory,
        )

    def close(self) -> None:
        """Flush the queue, try to deliver what is spooled, stop the threads."""
        self.writer.close()
        self.deliverer.close(timeout=2.0)
        self.transport.close()

    # -- reads and user actions -----------------------------------------------------------
    def read_flow(self, flow_id: uuid.UUID) -> dict[str, Any] | None:
        data = self._call("GET", f"/flows/{flow_id}", missing=None)
        return _row(data) if data is not None else None

    def read_flow_by_name(self, name: str) -> dict[str, Any] | None:
        body = {"flows": {"name": {"any_": [name]}}, "limit": 1}
        rows = self._call("POST", "/flows/filter", body)
        return _row(rows[0]) if rows else None

    def check_health(self) -> None:
        # one try: a health check answers now, it does not wait out an outage
        self._call("GET", "/health", budget=0)

    def read_flows(self, query: FlowQuery | None = None) -> list[dict[str, Any]]:
        return [_row(item) for item in self._filter_all("/flows/filter", query)]

    def read_flow_run(self, flow_run_id: uuid.UUID) -> dict[str, Any] | None:
        data = self._call("GET", f"/flow_runs/{flow_run_id}", missing=None)
        return _row(data) if data is not None else None

    def read_flow_runs(self, query: FlowRunQuery | None = None) -> list[dict[str, Any]]:
        return [_row(item) for item in self._filter_all("/flow_runs/filter", query)]

    def count_flow_runs(self, criteria: FlowRunCriteria | None = None) -> int:
        return int(self._call("POST", "/flow_runs/count", _query_body(criteria)))

    def read_flow_run_states(self, flow_run_id: uuid.UUID) -> list[State]:
        data = self._call("GET", "/flow_run_states/", params={"flow_run_id": str(flow_run_id)})
        return [State.from_record(item) for item in data]

    def read_task_run(self, task_run_id: uuid.UUID) -> dict[str, Any] | None:
        self.flush()
        data = self._call("GET", f"/task_runs/{task_run_id}", missing=None)
        return _row(data) if data is not None else None

    def read_task_runs(self, query: TaskRunQuery | None = None) -> list[dict[str, Any]]:
        self.flush()
        return [_row(item) for item in self._filter_all("/task_runs/filter", query)]

    def count_task_runs(self, criteria: TaskRunCriteria | None = None) -> int:
        self.flush()
        return int(self._call("POST", "/task_runs/count", _query_body(criteria)))

    def read_task_run_states(self, task_run_id: uuid.UUID) -> list[State]:
        self.flush()
        data = self._call("GET", "/task_run_states/", params={"task_run_id": str(task_run_id)})
        return [State.from_record(item) for item in data]

    def read_logs(self, query: LogQuery | None = None) -> list[dict[str, Any]]:
        self.flush()
        return [_row(item) for item in self._filter_all("/logs/filter", query)]

    def read_events(
        self,
        event_prefix: str | None = None,
        resource_id: str | None = None,
        limit: int | None = 200,
    ) -> list[dict[str, Any]]:
        """Events, oldest first (as ``EmbeddedClient.read_events``)."""
        self.flush()
        event_filter: dict[str, Any] = {"order": "ASC"}
        if event_prefix:
            event_filter["event"] = {"prefix": [event_prefix]}
        if resource_id:
            event_filter["resource"] = {"id": [resource_id]}
        rows: list[dict[str, Any]] = []
        while limit is None or len(rows) < limit:
            want = _EVENT_PAGE if limit is None else min(_EVENT_PAGE, limit - len(rows))
            body = {"filter": event_filter, "limit": want, "offset": len(rows)}
            page = self._call("POST", "/events/filter", body)["events"]
            for item in page:
                row = _row(item)
                row["resource_id"] = (item.get("resource") or {}).get("prefect.resource.id")
                rows.append(row)
            if len(page) < want:
                break
        return rows

    def filter_events(
        self, filter: EventFilter | None = None, limit: int | None = 50
    ) -> list[dict[str, Any]]:
        """The events matching ``filter``, in pages of ``POST /api/events/filter``."""
        self.flush()
        body_filter = filter.model_dump(mode="json", exclude_none=True) if filter else {}
        rows: list[dict[str, Any]] = []
        while limit is None or len(rows) < limit:
            want = _EVENT_PAGE if limit is None else min(_EVENT_PAGE, limit - len(rows))
            body = {"filter": body_filter, "limit": want, "offset": len(rows)}
            page = self._call("POST", "/events/filter", body)["events"]
            for item in page:
                row = _row(item)
                row["resource_id"] = (item.get("resource") or {}).get("prefect.resource.id")
                rows.append(row)
            if len(page) < want:
                break
        return rows

    def _filter_all(self, path: str, query: Any) -> list[dict[str, Any]]:
        """The rows of ``query`` (None, or its ``limit`` None: all of them), in pages the
        server accepts."""
        if query is None:
            body, limit, offset = {}, None, 0
        else:
            body, limit, offset = _query_body(query), query.limit, query.offset
        rows: list[dict[str, Any]] = []
        while True:
            want = _PAGE if limit is None else min(_PAGE, limit - len(rows))
            page = self._call("POST", path, {**body, "limit": want, "offset": offset + len(rows)})
            rows.extend(page)
            if len(page) < want or (limit is not None and len(rows) >= limit):
                return rows

    def delete_flow_run(self, flow_run_id: uuid.UUID) -> bool:
        """Delete a flow run with its states, task runs and logs; False if there was none."""
        self.flush()
        response = self.transport.request("DELETE", f"/flow_runs/{flow_run_id}")
        if response.status_code == 404:
            return False
        if not response.is_success:
            raise PrefectHTTPStatusError.from_response(response)
        return True

    def delete_flow(self, flow_id: uuid.UUID) -> bool:
        """Delete a flow with all its runs; False if there was none."""
        self.flush()
        self._flow_ids = {name: i for name, i in self._flow_ids.items() if i != flow_id}
        response = self.transport.request("DELETE", f"/flows/{flow_id}")
        if response.status_code == 404:
            return False
        if not response.is_success:
            raise PrefectHTTPStatusError.from_response(response)
        return True


def _flow_run_not_found(flow_run_id: uuid.UUID) -> Any:
    def missing(message: str) -> exceptions.FlowRunNotFound:
        return exceptions.FlowRunNotFound(message, flow_run_id=flow_run_id)

    return missing
