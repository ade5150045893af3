import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from praefect import database, orchestration
from praefect.schemas.states import State


@pytest.fixture
def engine(database_url) -> Iterator[sa.Engine]:
    """The engine of this test's empty database (SQLite, then PostgreSQL: ``database_url``)."""
    yield database.get_engine(database_url)


@pytest.fixture
def new_run(engine) -> Callable[..., uuid.UUID]:
    """Create a flow run in ``state`` (default Pending) and return its id."""

    def create(state: State | None = None, **fields: Any) -> uuid.UUID:
        run_id = uuid.uuid4()

        def write(conn: sa.Connection) -> None:
            flow_id = orchestration.flows.ensure(conn, fields.pop("flow_name", "flow"))
            row = {"id": run_id, "name": f"run-{run_id.hex[:6]}", "flow_id": flow_id}
            orchestration.flow_runs.create(conn, {**row, **fields, "state": state})

        database.write(engine, write)
        return run_id

    return create


@pytest.fixture
def propose(engine) -> Callable[..., Any]:
    def propose(run_id: uuid.UUID, state: State, force: bool = False, now: Any = None) -> Any:
        return database.write(
            engine,
            lambda conn: orchestration.flow_runs.set_state(conn, run_id, state, force, now),
        )

    return propose


@pytest.fixture
def read_run(engine) -> Callable[[uuid.UUID], dict[str, Any]]:
    return lambda run_id: database.read(
        engine, lambda conn: orchestration.flow_runs.read(conn, run_id)
    )
