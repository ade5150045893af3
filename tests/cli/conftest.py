"""Fixtures for the CLI tests: a store where real flows ran, and a way to run ``praefect``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PRAEFECT = Path(sys.executable).parent / "praefect"
_LEAKY = ("API_URL", "API_KEY", "DATABASE_URL", "API_DATABASE_CONNECTION_URL", "PROFILE")


def subprocess_env(home: Path) -> dict[str, str]:
    """The environment of a user's shell pointed at ``home``, with plain output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not any(k in (f"PRAEFECT_{s}", f"PREFECT_{s}") for s in _LEAKY)
    }
    env.update(PRAEFECT_HOME=str(home), NO_COLOR="1", TERM="dumb", COLUMNS="240")
    env.pop("FORCE_COLOR", None)
    return env


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self):
        return json.loads(self.stdout)


def run_praefect(
    *args: str, home: Path, timeout: float = 60, env: dict[str, str] | None = None
) -> CliResult:
    """Run ``praefect ARGS...`` in a subprocess against ``home`` (``env``: extra variables)."""
    command = [str(PRAEFECT)] if PRAEFECT.exists() else [sys.executable, "-m", "praefect.cli"]
    done = subprocess.run(
        [*command, *args],
        env={**subprocess_env(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


@dataclass
class RecordedRuns:
    home: Path
    etl: str
    child: str
    broken: str
    flaky_task_run: str


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> RecordedRuns:
    """A praefect home where ``flows_for_cli.py`` ran as a plain script (as a user would)."""
    home = tmp_path_factory.mktemp("recorded-home")
    done = subprocess.run(
        [sys.executable, str(HERE / "flows_for_cli.py")],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"flows_for_cli.py failed:\n{done.stdout}\n{done.stderr}"
    ids = json.loads(done.stdout.strip().splitlines()[-1])
    return RecordedRuns(home=home, **ids)


@pytest.fixture
def run_cli():
    """``run_cli(*args, home=...)``: run ``praefect`` in a subprocess against any home."""
    return run_praefect


@pytest.fixture
def cli(recorded: RecordedRuns):
    """Run ``praefect ARGS...`` in a subprocess against the recorded home."""

    def run(*args: str) -> CliResult:
        return run_praefect(*args, home=recorded.home)

    return run


@pytest.fixture
def invoke(recorded: RecordedRuns):
    """Run the CLI in-process (typer's CliRunner) against the recorded home: same commands,
    no interpreter start-up, for the many small checks."""
    from typer.testing import CliRunner

    from praefect import settings
    from praefect.cli import app

    runner = CliRunner()

    def run(*args: str, home: Path | None = None, **settings_updates: object) -> CliResult:
        updates = {"home": home or recorded.home, "database_url": None, "api_url": None}
        updates.update(settings_updates)
        with settings.temporary_settings(updates, process_wide=True):
            result = runner.invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def run_script():
    """``run_script(path, home=...)``: run a Python script as a user would, against ``home``."""

    def run(path: Path, home: Path) -> CliResult:
        done = subprocess.run(
            [sys.executable, str(path)],
            env=subprocess_env(home),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def invoke_here(praefect_home: Path):
    """Run the CLI in-process against this test's home as the environment names it (the config
    and profile commands read ``PRAEFECT_HOME`` and the profiles file, as a real process does).
    ``PRAEFECT_PROFILE`` is put back afterwards, whatever ``--profile`` did."""
    from typer.testing import CliRunner

    from praefect import settings
    from praefect.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, **env: str | None) -> CliResult:
        env.setdefault("PRAEFECT_PROFILE", os.environ.get("PRAEFECT_PROFILE"))
        cached = settings._cached
        try:
            result = runner.invoke(app, list(args), input=input, env=env)
        finally:
            settings._cached = cached
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


def follow_a_running_flow(env: dict[str, str], directory: Path) -> list[tuple[float, str]]:
    """Run ``flow_that_logs.py`` with ``env``, follow its logs with ``praefect flow-run logs
    --follow`` in another process, and return the lines the CLI printed with the monotonic time
    each arrived. The flow starts logging only once the CLI has printed its first line."""
    import threading
    import time

    directory.mkdir(parents=True, exist_ok=True)
    script = subprocess.Popen(
        [sys.executable, str(HERE / "flow_that_logs.py"), str(directory)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    follower = None
    try:
        deadline = time.monotonic() + 60
        while not (directory / "started").exists():
            assert script.poll() is None, f"the flow script exited early: {script.stderr.read()}"
            assert time.monotonic() < deadline, "the flow did not start within 60 s"
            time.sleep(0.02)
        run_id = (directory / "started").read_text()
        command = [str(PRAEFECT)] if PRAEFECT.exists() else [sys.executable, "-m", "praefect.cli"]
        follower = subprocess.Popen(
            [*command, "flow-run", "logs", run_id, "--follow", "--interval", "0.1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[tuple[float, str]] = []
        first = threading.Event()

        def read() -> None:
            for line in follower.stdout:
                lines.append((time.monotonic(), line.rstrip("\n")))
                first.set()
            first.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert first.wait(60), "the CLI printed nothing within 60 s"
        (directory / "go").write_text("")
        assert follower.wait(timeout=60) == 0, follower.stderr.read()
        reader.join(10)
        assert script.wait(timeout=60) == 0, script.stderr.read()
        return lines
    finally:
        (directory / "go").write_text("")
        for process in (script, follower):
            if process is None:
                continue
            if process.poll() is None:
                process.kill()
                process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def check_followed_lines(lines: list[tuple[float, str]]) -> None:
    """Every tick once, in order, printed as it came (not all at the end), then the final log."""
    texts = [text for _, text in lines]
    ticks = [(when, text) for when, text in lines if " - tick " in text]
    assert [text.rsplit(" - ", 1)[1] for _, text in ticks] == [f"tick {i}" for i in range(6)], texts
    assert ticks[-1][0] - ticks[0][0] > 0.7, f"lines came in one burst: {lines}"
    assert "Finished in state Completed" in texts[-1], texts


@pytest.fixture
def follow_running_flow():
    """``follow_running_flow(env, directory)``: the lines ``flow-run logs --follow`` printed for
    a flow logging in another process, checked (see ``check_followed_lines``)."""

    def run(env: dict[str, str], directory: Path) -> list[tuple[float, str]]:
        lines = follow_a_running_flow(env, directory)
        check_followed_lines(lines)
        return lines

    return run


@pytest.fixture(scope="session")
def user_env():
    """``user_env(home)``: the environment of a user's shell pointed at ``home``."""
    return subprocess_env
