"""Bearer token → integration → organization. `request.auth` is the Integration: every SCIM query
starts from its organization."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from integrations.models import IntegrationToken
from integrations.tokens import digest_token, digests_match

from .protocol.errors import ScimError

# One message for every failure: a caller learns nothing about which tokens or integrations exist.
INVALID_TOKEN = "The bearer token is missing, invalid or revoked for this SCIM endpoint."


class ScimClient:
    """The authenticated party of a SCIM request: an integration, not a person."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, integration, token):
        self.integration = integration
        self.token = token

    def __str__(self) -> str:
        return f"SCIM client of {self.integration.public_id}"


def bearer_token(header: str) -> str | None:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


class IntegrationTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
        request.scim_auth_failure = None
        if raw is None:
            request.scim_auth_failure = "missing" if not request.META.get("HTTP_AUTHORIZATION") else "malformed"
            return None
        public_id = request.parser_context["kwargs"].get("integration_id", "")
        digest = digest_token(raw)
        token = (
            IntegrationToken.objects.select_related("integration__organization").filter(digest=digest).first()
        )
        if token is None or not digests_match(token.digest, digest) or token.integration.public_id != public_id:
            request.scim_auth_failure = "unknown" if token is None else "other_endpoint"
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if not token.is_valid_at(timezone.now()):
            request.scim_auth_failure = "revoked"
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        integration = token.integration
        if not integration.is_enabled:
            request.scim_auth_failure = "disabled"
            raise ScimError(
                403,
                "This SCIM integration is disabled. An administrator of the organization can re-enable it "
                "on the integration's page.",
            )
        return ScimClient(integration, token), integration

    def authenticate_header(self, request):
        return 'Bearer realm="scim"'


class HasIntegration(BasePermission):
    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(INVALID_TOKEN)
        return True
