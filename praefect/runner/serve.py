"""``serve(*deployments)``: serve several deployments from this process (``praefect.serve``,
``praefect.flows.serve``), until SIGINT or SIGTERM.

>>> from praefect import serve  # doctest: +SKIP
>>> serve(etl.to_deployment("hourly", interval=3600), report.to_deployment("daily", cron="0 8 * * *"))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from typing import Any

from praefect.runner.runner import Runner

__all__ = ["aserve", "serve"]


def _runner(deployments: tuple[Any, ...], pause_on_shutdown: bool, limit: int | None) -> Runner:
    if not deployments:
        raise ValueError(
            "serve() needs at least one deployment, e.g. serve(my_flow.to_deployment('name'))."
        )
    runner = Runner(pause_on_shutdown=pause_on_shutdown, limit=limit)
    for deployment in deployments:
        runner.add_deployment(deployment)
    return runner


def _starting_message(deployments: tuple[Any, ...]) -> str:
    names = ", ".join(repr(getattr(d, "full_name", getattr(d, "name", d))) for d in deployments)
    return (
        f"Serving {names}. Start a run with `praefect deployment run '<flow>/<deployment>'`;"
        " stop with Ctrl-C."
    )


def serve(
    *deployments: Any,
    pause_on_shutdown: bool = True,
    print_starting_message: bool = True,
    limit: int | None = None,
    **_: Any,
) -> None:
    """Register the deployments (``flow.to_deployment(...)``) and run their runs here, each in
    a subprocess, until SIGINT or SIGTERM."""
    runner = _runner(deployments, pause_on_shutdown, limit)
    if print_starting_message:
        print(_starting_message(deployments), flush=True)
    runner.serve_until_signalled()


async def aserve(
    *deployments: Any,
    pause_on_shutdown: bool = True,
    print_starting_message: bool = True,
    limit: int | None = None,
    **_: Any,
) -> None:
    """``serve`` for async code (the runner works in a thread; cancel the task or call
    ``stop()`` on it to end)."""
    runner = await asyncio.to_thread(_runner, deployments, pause_on_shutdown, limit)
    if print_starting_message:
        print(_starting_message(deployments), flush=True)
    await runner.start()
