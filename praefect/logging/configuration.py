"""Logging set-up, done once on the first run: the console handler and the handler that stores
run logs. Settings: ``PRAEFECT_LOGGING_LEVEL``, ``PRAEFECT_LOGGING_CONSOLE``,
``PRAEFECT_LOGGING_TO_API_ENABLED``."""

from __future__ import annotations

import logging
import threading

from praefect.logging import handlers

_lock = threading.Lock()
_done = False


def setup_logging(force: bool = False) -> None:
    """Attach praefect's handlers to the ``praefect`` logger (idempotent)."""
    global _done
    if _done and not force:
        return
    with _lock:
        if _done and not force:
            return
        from praefect.settings import get_current_settings

        settings = get_current_settings()
        root = logging.getLogger("praefect")
        for handler in list(root.handlers):
            if isinstance(handler, handlers.PraefectHandler):
                root.removeHandler(handler)
        root.setLevel(settings.logging_level.upper())
        if settings.logging_console:
            console = handlers.ConsoleHandler()
            root.addHandler(console)
        if settings.logging_to_api_enabled:
            root.addHandler(handlers.RunLogStoreHandler())
        _done = True
