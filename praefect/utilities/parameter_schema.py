"""The JSON schema of a function's parameters (what a deployment's ``parameter_openapi_schema``
holds), and validation of parameters against such a schema.

The schema comes from the signature with pydantic: each parameter is a property with its type
hint's schema, its default and its ``position``; parameters without a default are ``required``.

>>> def report(n: int, label: str = "daily") -> None: ...
>>> schema = parameter_schema(report)
>>> schema["required"], schema["properties"]["label"]["default"]
(['n'], 'daily')
>>> validation_errors(schema, {"n": "x"})
["n: 'x' is not of type 'integer'"]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
import pydantic
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

__all__ = ["parameter_schema", "validation_errors"]

_SKIPPED = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class _Lenient(GenerateJsonSchema):
    """Types with no JSON form (a client object, a lock) become "any value" instead of an
    error, and defaults with no JSON form are left out instead of warned about."""

    def handle_invalid_for_json_schema(
        self, schema: core_schema.CoreSchema, error_info: str
    ) -> JsonSchemaValue:
        return {}

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        if "default" not in schema:
            return inner
        try:
            default = self.encode_default(schema["default"])
        except Exception:
            return inner
        return {**inner, "default": default}


def parameter_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """The JSON schema of ``fn``'s parameters (``*args``/``**kwargs`` are left out).

    >>> def f(x: int, y: list[str] | None = None): ...
    >>> sorted(parameter_schema(f)["properties"])
    ['x', 'y']
    """
    signature = inspect.signature(fn)
    try:
        hints = inspect.get_annotations(fn, eval_str=True)
    except Exception:  # an annotation naming something not importable: use the raw ones
        hints = getattr(fn, "__annotations__", {}) or {}
    fields: dict[str, Any] = {}
    positions: dict[str, int] = {}
    for position, param in enumerate(signature.parameters.values()):
        if param.kind in _SKIPPED:
            continue
        annotation = hints.get(param.name, Any)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, pydantic.Field(default, title=param.name))
        positions[param.name] = position
    try:
        model = pydantic.create_model(
            "Parameters",
            __config__=pydantic.ConfigDict(arbitrary_types_allowed=True),
            **fields,
        )
        schema = model.model_json_schema(schema_generator=_Lenient)
    except Exception:  # a hint pydantic cannot read at all: fall back to names only
        schema = {
            "title": "Parameters",
            "type": "object",
            "properties": {name: {"title": name} for name in fields},
            "required": [name for name, (_, field) in fields.items() if field.default is ...],
        }
    schema.setdefault("properties", {})
    schema.setdefault("required", [])
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        schema["additionalProperties"] = True  # **kwargs: any other name is welcome
    for name, prop in schema["properties"].items():
        prop["position"] = positions.get(name, 0)
    return schema


def validation_errors(schema: Mapping[str, Any] | None, parameters: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``parameters`` for ``schema``, one line per problem naming the
    parameter (empty when they fit, or when there is no schema).

    >>> validation_errors({"type": "object", "required": ["n"], "properties": {}}, {})
    ["parameters: 'n' is a required property"]
    >>> validation_errors({"type": "object", "properties": {"n": {}}}, {"m": 1})
    ['m: not a parameter of the flow (it takes: n)']
    """
    if not schema:
        return []
    validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
    validator = validator_class(dict(schema))
    errors = sorted(validator.iter_errors(dict(parameters)), key=lambda e: list(e.path))
    out = []
    for error in errors:
        where = ".".join(str(part) for part in error.absolute_path) or "parameters"
        out.append(f"{where}: {error.message}")
    known = schema.get("properties")
    if isinstance(known, Mapping) and schema.get("additionalProperties") is not True:
        # A name the flow does not take would fail only on the worker, as a TypeError.
        takes = ", ".join(known) or "no parameters"
        for name in parameters:
            if name not in known:
                out.append(f"{name}: not a parameter of the flow (it takes: {takes})")
    return out
