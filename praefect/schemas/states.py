"""The run state model, shared by the SDK, the client, the service layer and the API.

A ``State`` is a plain slotted object, not a pydantic model: the engine creates several per task
call, so construction must cost about as much as a tuple. ``to_record()`` / ``from_record()``
convert to and from the plain dict stored in the database and sent over the wire.
"""

from __future__ import annotations

import datetime as _dt
import enum
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from praefect import exceptions
from praefect.schemas import _results
from praefect.utilities import clock, ids
from praefect.utilities.ids import uuid7

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic_core import CoreSchema

__all__ = [
    "TERMINAL_STATES",
    "State",
    "StateDetails",
    "StateType",
    "now_utc",
    "state_exception",
    "state_result",
    "stored_details_json",
]


class StateType(enum.StrEnum):
    """The nine state types; every named state has exactly one of them."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"


TERMINAL_STATES = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED}
)

_DEFAULT_NAMES = {
    StateType.SCHEDULED: "Scheduled",
    StateType.PENDING: "Pending",
    StateType.RUNNING: "Running",
    StateType.COMPLETED: "Completed",
    StateType.FAILED: "Failed",
    StateType.CANCELLED: "Cancelled",
    StateType.CRASHED: "Crashed",
    StateType.PAUSED: "Paused",
    StateType.CANCELLING: "Cancelling",
}

_UTC = _dt.UTC


def now_utc() -> _dt.datetime:
    """The current time, timezone-aware in UTC (the only kind of time praefect stores), from
    the clock in force (``praefect.utilities.clock``: the real time unless a test froze it)."""
    return clock.now()


class StateDetails(dict[str, Any]):
    """Free-form details of a state (``flow_run_id``, ``task_run_id``, ``scheduled_time``,
    ``cache_key``, ``retriable``, ``pause_timeout`` ...), readable as attributes like Prefect's."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return self.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class _NoStoredResult:
    """The ``data`` of a state read from the store that has no persisted result."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no stored result>"

    def __bool__(self) -> bool:
        return False


NO_STORED_RESULT = _NoStoredResult()

_TIME_DETAILS = ("scheduled_time", "cache_expiration", "pause_timeout")
_ID_DETAILS = ("flow_run_id", "task_run_id", "transition_id", "task_parameters_id")


def _typed_details(details: dict[str, Any]) -> dict[str, Any]:
    """Stored details are JSON: give times and ids back their Python types."""
    out = dict(details)
    for key in _TIME_DETAILS:
        value = out.get(key)
        if isinstance(value, str):
            try:
                parsed = _dt.datetime.fromisoformat(value)
            except ValueError:
                continue
            out[key] = parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)
    for key in _ID_DETAILS:
        value = out.get(key)
        if isinstance(value, str):
            try:
                out[key] = uuid.UUID(value)
            except ValueError:
                continue
    return out


def stored_details_json(details: dict[str, Any] | None) -> dict[str, Any]:
    """The ``state_details`` that a state read from the store sends over the wire, from the
    stored (parsed JSON) ones: what ``State.from_record(record).to_record()`` gives, without
    building the state (times and ids in their canonical text, None values left out).

    >>> stored_details_json({"flow_run_id": "0123456789ABCDEF0123456789ABCDEF", "x": None})
    {'flow_run_id': '01234567-89ab-cdef-0123-456789abcdef'}
    """
    if not details:
        return {}
    out = {}
    for key, value in details.items():
        if value is None:
            continue
        if value.__class__ is str:
            if key in _ID_DETAILS and not ids.is_canonical(value):
                try:
                    value = str(uuid.UUID(value))
                except ValueError:
                    pass
            elif key in _TIME_DETAILS:
                try:
                    parsed = _dt.datetime.fromisoformat(value)
                except ValueError:
                    pass
                else:
                    value = (parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)).isoformat()
        out[key] = value
    return out


class State:
    """One state of a flow run or task run.

    >>> from praefect.states import Completed
    >>> s = Completed(data=42)
    >>> s.is_completed(), s.result()
    (True, 42)
    """

    __slots__ = ("id", "type", "name", "timestamp", "message", "data", "state_details")

    def __init__(
        self,
        type: StateType | str,
        name: str | None = None,
        message: str | None = None,
        data: Any = None,
        state_details: dict[str, Any] | None = None,
        timestamp: _dt.datetime | None = None,
        id: uuid.UUID | None = None,
    ) -> None:
        if type.__class__ is not StateType:
            type = StateType(type)
        self.id = id or uuid7()
        self.type = type
        self.name = name or _DEFAULT_NAMES[type]
        self.timestamp = timestamp or clock.now()
        self.message = message
        self.data = data
        self.state_details = StateDetails(state_details) if state_details else StateDetails()

    # -- predicates -------------------------------------------------------------------------
    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_final(self) -> bool:
        return self.type in TERMINAL_STATES

    # -- results ----------------------------------------------------------------------------
    def result(self, raise_on_failure: bool = True, fetch: bool = True) -> Any:
        """The value this state holds.

        For a Failed, Crashed or Cancelled state the original exception is raised (or returned
        with ``raise_on_failure=False``).
        """
        return state_result(self, raise_on_failure)

    async def aresult(self, raise_on_failure: bool = True) -> Any:
        return self.result(raise_on_failure=raise_on_failure)

    # -- conversion -------------------------------------------------------------------------
    def copy(self, **changes: Any) -> State:
        new = State.__new__(State)
        for slot in State.__slots__:
            setattr(new, slot, changes.get(slot, getattr(self, slot)))
        if "state_details" not in changes:
            new.state_details = StateDetails(self.state_details)
        return new

    def model_copy(self, update: dict[str, Any] | None = None, deep: bool = False) -> State:
        return self.copy(**(update or {}))

    def fresh_copy(self, **changes: Any) -> State:
        """A copy with a new id and timestamp (to propose the same state again)."""
        changes.setdefault("id", uuid7())
        changes.setdefault("timestamp", clock.now())
        return self.copy(**changes)

    def to_record(self) -> dict[str, Any]:
        """The plain dict stored in the ``*_state`` tables and sent over the wire (no payload:
        only a result reference, when one exists, lives in ``data``)."""
        return {
            "id": self.id,
            "type": self.type.value,
            "name": self.name,
            "timestamp": self.timestamp,
            "message": self.message,
            "state_details": _results.jsonable_details(self.state_details),
            "data": _results.data_reference(self.data),
        }

    @classmethod
    def from_record(cls, record: Any) -> State:
        """Build a state from a stored row (a mapping with the keys of ``to_record``)."""
        get: Callable[[str], Any] = (
            record.get if hasattr(record, "get") else lambda k: getattr(record, k, None)
        )
        ts = get("timestamp")
        if isinstance(ts, str):
            ts = _dt.datetime.fromisoformat(ts)
        if ts is not None and ts.tzinfo is None:
            ts = ts.replace(tzinfo=_UTC)
        sid = get("id")
        if isinstance(sid, str):
            sid = uuid.UUID(sid)
        details = get("state_details") or {}
        if details:
            details = _typed_details(details)
        data = get("data")
        return cls(
            type=get("type"),
            name=get("name"),
            message=get("message"),
            data=NO_STORED_RESULT if data is None else data,
            state_details=details,
            timestamp=ts,
            id=sid,
        )

    # -- pydantic integration: lets wire models hold a State field --------------------------
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        def validate(value: object) -> State:
            if isinstance(value, State):
                return value
            if isinstance(value, dict):
                return cls.from_record(value)
            raise ValueError(f"expected a State or a state record, got {type(value).__name__}")

        def serialize(value: State) -> dict[str, Any]:
            record = value.to_record()
            record["id"] = str(record["id"])
            record["timestamp"] = record["timestamp"].isoformat()
            return record

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(serialize)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        """The wire shape of a state (the keys of ``to_record``), for OpenAPI."""
        return {
            "title": "State",
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "type": {"type": "string", "enum": [t.value for t in StateType]},
                "name": {"type": "string"},
                "timestamp": {"type": "string", "format": "date-time"},
                "message": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "state_details": {"type": "object"},
                "data": {},
            },
            "required": ["type"],
        }

    def __repr__(self) -> str:
        bits = [f"type={self.type.value}"]
        if self.message:
            bits.append(f"message={self.message!r}")
        return f"{self.name}({', '.join(bits)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        return (self.type, self.name, self.message, self.id) == (
            other.type,
            other.name,
            other.message,
            other.id,
        )

    __hash__ = object.__hash__


_FAILURE_TYPES = frozenset({StateType.FAILED, StateType.CRASHED, StateType.CANCELLED})


def state_exception(state: State) -> BaseException:
    """The exception a Failed, Crashed or Cancelled state stands for: the one it holds, or one
    made from its message (a persisted exception is read back from result storage)."""
    data = state.data
    loader = getattr(data, "load_result", None)
    if loader is not None or (isinstance(data, dict) and data.get("__praefect_result_ref__")):
        try:
            data = loader() if loader is not None else _results.load_reference(data)
        except Exception:  # unreadable: the message stands for it
            data = None
    if isinstance(data, BaseException):
        return data
    message = state.message or f"Run ended in state {state.name!r}."
    if state.type is StateType.CRASHED:
        return exceptions.CrashedRun(message)
    if state.type is StateType.CANCELLED:
        return exceptions.CancelledRun(message)
    return exceptions.FailedRun(message)


def state_result(state: State, raise_on_failure: bool) -> Any:
    """The value of ``state`` (``State.result``): its data, or the stored result its reference
    names; a failure's exception is raised, or returned with ``raise_on_failure=False``."""
    if state.type in _FAILURE_TYPES:
        exc = state_exception(state)
        if raise_on_failure:
            raise exc
        return exc
    if state.type is StateType.PAUSED:
        if raise_on_failure:
            raise exceptions.PausedRun(state.message or "The run is paused.", state=state)
        return None
    if not state.is_completed() and raise_on_failure:
        because = f": {state.message}" if state.message else "."
        raise exceptions.UnfinishedRun(
            f"Run is in {state.type.value} state, its result is not available{because}"
        )
    data = state.data
    if data is NO_STORED_RESULT:
        raise exceptions.MissingResult(
            "State data is missing: this state was read from the database and its result was "
            "not persisted. Persist results (persist_result=True, a cache policy, or "
            "PRAEFECT_RESULTS_PERSIST_BY_DEFAULT=true) to read them back later."
        )
    loader = getattr(data, "load_result", None)
    if loader is not None:
        return loader()
    if isinstance(data, dict) and data.get("__praefect_result_ref__"):
        return _results.load_reference(data)
    return data
