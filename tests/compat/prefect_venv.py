"""The virtual environment with Prefect's own ``prefect`` package that tests/compat drives
against a praefect server: built once by ``make prefect-venv`` (``make test`` depends on it),
kept between runs under ``.venv-prefect/<version>/``.

    python tests/compat/prefect_venv.py build     # build it unless it is there
    python tests/compat/prefect_venv.py path      # its interpreter

Prefect 3.9.1 pins a ``certifi`` newer than some package indexes have: its requirements are
installed with ``certifi`` unpinned, then the wheel without dependencies. When the index cannot
be reached the build writes why to ``.venv-prefect/<version>.unavailable`` and exits 0 (1 with
``CI=true``); the tests then skip with that reason (and fail with ``CI=true``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PREFECT_VERSION = os.environ.get("PRAEFECT_TEST_PREFECT_VERSION", "3.9.1")
ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / ".venv-prefect"


def venv_dir(version: str = PREFECT_VERSION) -> Path:
    return VENVS / version


def python(version: str = PREFECT_VERSION) -> Path:
    """The venv's interpreter (it may not exist yet)."""
    return venv_dir(version) / "bin" / "python"


def _complete(version: str) -> Path:
    return venv_dir(version) / ".complete"


def _unavailable(version: str) -> Path:
    return VENVS / f"{version}.unavailable"


def missing_reason(version: str = PREFECT_VERSION) -> str | None:
    """Why the venv cannot be used (None: it can)."""
    if _complete(version).exists():
        return None
    marker = _unavailable(version)
    if marker.exists():
        return f"prefect=={version} could not be installed: {marker.read_text().strip()}"
    return f"no venv with prefect=={version} at {venv_dir(version)}: run `make prefect-venv`"


def _pip(venv: Path, *args: str) -> None:
    # short timeouts: offline, fail in seconds instead of retrying for minutes
    command = [str(venv / "bin" / "python"), "-m", "pip", *args, "--timeout", "20"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
        raise RuntimeError(f"pip {args[0]} failed: {errors[-1][:300]}")


def _requirements(wheel: Path, version: str) -> list[str]:
    """The wheel's unconditional requirements, ``certifi`` unpinned."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"prefect-{version}.dist-info/METADATA").decode()
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, flags=re.MULTILINE)
    kept = [r for r in requires if "extra ==" not in r and not r.startswith("certifi")]
    return [*kept, "certifi"]


def build(version: str = PREFECT_VERSION) -> int:
    if _complete(version).exists():
        return 0
    venv = venv_dir(version)
    shutil.rmtree(venv, ignore_errors=True)
    VENVS.mkdir(exist_ok=True)
    print(f"Building {venv} (prefect=={version}, a few minutes, once)", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        with tempfile.TemporaryDirectory() as downloads:
            _pip(venv, "download", "-q", "--no-deps", "-d", downloads, f"prefect=={version}")
            wheel = next(Path(downloads).glob("prefect-*.whl"))
            requirements = Path(downloads) / "requirements.txt"
            requirements.write_text("\n".join(_requirements(wheel, version)) + "\n")
            _pip(venv, "install", "-q", "-r", str(requirements))
            _pip(venv, "install", "-q", "--no-deps", str(wheel))
    except (RuntimeError, subprocess.CalledProcessError, StopIteration) as exc:
        shutil.rmtree(venv, ignore_errors=True)
        _unavailable(version).write_text(f"{exc}\n")
        print(f"warning: {missing_reason(version)}", file=sys.stderr)
        return 1 if os.environ.get("CI") == "true" else 0
    _unavailable(version).unlink(missing_ok=True)
    _complete(version).touch()
    return 0


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "build"
    if action == "path":
        print(python())
        sys.exit(0)
    sys.exit(build())
