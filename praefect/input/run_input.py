"""Typed input for flow runs (Prefect's ``prefect.input.run_input``): what a paused run waits
for, and messages between runs.

A ``RunInput`` is a pydantic model. ``pause_flow_run(wait_for_input=Approval)`` saves its JSON
schema (the UI builds the resume form from it) and returns the ``Approval`` the run was resumed
with. A plain type (``int``, ``str``, a pydantic model) is wrapped in an ``AutomaticRunInput``
with one ``value`` field, and the pause returns that value.

>>> class Approval(RunInput):
...     approved: bool
...     note: str = ""
>>> Approval.keyset_from_type()["response"]
'approval-response'
>>> AutomaticRunInput.subclass_from_type(int).model_json_schema()["required"]
['value']
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from inspect import isclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypedDict, TypeVar

import pydantic

from praefect.context import FlowRunContext
from praefect.input import actions

if TYPE_CHECKING:
    from praefect.schemas.objects import FlowRunInput
    from praefect.schemas.states import State

__all__ = [
    "AutomaticRunInput",
    "BaseRunInput",
    "GetAutomaticInputHandler",
    "GetInputHandler",
    "Keyset",
    "RunInput",
    "RunInputMetadata",
    "asend_input",
    "keyset_from_base_key",
    "keyset_from_paused_state",
    "receive_input",
    "run_input_subclass_from_type",
    "send_input",
]

T = TypeVar("T")
R = TypeVar("R", bound="RunInput")


class Keyset(TypedDict):
    """The three input keys of one pause: its input's ``description``, the ``response`` it
    was resumed with and the ``schema`` of the input it waits for."""

    description: str
    response: str
    schema: str


def keyset_from_base_key(base_key: str) -> Keyset:
    """The keyset of ``base_key``.

    >>> keyset_from_base_key("paused-1")["schema"]
    'paused-1-schema'
    """
    return {
        "description": f"{base_key}-description",
        "response": f"{base_key}-response",
        "schema": f"{base_key}-schema",
    }


def keyset_from_paused_state(state: State) -> Keyset:
    """The keyset of a Paused (or Suspended) state: from its name and ``pause_key``."""
    if not state.is_paused():
        raise RuntimeError(f"{state.type.value!r} is unsupported: only a paused state has inputs.")
    return keyset_from_base_key(f"{(state.name or '').lower()}-{state.state_details.pause_key}")


class RunInputMetadata(pydantic.BaseModel):
    """Where a received input came from: its ``key``, its ``sender`` and the run it was for."""

    key: str
    sender: str | None = None
    receiver: uuid.UUID


def _sender_of_current_run() -> str | None:
    ctx = FlowRunContext.enclosing()
    return f"prefect.flow-run.{ctx.flow_run.id}" if ctx is not None else None


class BaseRunInput(pydantic.BaseModel):
    """The base of typed run inputs: save/load under a keyset, send to and receive from runs."""

    model_config = pydantic.ConfigDict(extra="forbid")

    _description: ClassVar[str | None] = None
    _metadata: RunInputMetadata | None = pydantic.PrivateAttr(default=None)

    @property
    def metadata(self) -> RunInputMetadata:
        """Where this input came from (set when it was loaded or received)."""
        if self._metadata is None:
            raise AttributeError("This input was not loaded or received: it has no metadata.")
        return self._metadata

    @classmethod
    def keyset_from_type(cls) -> Keyset:
        """The keyset named after this class."""
        return keyset_from_base_key(cls.__name__.lower())

    @classmethod
    def save(cls, keyset: Keyset, flow_run_id: uuid.UUID | str | None = None) -> None:
        """Save this class's JSON schema (and description) for the run under ``keyset``: what
        a resume is checked against and the resume form is built from. Saving again is a
        no-op."""
        from praefect import exceptions

        run_id = actions.ensure_flow_run_id(flow_run_id)
        schema = cls.model_json_schema()
        try:
            actions.create_flow_run_input(keyset["schema"], schema, flow_run_id=run_id)
        except exceptions.ObjectAlreadyExists:
            return
        if isinstance(cls._description, str):
            actions.create_flow_run_input(keyset["description"], cls._description, run_id)

    @classmethod
    def load(cls, keyset: Keyset, flow_run_id: uuid.UUID | str | None = None) -> Any:
        """The input the run was resumed with (the ``response`` of ``keyset``)."""
        run_id = actions.ensure_flow_run_id(flow_run_id)
        value = actions.read_flow_run_input(keyset["response"], flow_run_id=run_id)
        instance = cls(**value) if value else cls()
        instance._metadata = RunInputMetadata(key=keyset["response"], receiver=run_id)
        return instance

    @classmethod
    def load_from_flow_run_input(cls, flow_run_input: FlowRunInput) -> Any:
        """An instance from a saved input, with its metadata."""
        instance = cls(**flow_run_input.decoded_value)
        instance._metadata = RunInputMetadata(
            key=flow_run_input.key,
            sender=flow_run_input.sender,
            receiver=flow_run_input.flow_run_id,
        )
        return instance

    @classmethod
    def with_initial_data(cls, description: str | None = None, **kwargs: Any) -> type[Any]:
        """A subclass whose fields default to ``kwargs`` (new fields are added with the type
        of their value), with a ``description`` the resume form shows above it.

        >>> class Name(RunInput):
        ...     name: str
        >>> Name.with_initial_data(name="Ada")().name
        'Ada'
        """
        fields: dict[str, Any] = {}
        for key, value in kwargs.items():
            known = cls.model_fields.get(key)
            annotation = known.annotation if known is not None else type(value)
            fields[key] = (annotation, value)
        model: type[Any] = pydantic.create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            model._description = description
        return model

    def respond(
        self, run_input: Any, sender: str | None = None, key_prefix: str | None = None
    ) -> None:
        """Send ``run_input`` back to the flow run that sent this input."""
        sent_by = self.metadata.sender
        if not sent_by or not sent_by.startswith("prefect.flow-run."):
            raise RuntimeError(
                "This input was not sent by a flow run: there is no one to respond to."
            )
        flow_run_id = uuid.UUID(sent_by.removeprefix("prefect.flow-run."))
        send_input(run_input, flow_run_id, sender=sender, key_prefix=key_prefix)

    def send_to(
        self, flow_run_id: uuid.UUID | str, sender: str | None = None, key_prefix: str | None = None
    ) -> None:
        """Send this input to a flow run (``receive_input`` there reads it)."""
        prefix = key_prefix or _key_prefix(type(self))
        actions.create_flow_run_input_from_model(
            f"{prefix}-{uuid.uuid4()}", self, flow_run_id=flow_run_id, sender=sender
        )


class RunInput(BaseRunInput):
    """A typed input for flow runs (subclass it with your fields).

    >>> class Approval(RunInput):
    ...     approved: bool
    >>> Approval(approved=True).approved
    True
    """

    @classmethod
    def receive(
        cls,
        timeout: float | None = 3600,
        poll_interval: float = 10,
        raise_timeout_error: bool = False,
        exclude_keys: set[str] | None = None,
        key_prefix: str | None = None,
        flow_run_id: uuid.UUID | str | None = None,
    ) -> GetInputHandler[Any]:
        """An iterator over the inputs of this type sent to the flow run (see
        ``receive_input``)."""
        return GetInputHandler(
            cls,
            key_prefix or _key_prefix(cls),
            timeout=timeout,
            poll_interval=poll_interval,
            raise_timeout_error=raise_timeout_error,
            exclude_keys=exclude_keys,
            flow_run_id=flow_run_id,
        )

    @classmethod
    def subclass_from_base_model_type(cls, model_cls: type[pydantic.BaseModel]) -> type[RunInput]:
        """A ``RunInput`` with the fields of a plain pydantic model (instances are both)."""
        return type(f"{model_cls.__name__}RunInput", (RunInput, model_cls), {})


class AutomaticRunInput(RunInput, Generic[T]):
    """A plain type as a run input: one field, ``value``; loading it gives the value."""

    value: T

    @classmethod
    def load(cls, keyset: Keyset, flow_run_id: uuid.UUID | str | None = None) -> Any:
        """The value the run was resumed with."""
        return super().load(keyset, flow_run_id=flow_run_id).value

    @classmethod
    def subclass_from_type(cls, _type: Any) -> type[AutomaticRunInput[Any]]:
        """The ``AutomaticRunInput`` of ``_type``: ``value: _type``."""
        name = str(getattr(_type, "__name__", getattr(_type, "_name", "")) or "value").lower()
        model: type[AutomaticRunInput[Any]] = pydantic.create_model(
            f"{name}AutomaticRunInput", __base__=AutomaticRunInput, value=(_type, ...)
        )
        return model

    @classmethod
    def receive(
        cls,
        timeout: float | None = 3600,
        poll_interval: float = 10,
        raise_timeout_error: bool = False,
        exclude_keys: set[str] | None = None,
        key_prefix: str | None = None,
        flow_run_id: uuid.UUID | str | None = None,
        with_metadata: bool = False,
    ) -> GetAutomaticInputHandler[Any]:
        """An iterator over the values of this type sent to the flow run."""
        return GetAutomaticInputHandler(
            cls,
            key_prefix or _key_prefix(cls),
            timeout=timeout,
            poll_interval=poll_interval,
            raise_timeout_error=raise_timeout_error,
            exclude_keys=exclude_keys,
            flow_run_id=flow_run_id,
            with_metadata=with_metadata,
        )


def _key_prefix(cls: type[BaseRunInput]) -> str:
    return f"{cls.__name__.lower()}-auto"


def run_input_subclass_from_type(_type: Any) -> type[RunInput]:
    """The ``RunInput`` class a ``wait_for_input`` stands for: a ``RunInput`` as is, a pydantic
    model wrapped, any other type (``int``, ``str``, ``list[str]``) automatic."""
    if isclass(_type):
        if issubclass(_type, RunInput):
            return _type
        if issubclass(_type, pydantic.BaseModel):
            return RunInput.subclass_from_base_model_type(_type)
    return AutomaticRunInput.subclass_from_type(_type)


class GetInputHandler(Generic[R]):
    """Iterates (``for x in ...`` or ``async for``) over the inputs sent to a flow run under a
    key prefix, oldest first, each once; waits up to ``timeout`` seconds for the next one
    (then stops, or raises ``TimeoutError`` with ``raise_timeout_error``)."""

    def __init__(
        self,
        run_input_cls: type[R],
        key_prefix: str,
        timeout: float | None = 3600,
        poll_interval: float = 10,
        raise_timeout_error: bool = False,
        exclude_keys: set[str] | None = None,
        flow_run_id: uuid.UUID | str | None = None,
    ) -> None:
        self.run_input_cls = run_input_cls
        self.key_prefix = key_prefix
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.raise_timeout_error = raise_timeout_error
        self.exclude_keys = set(exclude_keys or ())
        self.flow_run_id = actions.ensure_flow_run_id(flow_run_id)
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return self.next()
        except TimeoutError:
            if self.raise_timeout_error:
                raise
            raise StopIteration from None

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        try:
            return await asyncio.to_thread(self.next)
        except TimeoutError:
            if self.raise_timeout_error:
                raise
            raise StopAsyncIteration from None

    def next(self) -> Any:
        """The next input (``TimeoutError`` when none came within ``timeout``)."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        # short polls first, so a message sent just now is seen at once
        interval = min(0.05, self.poll_interval)
        while True:
            found = actions.filter_flow_run_input(
                self.key_prefix, 1, self.exclude_keys, flow_run_id=self.flow_run_id
            )
            if found:
                self.exclude_keys.add(found[0].key)
                return self.to_instance(found[0])
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(
                    f"No input with key prefix {self.key_prefix!r} reached flow run "
                    f"{self.flow_run_id} within {self.timeout} second(s)."
                )
            wait = interval if deadline is None else min(interval, deadline - time.monotonic())
            self._stop.wait(max(0.0, wait))
            interval = min(interval * 2, self.poll_interval)

    def to_instance(self, flow_run_input: FlowRunInput) -> Any:
        return self.run_input_cls.load_from_flow_run_input(flow_run_input)


