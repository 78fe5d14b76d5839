"""Per-integration rate limit, counted in the shared cache so every server process sees the same
count. Over the limit the IdP gets 429 with Retry-After (Okta and Entra both back off on it)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60


class IntegrationRateThrottle(BaseThrottle):
    """A fixed one-minute window per integration, counted with an atomic increment (no
    read-modify-write of a history list, so parallel requests can't slip past the limit)."""

    def allow_request(self, request, view) -> bool:
        limit = settings.SCIM_RATE_LIMIT_PER_MINUTE
        integration = request.auth
        if not limit or integration is None:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"scim-rate:{integration.public_id}:{window}"
        self._wait = WINDOW_SECONDS - (now % WINDOW_SECONDS)
        if cache.add(key, 1, timeout=WINDOW_SECONDS + 5):
            return True
        try:
            count = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            cache.add(key, 1, timeout=WINDOW_SECONDS + 5)
            return True
        return count <= limit

    def wait(self) -> float:
        return getattr(self, "_wait", WINDOW_SECONDS)
