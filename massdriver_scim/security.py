"""Response headers Django 5.2 does not set by itself.

Content-Security-Policy: every page loads its scripts and styles from our own static files (no
inline script or style anywhere in the templates), so the policy can forbid everything else. The
SCIM API answers JSON only; the header costs nothing there and is set on every response.
"""

from __future__ import annotations

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
