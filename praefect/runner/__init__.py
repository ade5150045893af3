"""Serving deployments from one long-lived process (Prefect 3's ``prefect.runner``): the
``Runner`` behind ``flow.serve()`` and ``praefect.serve()``.

>>> from praefect.runner import Runner
>>> Runner(name="docs").deployment_ids
set()
"""

from __future__ import annotations

from praefect.runner.runner import Runner
from praefect.runner.serve import aserve, serve

__all__ = ["Runner", "aserve", "serve"]
