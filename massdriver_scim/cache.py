"""The shared cache, when Redis serves it, fails open.

Only counters live there (the SCIM rate limit, refusals recorded, failed logins). If Redis is
unreachable or refuses commands, refusing every IdP request and every login would turn a lost counter into an outage
of provisioning and of the web UI; so each operation that cannot reach Redis is logged and
answered as an empty cache would answer it: nothing counted yet, nothing locked. Requests go on
unthrottled until Redis is back. After a failure the cache is not asked again for a few seconds,
so a Redis that hangs costs one short timeout, not one per request."""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Unreachable, hanging, or refusing commands (out of memory, a read-only replica after a
# failover, not Redis at all): every error of the client, and of the socket under it.
UNREACHABLE = (RedisError, OSError)
RETRY_AFTER_SECONDS = 5.0


class FailOpenRedisCache(RedisCache):
    _down_until = 0.0  # per process: when to try Redis again after a failure

    def _reachable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, operation: str, error: Exception) -> None:
        type(self)._down_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.error(
            "shared cache unreachable (%s: %s); rate limits and login lockouts are not counted "
            "for the next %.0f s",
            operation,
            error,
            RETRY_AFTER_SECONDS,
        )

    def _try(self, operation: str, call, fallback):
        if not self._reachable():
            return fallback
        try:
            return call()
        except UNREACHABLE as error:
            self._failed(operation, error)
            return fallback

    def add(self, key, value, timeout=None, version=None):
        # As if the key were new: a counter starts at one.
        return self._try(
            "add", lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version), True
        )

    def get(self, key, default=None, version=None):
        return self._try("get", lambda: super(FailOpenRedisCache, self).get(key, default, version), default)

    def incr(self, key, delta=1, version=None):
        return self._try("incr", lambda: super(FailOpenRedisCache, self).incr(key, delta, version), delta)

    def delete(self, key, version=None):
        return self._try("delete", lambda: super(FailOpenRedisCache, self).delete(key, version), False)

    def set(self, key, value, timeout=None, version=None):
        self._try("set", lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version), None)
