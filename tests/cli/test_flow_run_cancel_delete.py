"""``praefect flow-run cancel`` and ``praefect flow-run delete``."""

from __future__ import annotations

import uuid

import pytest

import praefect
from praefect import states


def _create(state) -> str:
    with praefect.get_client(sync_client=True) as client:
        run = client.create_flow_run("cli-cancel", state=state)
    return str(run.id)


def _state(run_id: str) -> tuple[str, str]:
    with praefect.get_client(sync_client=True) as client:
        run = client.read_flow_run(uuid.UUID(run_id))
    return run.state.type.value, run.state.name


@pytest.mark.parametrize("state", [states.Scheduled, states.Pending, states.Paused])
def test_cancel_a_run_with_no_process_cancels_it_directly(invoke, praefect_home, state):
    run_id = _create(state())
    result = invoke("flow-run", "cancel", run_id, home=praefect_home)
    assert result.code == 0, result.output
    assert "is now Cancelled." in result.stdout
    assert "no infrastructure to stop" in result.stdout
    assert _state(run_id) == ("CANCELLED", "Cancelled")


def test_cancel_a_running_run_makes_it_cancelling(invoke, praefect_home):
    run_id = _create(states.Running())
    result = invoke("flow-run", "cancel", run_id, "-o", "json", home=praefect_home)
    assert result.code == 0, result.output
    data = result.json()
    assert data["id"] == run_id
    assert data["status"] == "ACCEPT"
    assert (data["state_type"], data["state_name"]) == ("CANCELLING", "Cancelling")
    assert _state(run_id) == ("CANCELLING", "Cancelling")
    again = invoke("flow-run", "cancel", run_id, home=praefect_home)
    assert again.code == 1 and "already being cancelled" in again.stderr


@pytest.mark.parametrize("state", [states.Completed, states.Failed, states.Cancelled])
def test_cancel_a_final_run_is_refused_clearly(invoke, praefect_home, state):
    run_id = _create(state())
    result = invoke("flow-run", "cancel", run_id, home=praefect_home)
    assert result.code == 1
    assert f"is already {state().name} (a final state)" in result.stderr
    assert _state(run_id)[0] == state().type.value


def test_cancel_unknown_or_invalid_ids(invoke, praefect_home):
    missing = invoke("flow-run", "cancel", str(uuid.uuid4()), home=praefect_home)
    assert missing.code == 1 and "not found" in missing.stderr
    invalid = invoke("flow-run", "cancel", "nope", home=praefect_home)
    assert invalid.code == 1 and "not a valid flow run id" in invalid.stderr


def test_delete_asks_for_confirmation(invoke, praefect_home):
    run_id = _create(states.Completed())
    from typer.testing import CliRunner

    from praefect import settings
    from praefect.cli import app

    with settings.temporary_settings({"home": praefect_home}, process_wide=True):
        declined = CliRunner().invoke(app, ["flow-run", "delete", run_id], input="n\n")
    assert declined.exit_code == 1
    assert "Delete flow run 'cli-cancel-" in declined.stdout
    assert _state(run_id)[0] == "COMPLETED"

    with settings.temporary_settings({"home": praefect_home}, process_wide=True):
        accepted = CliRunner().invoke(app, ["flow-run", "delete", run_id], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert f"Deleted flow run 'cli-cancel-{uuid.UUID(run_id).hex[:8]}'" in accepted.stdout
    gone = invoke("flow-run", "inspect", run_id, home=praefect_home)
    assert gone.code == 1 and "not found" in gone.stderr


def test_delete_yes_and_json(invoke, praefect_home):
    run_id = _create(states.Running())
    result = invoke("flow-run", "delete", run_id, "-y", "-o", "json", home=praefect_home)
    assert result.code == 0, result.output
    assert result.json() == {"id": run_id, "name": result.json()["name"], "deleted": True}
    again = invoke("flow-run", "delete", run_id, "-y", home=praefect_home)
    assert again.code == 1 and "not found" in again.stderr
