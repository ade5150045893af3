"""Delivering what other processes left in the spool, from a long-lived process.

A flow that exits while the server cannot take its records leaves them in
``$PRAEFECT_HOME/spool/``; ``praefect server start`` picks up those of its home that were meant
for it (their recorded API URL names its port), so they arrive without anyone running
``praefect spool deliver``. (A worker delivers those of its own API URL through its client:
``HttpClient.deliver_spool_in_background``.)

>>> import tempfile
>>> pickup = SpoolPickup(Path(tempfile.mkdtemp()), lambda url: True)
>>> pickup.run_once()
0
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from praefect.client import http, spool

__all__ = ["SpoolPickup", "deliver_directory", "for_server"]

_logger = logging.getLogger("praefect.client")


class SpoolPickup:
    """Delivers the spooled batches under ``home`` whose API URL ``accepts``, every ``poll``
    seconds, in a daemon thread (``start``/``stop``) or one pass at a time (``run_once``)."""

    def __init__(
        self,
        home: Path,
        accepts: Callable[[str], bool],
        poll: float = 10.0,
        api_key: str | None = None,
        auth_string: str | None = None,
    ) -> None:
        self.home = home
        self.accepts = accepts
        self.poll = poll
        self._credentials = (api_key, auth_string)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        """Records delivered so far."""

    def run_once(self) -> int:
        """Deliver what waits now (until a server cannot take more); returns how many records
        were delivered."""
        before = self.delivered
        for directory, url in spool.directories(self.home):
            if url is None or not self.accepts(url) or not spool.Spool(directory, 0).waiting()[0]:
                continue
            delivered, _ = deliver_directory(directory, url, *self._credentials)
            self.delivered += delivered
        return self.delivered - before

    def start(self) -> None:
        """Run passes in a daemon thread until ``stop``."""
        self._thread = threading.Thread(target=self._run, name="praefect-spool-pickup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                _logger.exception("Delivering spooled run records failed; trying again later.")
            self._stop.wait(self.poll)


def deliver_directory(
    directory: Path,
    url: str,
    api_key: str | None = None,
    auth_string: str | None = None,
    timeout: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Deliver the batches of one spool directory to ``url``, trying again with a backoff for
    up to ``timeout`` seconds while the server cannot take them; ``progress`` is called with
    the record count of each batch delivered. Returns the records delivered and those left."""
    transport = http.Transport(url, api_key, auth_string)

    def send(path: str, body: bytes) -> bool:
        return http.deliver_spooled(transport, deliverer, path, body)

    deliverer = spool.SpoolDeliverer(spool.Spool(directory, 0), send, url)
    deadline = time.monotonic() + timeout
    delay = 0.5
    try:
        while not deliverer.deliver_all(progress):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(deliverer.retry_after or delay, left))
            deliverer.retry_after = None
            delay = min(delay * 2, 5.0)
    finally:
        transport.close()
    return deliverer.delivered_records, spool.Spool(directory, 0).waiting()[1]


def for_server(home: Path, host: str, port: int, poll: float = 10.0) -> SpoolPickup:
    """The pickup of a server listening on ``host``:``port``: it takes the batches meant for an
    API URL on that port of this machine."""
    local = {"127.0.0.1", "localhost", "::1", "[::1]", host}

    def accepts(url: str) -> bool:
        parts = urlsplit(url)
        return parts.port == port and (host in ("0.0.0.0", "::") or parts.hostname in local)

    return SpoolPickup(home, accepts, poll)
