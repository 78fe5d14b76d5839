"""An organization's connection to its identity provider, and the credentials that open it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from organizations.models import Organization


def _public_id() -> str:
    # Lower-case hex, no underscore: Okta refuses base URLs that contain "_".
    return uuid.uuid4().hex


class AuthType(models.TextChoices):
    TOKEN = "token", "Token"


class Integration(models.Model):
    """One SCIM endpoint of one organization. Its URL carries `public_id`; its tokens open it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="integrations")
    public_id = models.CharField(max_length=32, unique=True, default=_public_id, editable=False)
    name = models.CharField(max_length=200, default="SCIM")
    auth_type = models.CharField(max_length=20, choices=AuthType.choices, default=AuthType.TOKEN)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept coarse (updated at most once a minute) so a request does not write on every call.
    last_request_at = models.DateTimeField(null=True, blank=True)
    last_client = models.CharField(max_length=255, blank=True)
    detected_idp = models.CharField(max_length=40, blank=True)

    class ResponseMediaType(models.TextChoices):
        SCIM = "application/scim+json", "application/scim+json (the SCIM standard)"
        JSON = "application/json", "application/json (for OneLogin)"

    # What answers are sent as when a request states no preference (no Accept header, or */*)
    # and its body is not application/json: OneLogin's documentation requires application/json.
    response_media_type = models.CharField(
        max_length=40, choices=ResponseMediaType.choices, default=ResponseMediaType.SCIM
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"

    @property
    def is_enabled(self) -> bool:
        return self.status == self.Status.ACTIVE


class IntegrationToken(models.Model):
    """A bearer token, stored only as its SHA-256 digest plus a short non-secret prefix.

    The token carries 256 bits of randomness, so a fast digest is as safe as a slow password
    hash here and lets a request find its token by an indexed equality lookup.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=20)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Revoked now, or (after a rotation with a grace period) at a time in the future.
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    def is_valid_at(self, moment) -> bool:
        return self.revoked_at is None or self.revoked_at > moment


class AuditEvent(models.Model):
    """Who did what to an integration (or as staff), and when. Written in the same transaction
    as the change it describes."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_events")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    summary = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
