"""The runner tests use the worker tests' flows, pools and deployment runs."""

from tests.workers.conftest import (  # noqa: F401
    engine,
    flows_file,
    new_deployment_run,
    new_pool,
    read_run,
    wait_for,
)
