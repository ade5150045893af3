"""The "run" form of a deployment, generated from its parameters' JSON schema.

``fields(schema, defaults)`` describes one form field per parameter (in the function's order):
a number box for integers and numbers, a checkbox for booleans, a list for enums, a text box for
strings and a JSON box for anything else. ``parse(fields, form)`` turns the submitted form back
into parameters and says, per field, what is wrong with each bad value: the service layer's
schema check (``praefect.utilities.parameter_schema``) decides, so the form refuses exactly what
``POST /api/deployments/<id>/create_flow_run`` would.

>>> schema = {"type": "object", "required": ["n"], "properties": {
...     "n": {"type": "integer", "position": 0}, "label": {"type": "string", "default": "x"}}}
>>> form = fields(schema, {})
>>> [(f.name, f.widget, f.required) for f in form]
[('n', 'number', True), ('label', 'text', False)]
>>> parse(form, {"n": "three", "label": ""})
({'n': 'three'}, {'n': "'three' is not of type 'integer'"})
>>> parse(form, {"n": "3", "label": "y"})
({'n': 3, 'label': 'y'}, {})
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Field", "fields", "parse"]

_MISSING = object()


@dataclass
class Field:
    """One form field: a parameter of the deployment's flow."""

    name: str
    title: str
    widget: str
    """``number``, ``checkbox``, ``select``, ``text`` or ``json``."""
    required: bool
    value: str
    """The field's current text (the default, or what was submitted)."""
    description: str = ""
    type: str = ""
    """The JSON schema type, when there is one (``integer``, ``number``, ...)."""
    choices: tuple[str, ...] = ()
    error: str = ""


def _resolve(schema: Mapping[str, Any], prop: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return schema.get("definitions", {}).get(ref.rsplit("/", 1)[1], prop)
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return schema.get("$defs", {}).get(ref.rsplit("/", 1)[1], prop)
    options = [p for p in prop.get("anyOf", ()) if p.get("type") != "null"]
    if len(options) == 1:  # X | None: the form edits an X
        return {**prop, **_resolve(schema, options[0])}
    return prop


def _text(value: Any, widget: str) -> str:
    if value is _MISSING or value is None:
        return ""
    if widget == "json":
        return json.dumps(value)
    if widget == "checkbox":
        return "true" if value else ""
    return str(value)


def fields(schema: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> list[Field]:
    """The form fields of a parameter schema, filled with ``defaults`` (the deployment's
    parameters) over the schema's own defaults."""
    if not schema:
        return [Field(name, name, "json", False, json.dumps(v)) for name, v in defaults.items()]
    required = set(schema.get("required") or ())
    properties = schema.get("properties") or {}
    ordered = sorted(properties.items(), key=lambda item: item[1].get("position", 0))
    out = []
    for name, raw in ordered:
        prop = _resolve(schema, raw)
        kind = prop.get("type", "")
        if prop.get("enum"):
            widget = "select"
        elif kind in ("integer", "number"):
            widget = "number"
        elif kind == "boolean":
            widget = "checkbox"
        elif kind == "string":
            widget = "text"
        else:
            widget = "json"
        value = defaults.get(name, prop.get("default", raw.get("default", _MISSING)))
        out.append(
            Field(
                name=name,
                title=str(prop.get("title") or raw.get("title") or name),
                widget=widget,
                required=name in required and name not in defaults,
                value=_text(value, widget),
                description=str(prop.get("description") or ""),
                type=kind if isinstance(kind, str) else "",
                choices=tuple(str(choice) for choice in prop.get("enum") or ()),
            )
        )
    return out


def _value(field: Field, text: str) -> Any:
    if field.widget == "checkbox":
        return text not in ("", "false", "off")
    if field.widget == "json":
        return json.loads(text)
    if field.type == "integer":
        try:
            return int(text)
        except ValueError:
            return text  # the schema check names it
    if field.type == "number":
        try:
            return float(text)
        except ValueError:
            return text
    return text


def parse(
    form_fields: list[Field], form: Mapping[str, str], schema: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters a submitted ``form`` gives, and an error message per bad field. Each
    field keeps the submitted text, and its ``error``, for the form shown again."""
    from praefect.utilities import parameter_schema  # jsonschema: only when a form is sent

    parameters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in form_fields:
        text = form.get(field.name, "")
        text = text.strip() if field.widget != "text" else text
        field.value = text
        if text == "" and field.widget != "checkbox":
            if field.required:
                errors[field.name] = "a value is required"
            continue
        try:
            parameters[field.name] = _value(field, text)
            if field.widget == "checkbox":
                field.value = "true" if parameters[field.name] else ""
        except json.JSONDecodeError as exc:
            errors[field.name] = f"not valid JSON ({exc.msg} at column {exc.colno})"
    if schema is None:
        schema = {
            "type": "object",
            "properties": {f.name: {"type": f.type} for f in form_fields if f.type},
        }
    checked = {k: v for k, v in parameters.items() if k not in errors}
    for problem in parameter_schema.validation_errors(schema, checked):
        where, _, message = problem.partition(": ")
        name = where.split(".", 1)[0]
        if name == "parameters":
            continue  # a missing required parameter: reported above
        errors.setdefault(name, message)
    for field in form_fields:
        field.error = errors.get(field.name, "")
    return parameters, errors
