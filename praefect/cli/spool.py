"""``praefect spool``: the run records kept on disk while a server could not take them.

When the server is unreachable (or its database is down), a client keeps the batches of task-run
records and logs it could not deliver in ``$PRAEFECT_HOME/spool/``. The process that spooled them
delivers them while it runs, as does a worker with the same home; ``praefect spool deliver``
delivers what a process that exited left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from praefect.cli import _common

app = typer.Typer(help="Deliver run records kept on disk during a server outage.")


@app.command("ls")
def ls() -> None:
    """Show what waits in the spool, per API URL.

    Example: praefect spool ls
    """
    from praefect import settings
    from praefect.client import spool

    console = _common.console()
    found = spool.directories(settings.get_current_settings().home_path)
    if not found:
        console.print("The spool is empty.")
        return
    for directory, url in found:
        batches, records = spool.Spool(directory, 0).waiting()
        refused = len(list(directory.glob("*.refused")))
        line = f"{url or '(unknown URL)'}: {records} record(s) in {batches} batch(es)"
        if refused:
            line += f", {refused} refused batch(es) kept"
        console.print(f"{line}  [{directory}]", markup=False)


@app.command("deliver")
def deliver(
    api_url: Annotated[
        str | None,
        typer.Option(help="Deliver only the records meant for this API URL.", show_default=False),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to keep trying while a server cannot take them.")
    ] = 60.0,
) -> None:
    """Deliver the run records that processes kept on disk while the server could not take
    them, showing progress; exits 1 if some are left.

    Example: praefect spool deliver --timeout 300
    """
    from praefect import settings
    from praefect.client import spool

    console = _common.console()
    home = settings.get_current_settings().home_path
    wanted = api_url.rstrip("/") if api_url else None
    left = delivered = 0
    for directory, url in spool.directories(home):
        if url is not None and (wanted is None or url == wanted):
            done, waiting = _deliver_directory(directory, url, timeout)
            delivered += done
            left += waiting
    if not delivered and not left:
        console.print("Nothing to deliver: the spool is empty.")
    if left:
        _common.exit_with_error(
            f"{left} record(s) could not be delivered yet; run this again once the server is"
            " reachable."
        )


def _deliver_directory(directory: Path, url: str, timeout: float) -> tuple[int, int]:
    """Deliver one spool directory to ``url``, printing progress; returns how many records
    were delivered and how many are left."""
    from praefect import settings
    from praefect.client import spool, spool_pickup

    console = _common.console()
    _, records = spool.Spool(directory, 0).waiting()
    if not records:
        return 0, 0
    current = settings.get_current_settings()
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        console.print(f"  {url}: delivered {done} of {records} record(s)", markup=False)

    delivered, left = spool_pickup.deliver_directory(
        directory, url, current.api_key, current.api_auth_string, timeout, progress
    )
    console.print(
        f"{url}: {delivered} record(s) delivered, {left} left in {directory}.", markup=False
    )
    return delivered, left
