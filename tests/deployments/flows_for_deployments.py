"""Flows the deployment tests deploy (a file, so entrypoints point at it)."""

from __future__ import annotations

from praefect import flow


@flow
def scheduled_report(n: int = 1, label: str = "default") -> str:
    """A report, made every so often."""
    return f"{label}:{n}"
