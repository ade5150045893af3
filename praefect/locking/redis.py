"""Locks shared by several hosts, in Redis (needs the ``[redis]`` extra)."""

from __future__ import annotations

from typing import Any

from praefect.locking.protocol import TryingLockManager

__all__ = ["RedisLockManager"]

# Delete the lock only if this holder still owns it: a holder whose lock expired and was taken
# over must not release the new owner's lock.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

# Take the lock if free; re-taking one's own lock refreshes its expiry.
_ACQUIRE = """
local current = redis.call('get', KEYS[1])
if current == false or current == ARGV[1] then
    if ARGV[2] == '' then
        redis.call('set', KEYS[1], ARGV[1])
    else
        redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    end
    return 1
end
return 0
"""


class RedisLockManager(TryingLockManager):
    """Locks as Redis keys (``SET NX PX`` semantics, released by a Lua script that checks the
    holder), for runs on several hosts sharing one Redis.

    >>> locks = RedisLockManager(host="127.0.0.1", port=6379)  # doctest: +SKIP
    >>> locks.acquire_lock("k", holder="a", hold_timeout=30)  # doctest: +SKIP
    True
    >>> locks.close()  # doctest: +SKIP
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        ssl: bool = False,
        key_prefix: str = "praefect:lock:",
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.db = db
        self.username = username
        self.password = password
        self.ssl = ssl
        self.key_prefix = key_prefix
        self.client_kwargs = dict(client_kwargs or {})
        self._client: Any = None
        self._acquire: Any = None
        self._release: Any = None

    def _redis(self) -> Any:
        if self._client is None:
            import redis

            self._client = redis.Redis(
                host=self.host,
                port=self.port,
                db=self.db,
                username=self.username,
                password=self.password,
                ssl=self.ssl,
                **self.client_kwargs,
            )
            self._acquire = self._client.register_script(_ACQUIRE)
            self._release = self._client.register_script(_RELEASE)
        return self._client

    def _name(self, key: str) -> str:
        return f"{self.key_prefix}{key}"

    def _try_acquire(self, key: str, holder: str, hold_timeout: float | None) -> bool:
        self._redis()
        px = "" if hold_timeout is None else str(max(int(hold_timeout * 1000), 1))
        return bool(self._acquire(keys=[self._name(key)], args=[holder, px]) == 1)

    def release_lock(self, key: str, holder: str) -> None:
        self._redis()
        if self._release(keys=[self._name(key)], args=[holder]) != 1:
            raise ValueError(f"No lock held by {holder!r} for key {key!r}.")

    def is_locked(self, key: str) -> bool:
        return bool(self._redis().exists(self._name(key)))

    def is_lock_holder(self, key: str, holder: str) -> bool:
        current = self._redis().get(self._name(key))
        return current is not None and current.decode() == holder

    def close(self) -> None:
        """Close the connection pool (a new one opens on next use)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None, "_acquire": None, "_release": None}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RedisLockManager) and (
            self.host,
            self.port,
            self.db,
            self.key_prefix,
        ) == (other.host, other.port, other.db, other.key_prefix)

    def __hash__(self) -> int:
        return hash((self.host, self.port, self.db, self.key_prefix))

    def __repr__(self) -> str:
        return f"RedisLockManager(host={self.host!r}, port={self.port}, db={self.db})"
