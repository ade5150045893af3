import time

from praefect import client as praefect_client
from praefect.schemas.states import State
from praefect.settings import get_current_settings
from praefect.testing.utilities import get_most_recent_flow_run, prefect_test_harness


class Flow:
    name = "harnessed"


def test_harness_uses_a_temporary_database_and_restores_the_settings():
    before = get_current_settings()
    with prefect_test_harness():
        inside = get_current_settings()
        assert inside.resolved_database_url != before.resolved_database_url
        assert inside.home_path.exists()
        with praefect_client.get_client(sync_client=True) as client:
            run = client.create_flow_run(Flow(), state=State("RUNNING"))
        assert get_most_recent_flow_run().id == run.id
        assert get_most_recent_flow_run(flow_name="other") is None
    assert get_current_settings() is before
    assert not inside.home_path.exists()


def test_harness_starts_in_well_under_a_second():
    import praefect.client  # noqa: F401  (imports are not the harness's cost)
    import praefect.server.app  # noqa: F401  (nor is importing FastAPI and the routers)

    # CPU time, not wall-clock time: a loaded machine stretches the second, not the first
    start = time.process_time()
    with prefect_test_harness():
        used = time.process_time() - start
    assert used < 0.5  # "well under a second" of work


def test_harness_flushes_queued_records_on_exit():
    with prefect_test_harness():
        client = praefect_client.get_orchestration_client()
        client.enqueue_logs([{"name": "x", "level": 20, "message": "m", "timestamp": _now()}])
        writer = client.writer
    assert writer.pending() == 0


def _now():
    from praefect.schemas.states import now_utc

    return now_utc()
