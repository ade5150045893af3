"""``praefect mcp``: an MCP server (Model Context Protocol, on the ``mcp`` SDK) that lets an AI
assistant list and inspect flow runs, read their logs, explain why a run failed or is late, and
list deployments and work pools; with ``--allow-actions`` it may also run a deployment and
cancel a run. It reads what the CLI reads (the embedded store, or ``PRAEFECT_API_URL``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common


def build_server(allow_actions: bool = False) -> Any:
    """The MCP server with praefect's tools (the action tools only when allowed)."""
    from mcp.server.mcpserver import MCPServer

    from praefect import __version__
    from praefect.cli import _mcp_tools

    server = MCPServer(
        name="praefect",
        version=__version__,
        instructions=(
            "Tools over a praefect workflow orchestrator: flow runs, their logs and why they "
            "failed or are late, deployments and work pools."
            + (" Actions (run a deployment, cancel a run) are allowed." if allow_actions else "")
        ),
    )
    tools = _mcp_tools.READ_TOOLS + (_mcp_tools.ACTION_TOOLS if allow_actions else ())
    register: Any = server.tool()
    for tool in tools:
        register(tool)
    return server


def mcp(
    transport: Annotated[
        str, typer.Option("--transport", help="stdio (default) or http (streamable HTTP).")
    ] = "stdio",
    port: Annotated[int, typer.Option("--port", help="Port of the http transport.")] = 4280,
    allow_actions: Annotated[
        bool,
        typer.Option(
            "--allow-actions", help="Also let the assistant run deployments and cancel runs."
        ),
    ] = False,
) -> None:
    """Serve praefect to an AI assistant over MCP (stdio, or streamable HTTP on 127.0.0.1).

    Example: praefect mcp --allow-actions
    """
    if transport not in ("stdio", "http"):
        _common.exit_with_error(f"Unknown transport {transport!r}; expected stdio or http.")
    try:
        server = build_server(allow_actions)
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("mcp"):
            raise
        _common.exit_with_error(
            "`praefect mcp` needs the MCP SDK: pip install 'praefect[mcp]' (or pip install mcp)."
        )
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=port)
