"""SCIM resources as stored: the IdP's view of an organization's people and teams.

A ScimUser is the SCIM face of one Membership; a ScimGroup is the SCIM face of one Team. The
attributes an IdP sends are kept as sent (canonical attribute names, values verbatim); the
attributes every lookup needs are columns with indexes.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.models import Integration
from organizations.models import Membership, Organization, Team


def new_scim_id() -> str:
    return str(uuid.uuid4())


class ScimUser(models.Model):
    scim_id = models.CharField(max_length=36, unique=True, default=new_scim_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_users")
    # The integration that manages this person; NULL once that integration is deleted.
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="scim_users"
    )
    # The person's access to the organization. NULL only for a deleted identity whose login was
    # taken over by a later one (a person the IdP deleted and created anew with another
    # externalId: services._membership_for); the deleted row stays as history.
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="scim_user"
    )
    user_name = models.CharField(max_length=512)
    external_id = models.CharField(max_length=512, null=True, blank=True)
    display_name = models.CharField(max_length=512, blank=True, default="")
    # NULL when a client removed the attribute (RFC 7644 PATCH remove): unassigned, which grants
    # access like true; only an explicit false ends it.
    active = models.BooleanField(null=True, default=True)
    # Every other attribute the IdP sent, under its canonical name (name, emails, title,
    # the enterprise extension under its URN, ...). Never id, meta, groups or password.
    attributes = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # DELETE hides the resource from SCIM (404 afterwards) but erases nothing.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SCIM user"
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("user_name"),
                condition=Q(deleted_at__isnull=True),
                name="scim_user_username_ci_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "external_id"], name="scim_user_external_id"),
            models.Index("organization", Lower("display_name"), name="scim_user_display_name"),
            # Pages and totalResults of the visible users: an index-only scan, without reading
            # the table for the rows OFFSET skips or COUNT counts (VACUUM keeps it index-only).
            models.Index(
                fields=["organization", "id"],
                condition=Q(deleted_at__isnull=True),
                name="scim_user_visible_order",
            ),
            # A POST of a userName that was deleted brings that user back (services._restore).
            models.Index(
                "organization",
                Lower("user_name"),
                condition=Q(deleted_at__isnull=False),
                name="scim_user_deleted_username",
            ),
        ]

    def __str__(self) -> str:
        return self.user_name


class ScimUserValue(models.Model):
    """One element of a multi-valued attribute (emails, phoneNumbers, addresses, ...), kept in a
    row of its own so filters such as `emails[type eq "work"].value eq "x"` run as an indexed
    query. Derived from ScimUser.attributes, rewritten whenever that attribute changes."""

    user = models.ForeignKey(ScimUser, on_delete=models.CASCADE, related_name="values")
    attribute = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    value = models.TextField(null=True, blank=True)
    type = models.CharField(max_length=100, null=True, blank=True)
    primary = models.BooleanField(default=False)
    display = models.TextField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index("attribute", Lower("value"), name="scim_user_value_lookup"),
            models.Index(fields=["user", "attribute"], name="scim_user_value_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute}[{self.position}] = {self.value}"


class ScimGroup(models.Model):
    scim_id = models.CharField(max_length=36, unique=True, default=new_scim_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_groups")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="scim_groups"
    )
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="scim_group")
    display_name = models.CharField(max_length=512)
    external_id = models.CharField(max_length=512, null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "SCIM group"
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("display_name"), name="scim_group_display_name_ci_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "external_id"], name="scim_group_external_id"),
            models.Index(fields=["organization", "id"], name="scim_group_org_order"),
        ]

    def __str__(self) -> str:
        return self.display_name


class RequestRecord(models.Model):
    """One SCIM request as the admin's activity view and staff see it. Never the token, never a
    password; personal data limited to the userName/displayName the request was about."""

    # No single-column indexes on the foreign keys: the composite indexes below start with them,
    # and every request writes a record, so each index is paid for on every request.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="scim_requests", db_index=False
    )
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    latency_ms = models.PositiveIntegerField(default=0)
    client = models.CharField(max_length=255, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)
    scim_type = models.CharField(max_length=40, blank=True)
    resource_type = models.CharField(max_length=20, blank=True)
    resource_id = models.CharField(max_length=36, blank=True)
    resource_name = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["integration", "-created_at"], name="scim_request_by_integration"),
            models.Index(fields=["organization", "-created_at"], name="scim_request_by_org"),
            models.Index(fields=["integration", "resource_id"], name="scim_request_by_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"
