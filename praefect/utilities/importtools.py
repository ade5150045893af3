"""Loading the object an entrypoint names: ``path/to/file.py:function`` or
``package.module:function``.

>>> from praefect.utilities.importtools import load_entrypoint
>>> load_entrypoint("json:dumps").__name__
'dumps'
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from praefect import exceptions

__all__ = ["load_entrypoint"]


def load_entrypoint(entrypoint: str) -> Any:
    """The object at ``entrypoint``; a file path is run as a fresh module (its directory put on
    ``sys.path`` first, so its sibling modules import). ``MissingFlowError`` when the entrypoint
    names nothing, ``ScriptError`` when loading the file raised."""
    path_or_module, sep, qualname = entrypoint.rpartition(":")
    if not sep or not path_or_module or not qualname:
        raise exceptions.MissingFlowError(
            f"Entrypoint {entrypoint!r} is not of the form 'path/to/file.py:function' or "
            "'package.module:function'."
        )
    if path_or_module.endswith(".py") or "/" in path_or_module:
        module = _load_file(Path(path_or_module), entrypoint)
    else:
        module = importlib.import_module(path_or_module)
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise exceptions.MissingFlowError(
                f"Entrypoint {entrypoint!r}: {path_or_module} has no attribute {qualname!r}."
            )
    return obj


def _load_file(path: Path, entrypoint: str) -> Any:
    if not path.exists():
        raise exceptions.MissingFlowError(
            f"The file of entrypoint {entrypoint!r} does not exist: {path}."
        )
    module_name = f"__praefect_flow_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise exceptions.ScriptError(f"Cannot load {path} as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise exceptions.ScriptError(
            f"Loading {path} for entrypoint {entrypoint!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    return module
