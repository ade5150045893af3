"""The layers of docs/internals/architecture.md, checked on the source: imports only point down.

Every module under ``praefect/`` is parsed (not imported) and each of its imports, including the
ones inside functions, is resolved to a dotted ``praefect.*`` name and checked against the rules.
A failure names the offending module, line and import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "praefect"


@dataclass(frozen=True)
class Layer:
    name: str
    packages: tuple[str, ...]
    """The ``praefect`` packages and modules that make up the layer (``praefect`` alone is the
    root package, not everything under it)."""
    may_import: tuple[str, ...]
    """The layers its modules may import (its own included)."""


# The layers of docs/internals/architecture.md, top to bottom. Each lists what it may import; anything else is a violation
# unless it is one of the EXCEPTIONS below.
LAYERS = (
    Layer(
        "cli",
        ("praefect.cli",),
        # The CLI behaves the same against a remote server, so it never opens the store itself:
        # it talks to orchestration through praefect.get_client(). It starts the server.
        ("cli", "server", "workers", "sdk", "client", "base"),
    ),
    Layer(
        "server",
        ("praefect.server", "praefect.ui"),
        # The API and the UI are a skin over the service layer: no SDK, no client.
        ("server", "service", "database", "base"),
    ),
    Layer(
        "workers",
        ("praefect.workers", "praefect.runner", "praefect.task_worker"),
        ("workers", "sdk", "client", "base"),
    ),
    Layer(
        "sdk",
        (
            "praefect",
            "praefect._filesystems",
            "praefect.artifacts",
            "praefect.automations",
            "praefect.blocks",
            "praefect.cache_policies",
            "praefect.concurrency",
            "praefect.context",
            "praefect.deployments",
            "praefect.engine",
            "praefect.events",
            "praefect.filesystems",
            "praefect.flow_runs",
            "praefect.flows",
            "praefect.futures",
            "praefect.input",
            "praefect.locking",
            "praefect.logging",
            "praefect.results",
            "praefect.runtime",
            "praefect.schedules",
            "praefect.serializers",
            "praefect.states",
            "praefect.task_runners",
            "praefect.tasks",
            "praefect.testing",
            "praefect.transactions",
            "praefect.variables",
        ),
        # The SDK reaches orchestration only through the client (one door, two implementations).
        ("sdk", "client", "base"),
    ),
    Layer("client", ("praefect.client",), ("client", "service", "database", "base")),
    # The service layer never imports the SDK engine, the root package or the client.
    Layer("service", ("praefect.orchestration",), ("service", "database", "base")),
    Layer("database", ("praefect.database",), ("database", "base")),
    Layer(
        "base",
        ("praefect.schemas", "praefect.exceptions", "praefect.settings", "praefect.utilities"),
        ("base",),
    ),
)

# The deliberate crossings, each (importing module, imported module) with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("praefect.testing.utilities", "praefect.server.app"): (
        "prefect_test_harness() starts a real server, as Prefect's does (lazily: importing "
        "praefect.testing imports no server code)"
    ),
    ("praefect.testing.utilities", "praefect.server.services"): (
        "frozen_time()'s clock runs a pass of the scheduler and late-runs services when a test "
        "moves it (lazily)"
    ),
    ("praefect.flows", "praefect.runner"): (
        "Flow.serve() and serve() are Prefect's API on the flow; they start a Runner (lazily)"
    ),
    ("praefect.client.http", "praefect"): "the User-Agent header names praefect.__version__",
}

# Lazy imports between two modules that import each other, kept on purpose.
MUTUAL_EXCEPTIONS: dict[frozenset[str], str] = {
    frozenset({"praefect.flows", "praefect.deployments.runner"}): (
        "Flow.to_deployment()/deploy() are Prefect's API on the flow and build a "
        "RunnerDeployment, whose from_entrypoint() loads a flow"
    ),
}


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module, e.g. ``praefect.orchestration.flow_runs``."""
    target: str
    """The imported ``praefect`` module, e.g. ``praefect.engine.core``; ``praefect`` for a name
    taken from the root package (``from praefect import flow``)."""
    line: int
    source: str
    type_checking: bool = False
    """Inside ``if TYPE_CHECKING:``: read by type checkers only, never run."""

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}: {self.source!r}) imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split("."))
    base = PACKAGE_DIR.parent / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        package = package[: -(node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The ``praefect`` modules an import statement (or ``import_module("...")`` call) loads."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _resolve_from(module, is_package, node)
        for alias in node.names:
            candidate = f"{base}.{alias.name}" if base else alias.name
            # `from praefect import exceptions` imports the module praefect.exceptions;
            # `from praefect import flow` takes a name from the package itself.
            targets.append(candidate if _is_module(candidate) else base)
    elif isinstance(node, ast.Call) and _is_import_module_call(node):
        targets = [node.args[0].value]  # type: ignore[attr-defined]
    return [t for t in targets if t == "praefect" or t.startswith("praefect.")]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return inside


def _imports_of(path: Path) -> list[Import]:
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text, filename=str(path))
    type_checking = _type_checking_nodes(tree)
    return [
        Import(
            module, target, node.lineno, lines[node.lineno - 1].strip(), id(node) in type_checking
        )
        for node in ast.walk(tree)
        for target in _targets(node, module, is_package)
    ]


def _is_import_module_call(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return (
        name == "import_module"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


ALL_IMPORTS = [imp for path in sorted(PACKAGE_DIR.rglob("*.py")) for imp in _imports_of(path)]


def _report(violations: list[Import], rule: str) -> str:
    return f"{rule}; {len(violations)} offending import(s):\n  " + "\n  ".join(map(str, violations))


def test_the_package_is_found_and_parsed():
    assert (PACKAGE_DIR / "__init__.py").is_file()
    assert ALL_IMPORTS, "no praefect imports found: is PACKAGE_DIR right?"


def layer_of(module: str) -> Layer | None:
    """The layer of a ``praefect`` module: the one naming its longest package prefix."""
    best: tuple[int, Layer] | None = None
    for layer in LAYERS:
        for package in layer.packages:
            if _in(module, package) and (best is None or len(package) > best[0]):
                best = (len(package), layer)
    return best[1] if best else None


def _in(module: str, package: str) -> bool:
    """``module`` is ``package`` or inside it (``praefect`` alone means the root package)."""
    return module == package or (package != "praefect" and module.startswith(package + "."))


def _is_exception(imp: Import) -> bool:
    return any(imp.module == module and _in(imp.target, target) for module, target in EXCEPTIONS)


def test_every_module_belongs_to_one_layer():
    modules = {imp.module for imp in ALL_IMPORTS} | {imp.target for imp in ALL_IMPORTS}
    unplaced = sorted(m for m in modules if layer_of(m) is None)
    assert not unplaced, (
        f"Modules in no layer of LAYERS (add their package to the layer it belongs to): {unplaced}"
    )


def _crossings(imports: list[Import]) -> list[Import]:
    """The imports that no layer allow-list and no exception allows."""
    violations = []
    for imp in imports:
        source, target = layer_of(imp.module), layer_of(imp.target)
        if source is None or target is None or imp.type_checking:
            continue
        if target.name not in source.may_import and not _is_exception(imp):
            violations.append(imp)
    return violations


def test_each_layer_imports_only_what_its_allow_list_names():
    violations = _crossings(ALL_IMPORTS)
    assert not violations, _report(
        violations,
        "An import crosses the layers of docs/internals/architecture.md (see LAYERS: each "
        "layer's may_import); import downwards, or, for a deliberate crossing, add it to "
        "EXCEPTIONS with its reason",
    )


@pytest.mark.parametrize(
    ("module", "target", "allowed"),
    [
        ("praefect.orchestration.flow_runs", "praefect.engine.flow_engine", False),
        ("praefect.orchestration.flow_runs", "praefect", False),
        ("praefect.database.tables", "praefect.orchestration.flows", False),
        ("praefect.schemas.states", "praefect.client.http", False),
        ("praefect.engine.flow_engine", "praefect.orchestration.flow_runs", False),
        ("praefect.tasks", "praefect.server.app", False),
        ("praefect.cli.flow_run", "praefect.database.engine", False),
        ("praefect.server.api.flow_runs", "praefect.client", False),
        ("praefect.testing.utilities", "praefect.server.app", True),
        ("praefect.engine.flow_engine", "praefect.client", True),
        ("praefect.client.embedded", "praefect.orchestration.flow_runs", True),
        ("praefect.cli.server", "praefect.server.app", True),
    ],
)
def test_the_allow_lists_catch_an_upward_import(module, target, allowed):
    crossing = _crossings([Import(module, target, 1, "import ...")])
    assert (not crossing) is allowed


def test_every_exception_is_still_needed():
    # An exception nobody uses any more would silently allow the crossing again later.
    stale: list[object] = [
        pair
        for pair in EXCEPTIONS
        if not any(imp.module == pair[0] and _in(imp.target, pair[1]) for imp in ALL_IMPORTS)
    ]
    stale += [sorted(pair) for pair in MUTUAL_EXCEPTIONS if not _imports_each_other(*pair)]
    assert not stale, f"Exceptions that no import needs any more (remove them): {stale}"


def _runtime_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in ALL_IMPORTS:
        if not imp.type_checking and imp.module != imp.target:
            edges.setdefault(imp.module, set()).add(imp.target)
    return edges


def _imports_each_other(a: str, b: str) -> bool:
    edges = _runtime_edges()
    return b in edges.get(a, ()) and a in edges.get(b, ())


def _is_package_of(package: str, module: str) -> bool:
    return (
        module.startswith(package + ".")
        and (PACKAGE_DIR.parent / package.replace(".", "/")).is_dir()
    )


def test_no_two_modules_import_each_other():
    # A lazy import inside a function hides a cycle from Python, not from the reader: one of the
    # two modules belongs below the other. (A package's __init__ and its own submodules are one
    # unit, and imports under TYPE_CHECKING never run.)
    edges = _runtime_edges()
    cycles = sorted(
        (a, b)
        for a, targets in edges.items()
        for b in targets
        if a < b
        and a in edges.get(b, ())
        and not (_is_package_of(a, b) or _is_package_of(b, a))
        and frozenset({a, b}) not in MUTUAL_EXCEPTIONS
    )
    assert not cycles, "Modules that import each other (move the shared code down): " + str(cycles)


@pytest.mark.parametrize(
    ("code", "module", "expected"),
    [
        ("from praefect import exceptions", "praefect.schemas.x", "praefect.exceptions"),
        ("from praefect import flow", "praefect.database.x", "praefect"),
        ("from ..engine import core", "praefect.orchestration.x", "praefect.engine"),
        ("from .. import exceptions", "praefect.schemas.x", "praefect.exceptions"),
        ("import praefect.server.api", "praefect.x", "praefect.server.api"),
        ("importlib.import_module('praefect.ui')", "praefect.x", "praefect.ui"),
        ("import sqlalchemy", "praefect.x", None),
    ],
)
def test_imports_are_resolved_to_praefect_modules(code, module, expected):
    node = ast.parse(code).body[0]
    node = node.value if isinstance(node, ast.Expr) else node
    targets = _targets(node, module, is_package=False)
    if expected is None:
        assert targets == []
    else:
        assert len(targets) == 1 and _under(targets[0], (expected,)), targets
