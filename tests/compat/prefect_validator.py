"""Validate JSON bodies with Prefect's own client schemas. Runs inside the Prefect venv
(``prefect_venv.py``), as a long-lived subprocess of the test session.

Each line on stdin is ``{"model": "objects.FlowRun", "many": false, "body": ...}`` (a class of
``prefect.client.schemas.<module>``); each answer on stdout is one line,
``{"errors": [...]}`` (empty: the body validates as Prefect's client reads it, with
``model_validate`` of the parsed JSON).
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any


def _errors(model: Any, many: bool, body: Any) -> list[str]:
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(list[model] if many else model)
    try:
        adapter.validate_python(body)
    except ValidationError as exc:
        return [
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            f" (got {error.get('input')!r:.120})"
            for error in exc.errors(include_url=False)
        ]
    return []


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        module_name, _, class_name = request["model"].rpartition(".")
        try:
            module = importlib.import_module(f"prefect.client.schemas.{module_name}")
            model = getattr(module, class_name)
            answer = {"errors": _errors(model, request.get("many", False), request["body"])}
        except Exception as exc:  # the test reports it as a failure, the session goes on
            answer = {"errors": [f"{type(exc).__name__}: {exc}"]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
