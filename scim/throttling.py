"""Per-integration rate limit, counted in the shared cache so every server process sees the same
count. Over the limit the IdP gets 429 with Retry-After (Okta and Entra both back off on it)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60


def count_in_window(name: str) -> tuple[int, float]:
    """Count one more event under `name` in the current one-minute window, in the shared cache,
    with an atomic increment (no read-modify-write, so parallel requests can't slip past a
    limit). Returns the count so far and the seconds left in the window."""
    now = time.time()
    key = f"{name}:{int(now // WINDOW_SECONDS)}"
    left = WINDOW_SECONDS - (now % WINDOW_SECONDS)
    if cache.add(key, 1, timeout=WINDOW_SECONDS + 5):
        return 1, left
    try:
        return cache.incr(key), left
    except ValueError:  # the window's key expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS + 5)
        return 1, left


class IntegrationRateThrottle(BaseThrottle):
    """A fixed one-minute window per integration."""

    def allow_request(self, request, view) -> bool:
        limit = settings.SCIM_RATE_LIMIT_PER_MINUTE
        integration = request.auth
        if not limit or integration is None:
            return True
        count, self._wait = count_in_window(f"scim-rate:{integration.public_id}")
        return count <= limit

    def wait(self) -> float:
        return getattr(self, "_wait", WINDOW_SECONDS)
