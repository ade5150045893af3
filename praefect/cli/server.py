"""``praefect server``: run the API server and manage its database."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from praefect.cli import _common

__all__ = ["app"]

app = typer.Typer(help="Run the praefect server and manage its database.", no_args_is_help=True)
database_app = typer.Typer(help="Upgrade, downgrade or reset the database.", no_args_is_help=True)
app.add_typer(database_app, name="database")


@app.command()
def start(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 4200).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    scheduler: Annotated[
        bool | None,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run the scheduler (default: PRAEFECT_SERVER_SERVICES_SCHEDULER_ENABLED).",
        ),
    ] = None,
    late_runs: Annotated[
        bool | None,
        typer.Option(
            "--late-runs/--no-late-runs",
            help="Mark overdue runs Late (default: PRAEFECT_SERVER_SERVICES_LATE_RUNS_ENABLED).",
        ),
    ] = None,
    no_services: Annotated[
        bool, typer.Option("--no-services", help="Run no background service, only the API.")
    ] = False,
) -> None:
    """Start the server: migrate the database, then serve the web UI, the REST API and /docs,
    and run the background services (scheduler, late runs, crashed runs).

    Example: praefect server start --port 4200
    """
    import gc
    import time

    started = time.perf_counter()
    # Start-up makes ~85,000 objects that live as long as the server and almost no garbage:
    # the collections it would trigger meanwhile cost ~15% of it. Frozen afterwards, those
    # objects are skipped by every later collection too.
    gc.disable()
    try:
        import uvicorn

        from praefect import settings
        from praefect.server import admin, services, serving
        from praefect.server.app import create_app

        _show_service_logs()
        current = settings.get_current_settings()
        host = host or current.server_host
        port = port or current.server_port
        _check_port(host, port)
        revision = admin.upgrade()
        app_ = create_app(current, lazy=True, listening_on=host)
        url = f"http://{host}:{port}"
        chosen = [] if no_services else services.enabled_services(current, scheduler, late_runs)
    finally:
        gc.freeze()
        gc.enable()
    typer.echo(
        f"praefect server at {url} (web UI {url}/, API {url}/api, docs {url}/docs); database "
        f"{_common_url(current.resolved_database_url)} at {revision}; services: "
        f"{', '.join(s.name for s in chosen) or 'none'}; ready in "
        f"{time.perf_counter() - started:.2f}s.\n"
        f"Point clients at it with: export PRAEFECT_API_URL={url}/api\n"
        f"Open the UI: {url}/"
    )
    runner = services.ServiceRunner(chosen, database_url=current.resolved_database_url)
    pickup = threading.Event()  # set: stop picking up the spool

    def on_started() -> None:
        runner.start()
        threading.Thread(
            target=_pick_up_spool,
            args=(current.home_path, host, port, pickup),
            name="praefect-spool-pickup",
            daemon=True,
        ).start()

    try:
        config = uvicorn.Config(
            app_,
            host=host,
            port=port,
            log_level=log_level,
            access_log=access_log,
            timeout_graceful_shutdown=3,  # a request still busy then is cancelled
        )
        # The services start once the server listens; it ends the UI's live streams first
        # when it stops, so Ctrl-C stops at once.
        server = serving.Server(config, on_started=on_started)
        server.run(sockets=serving.listen(host, port))
    except KeyboardInterrupt:
        pass  # Ctrl-C before uvicorn took over the signals: a normal stop all the same
    finally:
        pickup.set()
        runner.stop()


def _check_port(host: str, port: int) -> None:
    """Exit with one line, before anything is printed or migrated, when ``host:port`` cannot be
    listened on (another server has it, or the address is not this machine's)."""
    import ipaddress
    import socket

    from praefect.cli import _common

    try:  # an address needs no name resolution (nor the idna codec it loads)
        ip = ipaddress.ip_address(host)
        family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
        address: Any = (host, port)
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            _common.exit_with_error(f"Cannot start the server: unknown host {host!r} ({error}).")
        family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            reason = (error.strerror or str(error)).lower()
            hint = (
                "; is another `praefect server start` running? Choose another with --port."
                if "in use" in reason
                else "."
            )
            _common.exit_with_error(f"Cannot start the server on {host}:{port}: {reason}{hint}")


def _pick_up_spool(home: Path, host: str, port: int, stop: threading.Event) -> None:
    """Deliver, every 10 s, what flows of this home spooled for this server while it could not
    take their records (``praefect.client.spool_pickup``); the client is imported only once
    something waits, so the server starts as light as before."""
    while True:
        if any((home / "spool").glob("*/*.batch")):
            from praefect.client import spool_pickup

            try:
                spool_pickup.for_server(home, host, port).run_once()
            except Exception:  # the next pass tries again
                logging.getLogger("praefect.server").exception("Delivering the spool failed.")
        if stop.wait(10.0):
            return


def _show_service_logs() -> None:
    """Print the services' INFO lines (runs scheduled, marked Late, crashed) on stderr."""
    import logging

    logger = logging.getLogger("praefect.server.services")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


services_app = typer.Typer(
    help="List or run the server's background services.", no_args_is_help=True
)
app.add_typer(services_app, name="services")


@services_app.command("ls")
def services_ls() -> None:
    """List the background services, whether each is enabled, and how often it runs."""
    from praefect import settings
    from praefect.server import services

    current = settings.get_current_settings()
    enabled = {s.name for s in services.enabled_services(current)}
    for service in services.all_services(current):
        state = "enabled" if service.name in enabled else "disabled"
        typer.echo(f"{service.name:<28} {state:<9} every {service.loop_seconds:g}s")


@services_app.command("start")
def services_start(
    run_once: Annotated[
        bool, typer.Option("--run-once", help="One pass of each service, then exit.")
    ] = False,
) -> None:
    """Run the enabled services in the foreground, without the API (e.g. as a separate
    process beside API replicas); Ctrl-C stops them.

    Example: praefect server services start
    """
    from praefect import settings
    from praefect.server import admin, services
    from praefect.utilities import wakeup

    _show_service_logs()
    current = settings.get_current_settings()
    admin.upgrade()
    runner = services.ServiceRunner(
        services.enabled_services(current), database_url=current.resolved_database_url
    )
    if run_once:
        for name, result in runner.run_once().items():
            count = len(result) if isinstance(result, list) else result
            typer.echo(f"{name}: {count}")
        return
    stopped = wakeup.Wakeup()
    typer.echo(f"Services running: {', '.join(s.name for s in runner.services) or 'none'}.")
    with wakeup.stopped_by_signals(stopped.set):
        runner.start()
        try:
            while not stopped.wait(None):
                pass
        finally:
            runner.stop()
    typer.echo("Services stopped.")


def _common_url(url: str) -> str:
    from praefect.cli.version import _hide_password

    return _hide_password(url)


@database_app.command()
def upgrade() -> None:
    """Migrate the database to the newest schema."""
    from praefect.server import admin

    typer.echo(f"Database at revision {admin.upgrade()}.")


@database_app.command()
def downgrade(
    revision: Annotated[str, typer.Option(help="Alembic revision to go down to.")] = "-1",
) -> None:
    """Undo the last migration (or down to --revision; 'base' drops every table)."""
    from praefect.server import admin

    typer.echo(f"Database at revision {admin.downgrade(revision=revision)}.")


@database_app.command()
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop all data and recreate an empty database."""
    from praefect.server import admin

    url = _common_url(admin.database_url())
    if not yes and not typer.confirm(f"Delete ALL data in {url}?", default=False):
        _common.exit_with_error("Reset cancelled; nothing was changed.")
    typer.echo(f"Database reset; at revision {admin.reset()}.")
