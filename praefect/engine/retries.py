"""Retry policy shared by tasks and flows: how many retries, and the delay before each."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

RetryDelay = float | int | Sequence[float | int] | Callable[[int], Sequence[float | int]] | None


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed run is retried."""

    retries: int = 0
    """How many times to retry after the first failure."""
    delays: tuple[float, ...] = (0.0,)
    """Delay before retry k is ``delays[min(k - 1, len(delays) - 1)]`` seconds."""
    jitter_factor: float | None = None
    """Randomise each delay within ``delay * (1 ± jitter_factor)`` (mean ``delay``)."""

    @classmethod
    def build(
        cls, owner: str, retries: int | None, delay: RetryDelay, jitter_factor: float | None
    ) -> RetryPolicy:
        retries = int(retries or 0)
        if retries < 0:
            raise ValueError(f"{owner}: retries must be 0 or more, got {retries}.")
        if callable(delay):
            delay = delay(retries)
        if delay is None:
            delays: tuple[float, ...] = (0.0,)
        elif isinstance(delay, int | float):
            delays = (float(delay),)
        else:
            delays = tuple(float(d) for d in delay) or (0.0,)
            if len(delays) > 50:
                raise ValueError(f"{owner}: retry_delay_seconds can hold at most 50 delays.")
        if any(d < 0 for d in delays):
            raise ValueError(f"{owner}: retry delays must not be negative, got {list(delays)}.")
        if jitter_factor is not None and jitter_factor < 0:
            raise ValueError(
                f"{owner}: retry_jitter_factor must be 0 or more, got {jitter_factor}."
            )
        return cls(retries, delays, jitter_factor)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1 = the first run)."""
        base = self.delays[min(attempt - 1, len(self.delays) - 1)]
        if self.jitter_factor:
            return clamped_poisson_interval(base, self.jitter_factor)
        return base

    def as_dict(self) -> dict[str, Any]:
        return {
            "retries": self.retries,
            "retry_delay": list(self.delays),
            "retry_jitter_factor": self.jitter_factor,
        }


def clamped_poisson_interval(average: float, clamping_factor: float = 0.3) -> float:
    """An exponentially distributed interval with mean ``average``, clamped to
    ``average * (1 ± clamping_factor)`` (spreads retries of many runs apart)."""
    if average <= 0:
        return 0.0
    lower = average * max(0.0, 1 - clamping_factor)
    upper = average * (1 + clamping_factor)
    return min(max(random.expovariate(1 / average), lower), upper)


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """Delays that double: ``backoff_factor * 2**k`` for retry k = 0, 1, 2...

    >>> exponential_backoff(10)(3)
    [10, 20, 40]
    """

    def retry_backoff_callable(retries: int) -> list[float]:
        retries = min(retries, 50)
        return [backoff_factor * max(0, 2**r) for r in range(retries)]

    return retry_backoff_callable