class GetAutomaticInputHandler(GetInputHandler[Any], Generic[T]):
    """``GetInputHandler`` for plain types: yields the values (the inputs themselves, with
    their metadata, when ``with_metadata``)."""

    def __init__(self, *args: Any, with_metadata: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.with_metadata = with_metadata

    def to_instance(self, flow_run_input: FlowRunInput) -> Any:
        instance = self.run_input_cls.load_from_flow_run_input(flow_run_input)
        return instance if self.with_metadata else instance.value


def receive_input(
    input_type: Any,
    timeout: float | None = 3600,
    poll_interval: float = 10,
    raise_timeout_error: bool = False,
    exclude_keys: set[str] | None = None,
    key_prefix: str | None = None,
    flow_run_id: uuid.UUID | str | None = None,
    with_metadata: bool = False,
) -> GetInputHandler[Any]:
    """Iterate over the inputs of ``input_type`` sent to the flow run (the current one by
    default) with ``send_input``, each once, oldest first; it stops after ``timeout`` seconds
    without a new one. Plain types give their values (``with_metadata``: the inputs, whose
    ``metadata.sender`` says who sent them and which can ``respond()``).

    >>> for name in receive_input(str, timeout=60):  # doctest: +SKIP
    ...     print(f"hello {name}")
    """
    input_cls = run_input_subclass_from_type(input_type)
    if issubclass(input_cls, AutomaticRunInput):
        return input_cls.receive(
            timeout=timeout,
            poll_interval=poll_interval,
            raise_timeout_error=raise_timeout_error,
            exclude_keys=exclude_keys,
            key_prefix=key_prefix,
            flow_run_id=flow_run_id,
            with_metadata=with_metadata,
        )
    return input_cls.receive(
        timeout=timeout,
        poll_interval=poll_interval,
        raise_timeout_error=raise_timeout_error,
        exclude_keys=exclude_keys,
        key_prefix=key_prefix,
        flow_run_id=flow_run_id,
    )


def send_input(
    run_input: Any,
    flow_run_id: uuid.UUID | str,
    sender: str | None = None,
    key_prefix: str | None = None,
) -> None:
    """Send ``run_input`` (a ``RunInput``, or a plain value) to a flow run, where
    ``receive_input`` of its type reads it; inside a flow run the sender is that run.

    >>> send_input("Ada", flow_run_id=greeter_run_id)  # doctest: +SKIP
    """
    instance: RunInput
    if isinstance(run_input, RunInput):
        instance = run_input
    elif isinstance(run_input, pydantic.BaseModel):
        instance = RunInput.subclass_from_base_model_type(type(run_input))(**run_input.model_dump())
    else:
        instance = AutomaticRunInput.subclass_from_type(type(run_input))(value=run_input)
    instance.send_to(flow_run_id, sender=sender or _sender_of_current_run(), key_prefix=key_prefix)


async def asend_input(
    run_input: Any,
    flow_run_id: uuid.UUID | str,
    sender: str | None = None,
    key_prefix: str | None = None,
) -> None:
    """``send_input`` for async code."""
    sender = sender or _sender_of_current_run()
    await asyncio.to_thread(send_input, run_input, flow_run_id, sender, key_prefix)
