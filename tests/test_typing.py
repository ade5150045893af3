"""How much of praefect's signatures the type checker can see: the share of parameters typed
``Any`` stays under a ceiling that only goes down.

A parameter counts when its annotation is ``Any`` or a union with ``Any`` (``Any | None``);
``dict[str, Any]`` does not (a JSON object's values are any JSON). ``self``, ``cls``, ``*args``
and ``**kwargs`` are left out. ``python tests/test_typing.py`` prints the numbers and the modules
with the most.
"""

from __future__ import annotations

import ast
import collections
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "praefect"

ANY_CEILING = 0.09
"""Lower it when a change types more parameters; never raise it."""


def _is_any(node: ast.expr) -> bool:
    if isinstance(node, ast.Name | ast.Attribute):
        return (node.id if isinstance(node, ast.Name) else node.attr) == "Any"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_any(node.left) or _is_any(node.right)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _is_any(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return False
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name | ast.Attribute):
        name = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
        if name in ("Optional", "Union"):
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return any(_is_any(item) for item in items)
    return False


def parameters_typed_any(root: Path = PACKAGE_DIR) -> tuple[int, int, collections.Counter[str]]:
    """(parameters typed ``Any``, all parameters, count per module) over ``root``."""
    typed_any = total = 0
    per_module: collections.Counter[str] = collections.Counter()
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            arguments = node.args
            for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
                if arg.arg in ("self", "cls") and arg.annotation is None:
                    continue
                total += 1
                if arg.annotation is not None and _is_any(arg.annotation):
                    typed_any += 1
                    per_module[str(path.relative_to(root.parent))] += 1
    return typed_any, total, per_module


def test_share_of_parameters_typed_any_stays_under_its_ceiling() -> None:
    typed_any, total, per_module = parameters_typed_any()
    share = typed_any / total
    worst = ", ".join(f"{module} ({n})" for module, n in per_module.most_common(5))
    assert share <= ANY_CEILING, (
        f"{typed_any} of {total} parameters ({share:.1%}) are typed Any, over the ceiling of "
        f"{ANY_CEILING:.0%}; give the new ones their real types. Most: {worst}."
    )


if __name__ == "__main__":
    typed_any, total, per_module = parameters_typed_any()
    print(f"{typed_any} of {total} parameters typed Any ({typed_any / total:.1%})")
    for module, n in per_module.most_common(25):
        print(f"{n:5d}  {module}")
