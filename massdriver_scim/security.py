"""Response headers Django 5.2 does not set by itself.

Content-Security-Policy: every page loads its scripts and styles from our own static files (no
inline script or style anywhere in the templates), so the policy can forbid everything else. The
SCIM API answers JSON only; the header costs nothing there and is set on every response.

Cache-Control on signed-in pages: they show people, emails and activity, and must not stay in a
shared computer's browser cache (or a proxy's) after logging out.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import add_never_cache_headers

from scim.middleware import is_scim_path


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class PrivatePagesMiddleware:
    """Pages served to a signed-in person are never stored by a cache. Not the SCIM API (no
    session: its clients send a bearer token, and looking for a user there would cost a query),
    nor a response that already says how to cache it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            "Cache-Control" not in response
            and not is_scim_path(request.path)
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            add_never_cache_headers(response)
        return response
