"""Pausing, suspending and resuming flow runs from the SDK (embedded mode), and typed input
between runs. Timeouts are short or driven by a frozen clock, never long sleeps."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pydantic
import pytest

import praefect
from praefect import exceptions, flow, task
from praefect.engine import execute
from praefect.flow_runs import pause_flow_run, resume_flow_run, suspend_flow_run
from praefect.input import RunInput, receive_input, send_input
from praefect.runtime import flow_run
from praefect.schemas.states import StateType
from praefect.testing.utilities import frozen_time


class Approval(RunInput):
    approved: bool
    note: str = ""


class Order(pydantic.BaseModel):
    item: str
    quantity: int = 1


def _when_paused(holder: dict, action, timeout: float = 10.0) -> threading.Thread:
    """Run ``action(run_id)`` in a thread as soon as the run in ``holder["id"]`` is paused."""

    def watch() -> None:
        deadline = time.monotonic() + timeout
        with praefect.get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                run_id = holder.get("id")
                if run_id is not None and client.read_flow_run(run_id).state.is_paused():
                    holder["result"] = action(run_id)
                    return
                time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_paused_flow_goes_on_with_the_typed_value_it_was_resumed_with():
    holder: dict = {}

    @flow
    def ask() -> int:
        holder["id"] = flow_run.id
        return pause_flow_run(wait_for_input=int, timeout=30, poll_interval=1) + 1

    _when_paused(holder, lambda run_id: resume_flow_run(run_id, run_input={"value": 41}))
    assert ask() == 42


def test_a_run_input_class_and_a_plain_model_come_back_typed():
    holder: dict = {}

    @flow
    def review() -> tuple:
        holder["id"] = flow_run.id
        approval = pause_flow_run(wait_for_input=Approval.with_initial_data(note="lgtm"))
        holder["id"] = flow_run.id
        order = pause_flow_run(wait_for_input=Order, key="order")
        return approval, order

    def resume_twice(run_id):
        resume_flow_run(run_id, run_input={"approved": True})
        holder.pop("id")
        _when_paused(holder, lambda again: resume_flow_run(again, run_input={"item": "tea"}))

    _when_paused(holder, resume_twice)
    approval, order = review()
    assert (approval.approved, approval.note) == (True, "lgtm")
    assert approval.metadata.key == "paused-1-response"
    assert isinstance(order, Order) and (order.item, order.quantity) == ("tea", 1)


def test_bad_input_is_refused_naming_the_field_and_the_run_stays_paused():
    holder: dict = {}

    @flow
    def ask() -> int:
        holder["id"] = flow_run.id
        return pause_flow_run(wait_for_input=int, timeout=30)

    def resume_badly_then_well(run_id):
        with pytest.raises(ValueError, match="value: 'many' is not of type 'integer'"):
            resume_flow_run(run_id, run_input={"value": "many"})
        with praefect.get_client(sync_client=True) as client:
            assert client.read_flow_run(run_id).state.is_paused()
        resume_flow_run(run_id, run_input={"value": 3})

    _when_paused(holder, resume_badly_then_well)
    assert ask() == 3


def test_a_pause_that_times_out_fails_the_flow():
    @flow
    def waits() -> str:
        pause_flow_run(timeout=0.2, poll_interval=1)
        return "resumed"

    state = waits(return_state=True)
    assert state.is_failed()
    assert "paused and never resumed" in state.message
    with pytest.raises(exceptions.FlowPauseTimeout):
        state.result()


def test_a_frozen_clock_moved_past_the_timeout_fails_the_paused_flow():
    holder: dict = {}

    @flow
    def waits() -> str:
        holder["id"] = flow_run.id
        pause_flow_run(timeout=3600)
        return "resumed"

    with frozen_time(run_services=False) as clock:
        _when_paused(holder, lambda run_id: clock.advance(3601))
        state = waits(return_state=True)
    assert state.is_failed()
    assert "within its timeout of 3600 second(s)" in state.message


def test_cancelling_a_paused_flow_ends_it_cancelled():
    from praefect.states import Cancelling

    holder: dict = {}

    @flow
    def waits() -> str:
        holder["id"] = flow_run.id
        pause_flow_run(timeout=30)
        return "resumed"

    def cancel(run_id):
        with praefect.get_client(sync_client=True) as client:
            client.set_flow_run_state(run_id, Cancelling(message="not needed any more"))

    _when_paused(holder, cancel)
    state = waits(return_state=True)
    assert state.is_cancelled()
    assert state.message == "not needed any more"


def test_resuming_a_run_that_is_not_paused_names_its_state():
    @flow
    def done() -> None:
        return None

    state = done(return_state=True)
    with pytest.raises(exceptions.NotPausedError, match="is Completed"):
        resume_flow_run(state.state_details.flow_run_id)


def test_pausing_outside_a_flow_or_in_a_task_is_refused():
    with pytest.raises(RuntimeError, match="from within a flow run"):
        pause_flow_run()

    @task
    def pauses_in_a_task() -> None:
        pause_flow_run()

    @flow
    def runs_the_task() -> None:
        pauses_in_a_task()

    state = runs_the_task(return_state=True)
    assert "Cannot pause task runs" in state.message


def test_suspending_a_run_without_a_deployment_is_refused():
    @flow
    def suspends() -> None:
        suspend_flow_run(timeout=60)

    state = suspends(return_state=True)
    assert state.is_failed()
    assert "cannot be suspended" in state.message
    assert "without a deployment" in state.message


@pytest.mark.parametrize("door", ["embedded", "server"])
def test_a_suspended_deployment_run_reruns_with_its_input_and_reuses_task_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, door: str
):
    if door == "server":
        from praefect import settings
        from praefect.server.background import BackgroundServer

        url = f"sqlite:///{tmp_path / 'server.db'}"
        with BackgroundServer(database_url=url) as server:
            changed = {"api_url": server.api_url}
            with settings.temporary_settings(changed, process_wide=True):
                _suspend_and_resume(tmp_path, monkeypatch)
        return
    _suspend_and_resume(tmp_path, monkeypatch)


def _suspend_and_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = tmp_path / "prepare-calls"
    monkeypatch.setenv("PAUSE_TEST_COUNTER", str(counter))
    entrypoint = f"{Path(__file__).with_name('flows_that_pause.py')}:suspends_for_a_number"
    with praefect.get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("suspends-for-a-number")
        deployment_id = client.create_deployment(flow_id, "manual", entrypoint=entrypoint)
        run = client.create_flow_run_from_deployment(deployment_id, parameters={"n": 4})

    def stored() -> Any:
        # a fresh client each time: execute.main() closes the cached ones, as a process ends
        with praefect.get_client(sync_client=True) as client:
            return client.read_flow_run(run.id)

    assert execute.main(str(run.id)) == 0  # the process ends, as a worker's would
    suspended = stored().state
    assert (suspended.type, suspended.name) == (StateType.PAUSED, "Suspended")
    assert counter.read_text() == "1"

    resume_flow_run(run.id, run_input={"value": 2})
    assert stored().state.name == "Resuming"

    assert execute.main(str(run.id)) == 0  # a worker runs it again
    final = stored()
    assert final.state.is_completed()
    assert final.state.result() == 42
    assert counter.read_text() == "1"  # prepare() ran once: its persisted result was reused
    assert final.run_count == 1


def test_inputs_sent_to_a_flow_are_received_once_each_with_their_sender():
    holder: dict = {}

    @flow
    def greeter() -> list:
        holder["id"] = flow_run.id
        holder["ready"].set()
        received = []
        for name in receive_input(str, timeout=5, poll_interval=0.05, with_metadata=True):
            received.append((name.value, name.metadata.sender))
            if len(received) == 2:
                break
        return received

    holder["ready"] = threading.Event()

    def sender() -> None:
        holder["ready"].wait(10)
        send_input("Ada", flow_run_id=holder["id"], sender="tester")
        send_input("Grace", flow_run_id=holder["id"])

    threading.Thread(target=sender, daemon=True).start()
    assert greeter() == [("Ada", "tester"), ("Grace", None)]


def test_receive_input_stops_after_its_timeout():
    @flow
    def lonely() -> list:
        return list(receive_input(int, timeout=0.1, poll_interval=0.05))

    assert lonely() == []
    with pytest.raises(exceptions.MissingContextError):
        send_input(1, flow_run_id=None)  # type: ignore[arg-type]


async def test_an_async_flow_pauses_without_blocking_its_event_loop():
    import asyncio

    from praefect.flow_runs import apause_flow_run, aresume_flow_run

    holder: dict = {}

    @flow
    async def ask() -> tuple:
        holder["id"] = flow_run.id
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        value = await apause_flow_run(wait_for_input=str, timeout=30)
        ticker.cancel()
        return value, ticks > 0

    async def resume_when_paused() -> None:
        while True:
            run_id = holder.get("id")
            if run_id is not None:
                with praefect.get_client(sync_client=True) as client:
                    if client.read_flow_run(run_id).state.is_paused():
                        await aresume_flow_run(run_id, run_input={"value": "go"})
                        return
            await asyncio.sleep(0.02)

    resumer = asyncio.create_task(resume_when_paused())
    assert await ask() == ("go", True)
    await resumer
