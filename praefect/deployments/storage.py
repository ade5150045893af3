"""Where a deployment's code comes from at run time: a local directory or a git repository
(what ``Flow.from_source(source, entrypoint)`` takes), and the pull steps that fetch it.

>>> storage = create_storage_from_source("https://github.com/org/flows.git")
>>> storage.pull_steps()
[{'praefect.deployments.steps.git_clone': {'repository': 'https://github.com/org/flows.git'}}]
>>> LocalStorage("/srv/flows").pull_steps()
[{'praefect.deployments.steps.set_working_directory': {'directory': '/srv/flows'}}]
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["GitRepository", "LocalStorage", "create_storage_from_source"]


@dataclasses.dataclass
class LocalStorage:
    """Code in a directory of the machine that runs the flow."""

    path: str
    """The directory (made absolute)."""

    def __post_init__(self) -> None:
        self.path = str(Path(self.path).expanduser().absolute())

    @property
    def destination(self) -> Path:
        """Where the code is on this machine."""
        return Path(self.path)

    def pull_code(self) -> None:
        """Nothing to fetch; the directory must exist."""
        if not self.destination.is_dir():
            raise FileNotFoundError(f"The flow source directory {self.path!r} does not exist.")

    def pull_steps(self) -> list[dict[str, Any]]:
        """The steps that make the directory the working directory at run time."""
        return [{"praefect.deployments.steps.set_working_directory": {"directory": self.path}}]


@dataclasses.dataclass
class GitRepository:
    """Code in a git repository, cloned where the flow runs (any URL ``git clone`` takes:
    ``https://``, ``git@``, ``file://`` or the path of a local repository)."""

    url: str
    branch: str | None = None
    commit_sha: str | None = None
    include_submodules: bool = False
    access_token: str | None = None
    _destination: Path | None = dataclasses.field(default=None, repr=False)

    @property
    def destination(self) -> Path:
        """The local clone (made by ``pull_code``)."""
        if self._destination is None:
            self._destination = Path(tempfile.mkdtemp(prefix="praefect-source-")) / "repository"
        return self._destination

    def pull_code(self) -> None:
        """Clone the repository (or update the clone) into ``destination``."""
        from praefect.deployments import steps

        steps.git_clone(
            self.url,
            branch=self.branch,
            commit_sha=self.commit_sha,
            include_submodules=self.include_submodules,
            access_token=self.access_token,
            directory=str(self.destination),
        )

    def pull_steps(self) -> list[dict[str, Any]]:
        """The step that clones the repository at run time (its directory becomes the working
        directory)."""
        arguments: dict[str, Any] = {"repository": self.url}
        for name in ("branch", "commit_sha"):
            if getattr(self, name):
                arguments[name] = getattr(self, name)
        if self.include_submodules:
            arguments["include_submodules"] = True
        if self.access_token:
            arguments["access_token"] = self.access_token
        return [{"praefect.deployments.steps.git_clone": arguments}]


def create_storage_from_source(source: str | Path | Any) -> LocalStorage | GitRepository | Any:
    """The storage a ``source`` names: a storage object as is, a URL or a path ending in
    ``.git`` (or holding a bare repository) as a ``GitRepository``, else a ``LocalStorage``."""
    if not isinstance(source, str | Path):
        return source
    text = str(source)
    if "://" in text or text.startswith("git@") or text.endswith(".git"):
        return GitRepository(text)
    path = Path(text).expanduser()
    if (path / "HEAD").is_file() and (path / "objects").is_dir():  # a bare repository
        return GitRepository(str(path.absolute()))
    return LocalStorage(text)
