"""Binding call arguments to a function's parameters, fast, and validating them against type
hints."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from praefect import exceptions

RESERVED = frozenset({"return_state", "wait_for"})


class Signature:
    """What the engine needs to know of a function's signature, computed once."""

    __slots__ = ("sig", "names", "defaults", "simple", "plan", "owner", "var_kw")

    def __init__(self, fn: Callable[..., Any], owner: str) -> None:
        self.sig = inspect.signature(fn)
        self.owner = owner
        params = list(self.sig.parameters.values())
        reserved = RESERVED.intersection(p.name for p in params)
        if reserved:
            raise exceptions.ReservedArgumentError(
                f"{owner} uses the reserved parameter name(s) {sorted(reserved)!r}; praefect "
                "uses these names for call options. Rename the parameter."
            )
        self.names = tuple(p.name for p in params)
        self.defaults = {
            p.name: p.default for p in params if p.default is not inspect.Parameter.empty
        }
        kinds = {p.kind for p in params}
        self.simple = kinds <= {
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        }
        self.var_kw = next(
            (p.name for p in params if p.kind is inspect.Parameter.VAR_KEYWORD), None
        )
        self.plan = None if self.simple else CallPlan(params)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The parameters of a call, defaults included, by name."""
        if self.simple and len(args) <= len(self.names):
            params = dict(zip(self.names, args, strict=False)) if args else {}
            if kwargs:
                for key, value in kwargs.items():
                    if key in params or key not in self.defaults and key not in self.names:
                        return self._slow_bind(args, kwargs)
                    params[key] = value
            if len(params) < len(self.names):
                for name in self.names:
                    if name not in params:
                        if name not in self.defaults:
                            return self._slow_bind(args, kwargs)
                        params[name] = self.defaults[name]
            return params
        return self._slow_bind(args, kwargs)

    def _slow_bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            bound = self.sig.bind(*args, **kwargs)
        except TypeError as exc:
            accepted = ", ".join(self.names) or "no parameters"
            raise exceptions.ParameterBindError(
                f"{self.owner} could not bind its arguments: {exc}. It accepts: {accepted}."
            ) from None
        bound.apply_defaults()
        return dict(bound.arguments)


class CallPlan:
    """How to call a function with positional-only or variadic parameters from a name→value
    mapping."""

    __slots__ = ("params",)

    def __init__(self, params: list[inspect.Parameter]) -> None:
        self.params = params

    def split(self, parameters: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in self.params:
            if p.name not in parameters:
                continue
            value = parameters[p.name]
            if p.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(value)
            elif p.kind is inspect.Parameter.VAR_POSITIONAL:
                args.extend(value)
            elif p.kind is inspect.Parameter.VAR_KEYWORD:
                kwargs.update(value)
            elif p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and not kwargs:
                args.append(value)
            else:
                kwargs[p.name] = value
        return args, kwargs


class ParameterValidator:
    """Validates and coerces parameters with pydantic from the function's type hints
    (``"5"`` becomes ``5`` for ``x: int``). Built lazily: flows that never run pay nothing."""

    def __init__(self, fn: Callable[..., Any], owner: str) -> None:
        self.fn = fn
        self.owner = owner
        self._adapters: dict[str, Any] | None = None

    def _build(self) -> dict[str, Any]:
        import typing

        try:
            hints = typing.get_type_hints(self.fn, include_extras=True)
        except Exception:
            hints = {}
        hints.pop("return", None)
        adapters: dict[str, Any] = {}
        if not hints:
            return adapters  # nothing to check: don't pay for importing pydantic
        from pydantic import ConfigDict, TypeAdapter

        config = ConfigDict(arbitrary_types_allowed=True)
        for name, param in inspect.signature(self.fn).parameters.items():
            if name not in hints or param.kind in (
                inspect.Parameter.VAR_POSITIONAL,
                inspect.Parameter.VAR_KEYWORD,
            ):
                continue
            hint = hints[name]
            try:
                adapters[name] = TypeAdapter(hint, config=config)
            except Exception:
                try:
                    adapters[name] = TypeAdapter(hint)
                except Exception:
                    continue  # a hint pydantic cannot validate is left unchecked
        return adapters

    def validate(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Coerced parameters, or ``ParameterTypeError`` naming each refused parameter."""
        if self._adapters is None:
            self._adapters = self._build()
        if not self._adapters:
            return parameters
        from pydantic import ValidationError

        out = dict(parameters)
        errors: list[dict[str, Any]] = []
        for name, adapter in self._adapters.items():
            if name not in parameters:
                continue
            value = parameters[name]
            try:
                out[name] = adapter.validate_python(value)
            except ValidationError as exc:
                first = exc.errors()[0]
                expected = _type_name(adapter)
                loc = ".".join(str(p) for p in first.get("loc", ()))
                detail = first.get("msg", str(exc))
                if loc:
                    detail = f"{detail} (at {loc})"
                errors.append(
                    {
                        "parameter": name,
                        "expected": expected,
                        "value": value,
                        "message": detail,
                    }
                )
        if errors:
            lines = [
                f"parameter {e['parameter']!r} expected {e['expected']}, got {e['value']!r} "
                f"({type(e['value']).__name__}): {e['message']}"
                for e in errors
            ]
            raise exceptions.ParameterTypeError(
                f"{self.owner} received invalid parameters: " + "; ".join(lines), errors
            )
        return out


def _type_name(adapter: Any) -> str:
    hint = getattr(adapter, "_type", None)
    if hint is None:
        return "a valid value"
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
