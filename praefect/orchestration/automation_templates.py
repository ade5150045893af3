"""Action templates: the text fields of an action are Jinja templates, rendered in a sandbox
over the triggering ``event``, the ``automation`` and the objects the event names
(``flow_run``, ``flow``, ``deployment``, ``work_pool``, ``work_queue``).

>>> ctx = {"event": Obj({"event": "acme.x", "resource": Labels({"prefect.resource.id": "a.1"})})}
>>> render_action({"type": "do-nothing", "note": "{{ event.resource.id }}!"}, ctx)["note"]
'a.1!'
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

__all__ = [
    "Labels",
    "Obj",
    "TemplateFailed",
    "context",
    "render_action",
    "resource_uuid",
    "syntax_error",
]

_KINDS = {
    "flow-run": "flow_run",
    "flow": "flow",
    "deployment": "deployment",
    "work-pool": "work_pool",
    "work-queue": "work_queue",
}


class TemplateFailed(Exception):
    """A template of an action could not be rendered (the message names it and why)."""


class Obj(dict[str, Any]):
    """A dict whose keys read as attributes too (``flow_run.name``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Labels(Obj):
    """A resource's labels, with Prefect's ``id``, ``name`` and ``role`` shortcuts."""

    @property
    def id(self) -> str:
        return str(self.get("prefect.resource.id", ""))

    @property
    def name(self) -> str | None:
        return self.get("prefect.resource.name")

    @property
    def role(self) -> str | None:
        return self.get("prefect.resource.role")


def resource_uuid(resource_id: str, kind: str) -> uuid.UUID | None:
    """The id in ``prefect.<kind>.<id>`` (``praefect.`` too), or None.

    >>> resource_uuid("prefect.flow-run.5e7b6d4e-57ad-4a36-b4a5-4c5b3f1c8a6f", "flow-run")
    UUID('5e7b6d4e-57ad-4a36-b4a5-4c5b3f1c8a6f')
    """
    for prefix in (f"prefect.{kind}.", f"praefect.{kind}."):
        if resource_id.startswith(prefix):
            try:
                return uuid.UUID(resource_id[len(prefix) :])
            except ValueError:
                return None
    return None


def named(event: Mapping[str, Any] | None, kind: str) -> uuid.UUID | None:
    """The id of the ``kind`` object the event is about, or the first related one."""
    if not event:
        return None
    resources = [event.get("resource") or {}, *(event.get("related") or [])]
    for labels in resources:
        found = resource_uuid(str(labels.get("prefect.resource.id", "")), kind)
        if found is not None:
            return found
    return None


def _read(conn: Connection, kind: str, object_id: uuid.UUID) -> dict[str, Any] | None:
    from praefect.orchestration import deployments, flow_runs, flows, work_pools

    readers = {
        "flow_run": flow_runs.read,
        "flow": flows.read,
        "deployment": deployments.read,
        "work_pool": work_pools.read_pool_by_id,
        "work_queue": work_pools.read_queue_by_id,
    }
    return readers[kind](conn, object_id)


def context(
    conn: Connection, event: Mapping[str, Any] | None, automation: Mapping[str, Any]
) -> dict[str, Any]:
    """What an action's templates see."""
    ctx: dict[str, Any] = {
        "automation": Obj({k: v for k, v in automation.items() if k != "trigger"}),
        "event": None,
    }
    if event:
        ctx["event"] = Obj(
            {
                **event,
                "resource": Labels(event.get("resource") or {}),
                "related": [Labels(r) for r in event.get("related") or []],
            }
        )
    for kind, name in _KINDS.items():
        object_id = named(event, kind)
        row = _read(conn, name, object_id) if object_id is not None else None
        ctx[name] = Obj(row) if row is not None else None
    return ctx


@functools.cache
def _environment() -> Any:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(autoescape=False)


def syntax_error(template: str) -> tuple[int | None, str] | None:
    """The line and message of the template's syntax error, or None when it parses.

    >>> syntax_error("{{ event.id }}") is None, syntax_error("{{ event.id ")[0]
    (True, 1)
    """
    from jinja2 import TemplateSyntaxError

    try:
        _environment().parse(template)
    except TemplateSyntaxError as exc:
        return exc.lineno, exc.message or str(exc)
    return None


def _render(text: str, ctx: Mapping[str, Any], where: str) -> str:
    if "{{" not in text and "{%" not in text:
        return text
    try:
        return str(_environment().from_string(text).render(**ctx))
    except Exception as exc:
        raise TemplateFailed(
            f"The template of {where} failed: {type(exc).__name__}: {exc} (template: {text!r})"
        ) from exc


def _walk(value: Any, ctx: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str):
        return _render(value, ctx, where)
    if isinstance(value, dict):
        kind = value.get("__prefect_kind")
        if kind == "jinja":
            return _render(str(value.get("template", "")), ctx, where)
        if kind == "json":
            import json

            raw = value.get("value")
            return json.loads(raw) if isinstance(raw, str) else raw
        return {k: _walk(v, ctx, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, ctx, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def render_action(action: Mapping[str, Any], ctx: Mapping[str, Any]) -> dict[str, Any]:
    """The action (as JSON) with every template in it rendered; ``TemplateFailed`` naming the
    field whose template failed."""
    return {
        key: value
        if key in ("type", "source")
        else _walk(value, ctx, f"{action.get('type')}.{key}")
        for key, value in action.items()
    }
