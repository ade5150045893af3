"""Fixtures for the results, caching, locking and transaction tests: lock managers over real
backends (a temporary directory, the Redis of CI) and a helper that races real processes."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REDIS_HOST = os.environ.get("PRAEFECT_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("PRAEFECT_TEST_REDIS_PORT", "6379"))


@functools.cache
def redis_available() -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:  # a plain connect first: fails fast, without redis-py's retries
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5).close()
    except OSError:
        return False
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


@pytest.fixture
def redis_lock_manager() -> Iterator[object]:
    """A ``RedisLockManager`` on the CI Redis with a key prefix of its own. Skipped when Redis
    is unreachable, except in CI (``CI=true``), where that is a failure."""
    if not redis_available():
        message = f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}, and CI=true requires it.")
        pytest.skip(message)
    from praefect.locking.redis import RedisLockManager

    manager = RedisLockManager(
        host=REDIS_HOST, port=REDIS_PORT, key_prefix=f"praefect-test:{uuid.uuid4().hex}:"
    )
    yield manager
    client = manager._redis()
    for name in client.scan_iter(match=f"{manager.key_prefix}*"):
        client.delete(name)
    manager.close()


RACER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from praefect.results import ResultStore
    from praefect.transactions import transaction

    me, workdir, lock_kind, isolation, key = sys.argv[1:6]
    workdir = Path(workdir)
    if lock_kind == "file":
        from praefect.locking import FileSystemLockManager
        locks = FileSystemLockManager(workdir / "locks")
    else:
        from praefect.locking.redis import RedisLockManager
        locks = RedisLockManager(host=sys.argv[6], port=int(sys.argv[7]), key_prefix=sys.argv[8])
    store = ResultStore(result_storage=workdir / "results", lock_manager=locks)

    (workdir / f"ready-{me}").touch()  # a barrier: start together, so the two really race
    while len(list(workdir.glob("ready-*"))) < 2:
        time.sleep(0.005)
    with transaction(key=key, store=store, isolation_level=isolation) as txn:
        if txn.is_committed():
            value = txn.read().result
        else:
            with open(workdir / "computed", "a") as fh:
                fh.write(me + "\\n")
            time.sleep(0.4)  # an expensive step
            value = f"computed by {me}"
            txn.stage(value)
    if lock_kind == "redis":
        locks.close()
    print(value)
    """
)


def race(
    workdir: Path, lock_kind: str, isolation: str, extra: list[str] | None = None
) -> list[str]:
    """Run two processes that compute the same keyed value in a transaction; returns what each
    printed. ``workdir/computed`` lists who actually computed."""
    script = workdir / "racer.py"
    script.write_text(RACER)
    key = f"race-{uuid.uuid4().hex}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), name, str(workdir), lock_kind, isolation, key]
            + (extra or []),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def computed_by(workdir: Path) -> list[str]:
    return (workdir / "computed").read_text().split()


@pytest.fixture
def race_processes(tmp_path: Path):  # noqa: ANN201
    """``race_processes(lock_kind, isolation, extra_args) -> (outputs, computed_by)``."""

    def run(lock_kind: str, isolation: str, extra: list[str] | None = None):  # noqa: ANN202
        workdir = tmp_path / f"race-{uuid.uuid4().hex[:8]}"
        workdir.mkdir()
        outputs = race(workdir, lock_kind, isolation, extra)
        return outputs, computed_by(workdir)

    return run
