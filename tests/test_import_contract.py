"""The layers of DESIGN.md, checked on the source: imports only point down.

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

# Packages above the SDK: the SDK never imports them.
APP_LAYERS = (
    "praefect.server",
    "praefect.ui",
    "praefect.cli",
    "praefect.workers",
    "praefect.runner",
)
SDK_FORBIDDEN = ("praefect.server", "praefect.ui", "praefect.cli")
# The one allowed crossing: the test harness starts a real server, as Prefect's does (lazily,
# inside prefect_test_harness(), so importing praefect.testing imports no server code).
SDK_SERVER_EXCEPTIONS = {("praefect.testing.utilities", "praefect.server.app")}
# The SDK engine (and the root package, which re-exports it): the service layer never imports it.
ENGINE = (
    "praefect.engine",
    "praefect.flows",
    "praefect.tasks",
    "praefect.futures",
    "praefect.task_runners",
    "praefect.context",
    "praefect.runtime",
)
SERVICE_LAYER = ("praefect.orchestration", "praefect.database")
BASE_LAYER = ("praefect.schemas", "praefect.exceptions", "praefect.settings")


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module, e.g. ``praefect.orchestration.flow_runs``."""
    target: str
    """The imported ``praefect`` module, e.g. ``praefect.engine.core``; ``praefect`` for a name
    taken from the root package (``from praefect import flow``)."""
    line: int
    source: str

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


def _imports_of(path: Path) -> list[Import]:
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    return [
        Import(module, target, node.lineno, lines[node.lineno - 1].strip())
        for node in ast.walk(ast.parse(text, filename=str(path)))
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


def test_sdk_never_imports_server_ui_or_cli():
    violations = [
        imp
        for imp in ALL_IMPORTS
        if not _under(imp.module, APP_LAYERS)
        and _under(imp.target, SDK_FORBIDDEN)
        and (imp.module, imp.target) not in SDK_SERVER_EXCEPTIONS
    ]
    assert not violations, _report(
        violations,
        "The SDK (everything but server/, ui/, cli/, workers/, runner/) must not "
        "import praefect.server, praefect.ui or praefect.cli",
    )


def test_service_layer_never_imports_the_engine_or_the_client():
    forbidden = (*ENGINE, "praefect.client")
    violations = [
        imp
        for imp in ALL_IMPORTS
        if _under(imp.module, SERVICE_LAYER)
        and (_under(imp.target, forbidden) or imp.target == "praefect")
    ]
    assert not violations, _report(
        violations,
        "praefect.orchestration and praefect.database must not import the SDK "
        "engine, the root package (it re-exports the engine) or praefect.client",
    )


def _leaf_utilities() -> set[str]:
    """``praefect.utilities`` modules that themselves import only the base layer (or other such
    modules): pure helpers such as ``utilities.ids``, which sit beside the base layer, not above."""
    targets: dict[str, set[str]] = {}
    for imp in ALL_IMPORTS:
        targets.setdefault(imp.module, set()).add(imp.target)
    utilities = {
        p.relative_to(PACKAGE_DIR.parent).with_suffix("").as_posix().replace("/", ".")
        for p in (PACKAGE_DIR / "utilities").glob("*.py")
    }
    utilities = {u.removesuffix(".__init__") for u in utilities}
    leaves: set[str] = set()
    changed = True
    while changed:
        changed = False
        for module in utilities - leaves:
            if all(_under(t, BASE_LAYER) or t in leaves for t in targets.get(module, ())):
                leaves.add(module)
                changed = True
    return leaves


def test_schemas_exceptions_and_settings_import_nothing_above_them():
    leaves = _leaf_utilities()
    violations = [
        imp
        for imp in ALL_IMPORTS
        if _under(imp.module, BASE_LAYER)
        and not _under(imp.target, BASE_LAYER)
        and imp.target not in leaves
    ]
    assert not violations, _report(
        violations,
        "praefect.schemas, praefect.exceptions and praefect.settings may only import each other "
        "(and praefect.utilities modules that import nothing else)",
    )


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


def test_cli_talks_to_orchestration_only_through_the_client():
    # The CLI must behave the same against a remote server, so it never opens the store itself.
    violations = [
        imp
        for imp in ALL_IMPORTS
        if _under(imp.module, ("praefect.cli",)) and _under(imp.target, SERVICE_LAYER)
    ]
    assert not violations, _report(
        violations,
        "praefect.cli must use praefect.get_client(), not the database or the service layer",
    )
