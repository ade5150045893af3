"""Wrappers that change how the engine treats an argument (Prefect's
``prefect.utilities.annotations``)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

__all__ = ["BaseAnnotation", "allow_failure", "quote", "unmapped"]

T = TypeVar("T")


class BaseAnnotation(Generic[T]):
    """A value wrapped for the engine; ``unwrap()`` gives it back."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def unwrap(self) -> T:
        return self.value

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BaseAnnotation)
            and type(self) is type(other)
            and self.value == other.value
        )

    def __hash__(self) -> int:
        return hash((type(self), id(self.value)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class unmapped(BaseAnnotation[T]):
    """Pass the same value to every call of ``Task.map`` instead of iterating over it.

    >>> add.map([1, 2, 3], unmapped(10))  # doctest: +SKIP
    """

    __slots__ = ()

    def __getitem__(self, _: Any) -> T:
        return self.value


class allow_failure(BaseAnnotation[T]):
    """Let a task run even if this upstream future or state failed; the task receives the
    upstream's exception as the value.

    >>> downstream.submit(wait_for=[allow_failure(upstream_future)])  # doctest: +SKIP
    """

    __slots__ = ()


class quote(BaseAnnotation[T]):
    """Pass a value as it is: the engine does not look inside it for futures or states (use it
    for large collections, where that search costs time)."""

    __slots__ = ()


class NotSet:
    """Sentinel for 'no value given'."""

    def __repr__(self) -> str:
        return "NotSet"


NOTSET: Any = NotSet()
