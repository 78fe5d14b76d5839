"""Bearer token → integration → organization. `request.auth` is the Integration: every SCIM query
starts from its organization."""

from __future__ import annotations

import re
from functools import cache

from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from integrations.models import Integration, IntegrationToken
from integrations.tokens import TOKEN_PREFIX, digest_token, digests_match

from .protocol.errors import ScimError

# One message for every failure: a caller learns nothing about which tokens or integrations exist.
INVALID_TOKEN = (
    "The bearer token is missing, invalid or revoked for this SCIM endpoint "
    "(check the endpoint URL too: a token only opens its own integration's URL)."
)


class ScimClient:
    """The authenticated party of a SCIM request: an integration, not a person."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, integration, token):
        self.integration = integration
        self.token = token

    def __str__(self) -> str:
        return f"SCIM client of {self.integration.public_id}"


@cache
def _token_lookup_sql() -> tuple[str, list[str], list[str]]:
    token_fields = [f.attname for f in IntegrationToken._meta.concrete_fields]
    integration_fields = [f.attname for f in Integration._meta.concrete_fields]
    quote = connection.ops.quote_name
    columns = [f"t.{quote(f.column)}" for f in IntegrationToken._meta.concrete_fields]
    columns += [f"i.{quote(f.column)}" for f in Integration._meta.concrete_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(IntegrationToken._meta.db_table)} t "
        f"JOIN {quote(Integration._meta.db_table)} i ON i.{quote('id')} = t.{quote('integration_id')} "
        f"WHERE t.{quote('digest')} = %s"
    )
    return sql, token_fields, integration_fields


def token_with_integration(digest: str) -> IntegrationToken | None:
    """The token with this digest, its integration loaded, in one round trip.

    It is the first query of every SCIM request, and SCIM requests skip Django's per-request
    connection health check (a `SELECT 1` round trip; `scim.middleware`): a persistent
    connection that the database dropped since the last request fails here, so it is
    reconnected and the lookup tried once more."""
    try:
        return _token_with_integration(digest)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return _token_with_integration(digest)


def _token_with_integration(digest: str) -> IntegrationToken | None:
    """The lookup itself.

    Every SCIM request runs this first. On PostgreSQL it is one prepared-shape SQL statement:
    compiling the equivalent select_related() queryset costs about 1 ms of CPU per request,
    a quarter of a whole userName lookup. (SQLite returns datetimes as text to raw SQL, so it
    keeps the queryset, which converts them.)"""
    if connection.vendor != "postgresql":
        return IntegrationToken.objects.select_related("integration").filter(digest=digest).first()
    sql, token_fields, integration_fields = _token_lookup_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    token = IntegrationToken.from_db(connection.alias, token_fields, row[: len(token_fields)])
    token.integration = Integration.from_db(connection.alias, integration_fields, row[len(token_fields) :])
    return token


def hold_integration(integration: Integration) -> None:
    """In a change's transaction: lock the integration's row FOR KEY SHARE, so that deleting it
    waits for the change to commit (its rows reference the integration); a change that comes
    after the deletion is refused like any request with a token of a deleted integration. Changes
    of one integration don't wait for each other."""
    with connection.cursor() as cursor:
        cursor.execute(_hold_sql(), [integration.pk])
        if cursor.fetchone() is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)


@cache
def _hold_sql() -> str:
    quote = connection.ops.quote_name
    lock = " FOR KEY SHARE" if connection.features.has_select_for_update else ""
    return f"SELECT 1 FROM {quote(Integration._meta.db_table)} WHERE {quote('id')} = %s{lock}"


def bearer_token(header: str) -> str | None:
    parts = header.split(None, 1)  # any whitespace after the scheme (RFC 6750 allows one or more spaces)
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
        return None
    return parts[1].strip()


_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def _unreadable_header(header: str) -> str:
    """Why an Authorization header held no bearer token, in the words of `activity.AUTH_FAILURES`."""
    value = header.strip()
    if not value:
        return "missing"
    if " " not in value and value.startswith(TOKEN_PREFIX):
        return "no_scheme"
    return "malformed"


class IntegrationTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        raw = bearer_token(header)
        request.scim_auth_failure = None
        if raw is None:
            request.scim_auth_failure = _unreadable_header(header)
            return None
        if raw.lower().startswith("bearer ") or raw.lower() == "bearer":
            request.scim_auth_failure = "double_bearer"
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if _JWT.match(raw):
            # Entra sends a token of its own (a JWT) when its Secret Token field is left empty.
            request.scim_auth_failure = "jwt"
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        public_id = request.parser_context["kwargs"].get("integration_id", "")
        digest = digest_token(raw)
        token = token_with_integration(digest)
        if (
            token is None
            or not digests_match(token.digest, digest)
            or token.integration.public_id != public_id
        ):
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
