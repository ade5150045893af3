"""``praefect artifact``: what runs published (Prefect's ``prefect artifact``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from praefect.cli import _common
from praefect.cli._common import OutputOption

app = typer.Typer(name="artifact", help="Inspect and delete artifacts.", no_args_is_help=True)

KeyArgument = Annotated[str, typer.Argument(help="The artifact's key.")]


def _record(artifact: Any) -> dict[str, Any]:
    return artifact.model_dump(mode="json")


def _data(artifact: Any) -> str:
    return " ".join(str(artifact.data).split())[:60]


def _key_filter(key: str) -> Any:
    from praefect.client.schemas import filters

    return filters.ArtifactFilter(key=filters.ArtifactFilterKey(any_=[key]))


@app.command("ls")
def ls(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many to show.")] = 100,
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Every version, not only each key's latest.")
    ] = False,
    output: OutputOption = None,
) -> None:
    """List the latest artifact of each key (every artifact with --all).

    Example: praefect artifact ls --all
    """
    output = _common.check_output_format(output)
    from praefect.client.schemas import sorting

    with _common.sync_client() as client:
        if all_:
            found = client.read_artifacts(sort=sorting.ArtifactSort.CREATED_DESC, limit=limit)
        else:
            found = client.read_latest_artifacts(
                sort=sorting.ArtifactCollectionSort.KEY_ASC, limit=limit
            )
    _common.print_listing(
        found,
        output,
        "No artifacts found.",
        [_common.ID_COLUMN, "Key", "Type", "Data", "Updated"],
        lambda a: [
            str(getattr(a, "latest_id", None) or a.id),
            a.key or "-",
            a.type or "-",
            _data(a),
            _common.format_time(a.updated),
        ],
        records=[_record(a) for a in found],
    )


@app.command()
def inspect(
    key: KeyArgument,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many versions.")] = 10,
    output: OutputOption = None,
) -> None:
    """Show the versions of a key, newest first.

    Example: praefect artifact inspect weekly-report -o json
    """
    output = _common.check_output_format(output)
    from praefect.client.schemas import sorting

    with _common.sync_client() as client:
        versions = client.read_artifacts(
            artifact_filter=_key_filter(key), sort=sorting.ArtifactSort.CREATED_DESC, limit=limit
        )
    if not versions:
        _common.exit_with_error(f"No artifact with the key {key!r}; see praefect artifact ls.")
    if output == "json":
        _common.print_json([_record(a) for a in versions])
        return
    for number, artifact in enumerate(versions):
        title = "latest" if number == 0 else f"{number} before"
        _common.console().print(f"[bold]{key}[/bold] ({title})")
        _common.print_details(
            [
                ("ID", str(artifact.id)),
                ("Type", artifact.type or "-"),
                ("Description", artifact.description or "-"),
                ("Flow run", str(artifact.flow_run_id or "-")),
                ("Task run", str(artifact.task_run_id or "-")),
                ("Created", _common.format_time(artifact.created)),
                ("Data", str(artifact.data)),
            ]
        )


@app.command()
def delete(
    key: Annotated[str | None, typer.Argument(help="Delete every version of this key.")] = None,
    artifact_id: Annotated[
        str | None, typer.Option("--id", help="Delete only the artifact with this id.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
) -> None:
    """Delete every version of a key, or one artifact by --id.

    Example: praefect artifact delete weekly-report --yes
    """
    if (key is None) == (artifact_id is None):
        _common.exit_with_error("Give a key, or an artifact with --id (not both).")
    with _common.sync_client() as client:
        if artifact_id is not None:
            found_id = _common.parse_id(artifact_id, "artifact")
            if not yes:
                typer.confirm(f"Delete artifact {found_id}?", abort=True)
            with _common.not_found_as_error("Artifact", found_id):
                client.delete_artifact(found_id)
            typer.echo(f"Deleted artifact {found_id}.")
            return
        assert key is not None
        versions = client.read_artifacts(artifact_filter=_key_filter(key))
        if not versions:
            _common.exit_with_error(f"No artifact with the key {key!r}; see praefect artifact ls.")
        if not yes:
            typer.confirm(f"Delete the {len(versions)} version(s) of {key!r}?", abort=True)
        for artifact in versions:
            client.delete_artifact(artifact.id)
    typer.echo(f"Deleted {len(versions)} version(s) of artifact {key!r}.")
