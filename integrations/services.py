"""Everything that changes an integration goes through here, with its audit record in the same
transaction."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from organizations.models import Organization
from organizations.services import keeping_an_admin
from organizations.text import has_invisible_formatting, isolated
from organizations.timestamps import format_timestamp
from organizations.transactions import atomic_retrying

from .models import AuditEvent, AuthType, Integration, IntegrationToken
from .tokens import generate_token

STAFF_NOTE = " (by staff, in Django admin)"


def audit(
    *, organization, action: str, summary: str, actor=None, integration=None, staff: bool = False
) -> AuditEvent:
    """Record who did what. `staff` marks a change made by our staff in Django admin, so the
    organization's admins can tell it from their own."""
    if staff:
        summary = f"{summary.rstrip('.')}{STAFF_NOTE}."
    return AuditEvent.objects.create(
        organization=organization, integration=integration, actor=actor, action=action, summary=summary
    )


DEFAULT_NAME = "SCIM"


def integration_default_name(*, organization: Organization) -> str:
    """ "SCIM" for an organization's first integration, then "SCIM 2", "SCIM 3", …: the lowest
    number no integration of the organization is named with, so two are never both "SCIM"."""
    taken = {
        _name_as_read(name)
        for name in Integration.objects.filter(organization=organization).values_list("name", flat=True)
    }
    if _name_as_read(DEFAULT_NAME) not in taken:
        return DEFAULT_NAME
    number = 2
    while _name_as_read(f"{DEFAULT_NAME} {number}") in taken:
        number += 1
    return f"{DEFAULT_NAME} {number}"


def _name_as_read(name: str) -> str:
    """A name as an admin reads it: letter case, compatibility forms (fullwidth Ｔ, a no-break
    space) and runs of spaces don't tell two names apart on a page."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def integration_name_taken(*, organization: Organization, name: str, exclude_pk: int | None = None) -> bool:
    """Whether another integration of the organization has a name that reads the same: names are
    how admins tell integrations apart in lists, the audit trail and the activity. (An
    organization has a handful of integrations: their names are compared here, not in SQL.)"""
    others = Integration.objects.filter(organization=organization)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    wanted = _name_as_read(name)
    return any(_name_as_read(other) == wanted for other in others.values_list("name", flat=True))


def integration_name_problem(*, organization: Organization, name: str, exclude_pk: int | None = None) -> str:
    """Why `name` cannot name an integration of the organization, in words for the admin, or ""
    (the web form, Django admin and the services ask the same)."""
    name = (name or "").strip()
    if not name:
        return "An integration needs a name."
    if len(name) > Integration._meta.get_field("name").max_length:
        return "That name is too long."
    if any(unicodedata.category(char) == "Cc" for char in name):
        return "A name can't hold control characters (a line break, a tab, a bell): one line of text."
    if has_invisible_formatting(name):
        return (
            "A name can't hold invisible formatting characters (such as U+202E, which shows the "
            "text after it backwards)."
        )
    if integration_name_taken(organization=organization, name=name, exclude_pk=exclude_pk):
        return f"Another integration is already named “{isolated(name)}”. Choose another name."
    return ""


def _clean_name(*, organization: Organization, name: str, exclude_pk: int | None = None) -> str:
    problem = integration_name_problem(organization=organization, name=name, exclude_pk=exclude_pk)
    if problem:
        raise ValueError(problem)
    return name.strip()


@transaction.atomic
def integration_create(
    *, organization: Organization, created_by=None, auth_type: str = AuthType.TOKEN, name: str = ""
) -> tuple[Integration, str]:
    """Create a SCIM integration and its first token. Returns the integration and the raw token,
    which exists only in this return value: the database keeps its digest.

    Without a `name`, the integration is named "SCIM", "SCIM 2", … (integration_default_name).
    Raises ValueError for a name another integration of the organization already has."""
    if name and name.strip():
        name = _clean_name(organization=organization, name=name)
    else:
        name = integration_default_name(organization=organization)
    integration = Integration.objects.create(
        organization=organization, created_by=created_by, auth_type=auth_type, name=name
    )
    raw = _issue_token(integration=integration, created_by=created_by)
    audit(
        organization=organization,
        integration=integration,
        actor=created_by,
        action="integration.created",
        summary=f"Created SCIM integration “{isolated(integration.name)}” with {AuthType(auth_type).label} authentication.",
    )
    return integration, raw


def _hold(integration: Integration, *, deleting: bool = False) -> None:
    """Lock the integration's row for the change about to be made to it. A change and a deletion
    of the integration then wait for each other instead of one failing as it commits (the
    database checks references to a deleted row then: an HTML 500 for the admin). The deletion
    takes the row FOR UPDATE; other changes FOR NO KEY UPDATE; the IdP's writes FOR KEY SHARE
    (scim.views), which only a deletion waits for. Raises Integration.DoesNotExist when the
    integration was deleted meanwhile."""
    rows = Integration.objects.filter(pk=integration.pk)
    rows = rows.select_for_update() if deleting else rows.select_for_update(no_key=True)
    if rows.values_list("pk").first() is None:
        raise Integration.DoesNotExist("This integration was deleted.")


def _issue_token(*, integration: Integration, created_by=None) -> str:
    token = generate_token()
    IntegrationToken.objects.create(
        integration=integration, prefix=token.prefix, digest=token.digest, created_by=created_by
    )
    return token.raw


@atomic_retrying
def token_rotate(
    *, integration: Integration, actor=None, staff: bool = False, grace: timedelta = timedelta(0)
) -> str:
    """Issue a new token; the current ones stop working now, or when `grace` has passed."""
    _hold(integration)
    now = timezone.now()
    ends = now + grace
    IntegrationToken.objects.filter(integration=integration, revoked_at__isnull=True).update(revoked_at=ends)
    IntegrationToken.objects.filter(integration=integration, revoked_at__gt=ends).update(revoked_at=ends)
    raw = _issue_token(integration=integration, created_by=actor)
    when = "now" if not grace else f"on {format_timestamp(ends)}"
    audit(
        organization=integration.organization,
        integration=integration,
        actor=actor,
        staff=staff,
        action="token.rotated",
        summary=f"Rotated the token; the previous token stops working {when}.",
    )
    return raw


@atomic_retrying
def token_revoke(*, token: IntegrationToken, actor=None, staff: bool = False) -> None:
    _hold(token.integration)
    now = timezone.now()
    if token.revoked_at is None or token.revoked_at > now:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    audit(
        organization=token.integration.organization,
        integration=token.integration,
        actor=actor,
        staff=staff,
        action="token.revoked",
        summary=f"Revoked token {token.prefix}….",
    )


@atomic_retrying
def integration_set_enabled(
    *, integration: Integration, enabled: bool, actor=None, staff: bool = False
) -> None:
    _hold(integration)
    integration.status = Integration.Status.ACTIVE if enabled else Integration.Status.DISABLED
    integration.save(update_fields=["status"])
    audit(
        organization=integration.organization,
        integration=integration,
        actor=actor,
        staff=staff,
        action="integration.enabled" if enabled else "integration.disabled",
        summary="Enabled the integration."
        if enabled
        else "Disabled the integration: the IdP's requests are refused.",
    )


@atomic_retrying
def integration_delete(*, integration: Integration, actor=None, staff: bool = False) -> None:
    """Delete the integration and its tokens. The people and teams it manages stay, managed by no
    integration (ScimUser/ScimGroup.integration become NULL) until another integration of the
    organization writes them."""
    _hold(integration, deleting=True)
    organization = integration.organization
    name = integration.name
    audit(
        organization=organization,
        integration=None,
        actor=actor,
        staff=staff,
        action="integration.deleted",
        summary=f"Deleted SCIM integration “{isolated(name)}”; its users and groups stay in the organization.",
    )
    # Its people and groups are released with a condition, not by the ids the deletion would
    # collect first: a person or group that another integration of the organization takes over
    # meanwhile (its write commits between the two) stays that integration's, instead of being
    # released too and shown as orphaned.
    from scim.models import ScimGroup, ScimUser

    for model in (ScimUser, ScimGroup):
        model.objects.filter(integration=integration).update(integration=None)
    integration.delete()


@atomic_retrying
def integration_rename(*, integration: Integration, name: str, actor=None, staff: bool = False) -> None:
    """Rename the integration, audited. Raises ValueError for an empty name or one another
    integration of the organization already has."""
    _hold(integration)
    old = integration.name
    name = _clean_name(organization=integration.organization, name=name, exclude_pk=integration.pk)
    if old == name:
        return
    integration.name = name
    integration.save(update_fields=["name"])
    audit(
        organization=integration.organization,
        integration=integration,
        actor=actor,
        action="integration.renamed",
        summary=f"Renamed the integration from “{isolated(old)}” to “{isolated(name)}”.",
        staff=staff,
    )


@atomic_retrying
def integration_set_response_media_type(
    *, integration: Integration, media_type: str, actor=None, staff: bool = False
) -> None:
    """Choose what answers are sent as when the IdP states no preference, audited."""
    _hold(integration)
    if media_type not in Integration.ResponseMediaType.values:
        raise ValueError(f"Unknown media type {media_type!r}.")
    if integration.response_media_type == media_type:
        return
    integration.response_media_type = media_type
    integration.save(update_fields=["response_media_type"])
    audit(
        organization=integration.organization,
        integration=integration,
        actor=actor,
        action="integration.response_media_type",
        summary=f"Answers are sent as {media_type} when the identity provider states no preference.",
        staff=staff,
    )


def integration_touch(
    *, integration: Integration, client: str, idp: str, token: IntegrationToken | None
) -> None:
    """Note that the IdP reached us, without a write on every request.

    The integration's row is written at most once a minute (or when the client or the recognised
    IdP changes). Each token keeps its own clock: a token is written when its own last use is
    unknown or a minute old, so a token just pasted into the IdP shows as used on its first
    request even while another token of the integration keeps the integration's row fresh."""
    now = timezone.now()
    stale = now - timedelta(seconds=60)
    client = client[:255]
    recent = integration.last_request_at is not None and integration.last_request_at > stale
    newly_recognised = bool(idp) and idp != integration.detected_idp
    integration_written = not recent or integration.last_client != client or newly_recognised
    if integration_written:
        Integration.objects.filter(pk=integration.pk).update(
            last_request_at=now, last_client=client, detected_idp=idp or integration.detected_idp
        )
    if token is None:
        return
    token_stale = token.last_used_at is None or token.last_used_at <= stale
    if integration_written or token_stale:
        IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)


@atomic_retrying
def group_role_set(*, integration: Integration, team_id: int, role: str, actor=None):
    """Map one of the integration's groups to a role in the organization: its members hold that
    role for as long as the IdP keeps them in the group. Returns the team."""
    from organizations.models import Role, Team

    if role not in ("", *Role.values):
        raise ValueError(f"Unknown role {role!r}.")
    from scim.models import ScimGroup

    _hold(integration)
    # Locks in the order every SCIM change to a group takes them: its group, then its team (then,
    # to check the admins, the organization). In the other order the two deadlock.
    group = (
        ScimGroup.objects.select_for_update(of=("self",))
        .filter(team_id=team_id, organization_id=integration.organization_id)
        .first()
    )
    if group is None:
        raise LookupError("No such group in this organization.")
    team = Team.objects.select_for_update(of=("self",)).get(pk=group.team_id)
    if team.granted_role == role:
        return team
    refusal = (
        f"Not saved: group “{isolated(team.name)}” is how the organization's last active admin who can sign in "
        f"holds their role, and without it nobody could manage {integration.organization.name}. "
        "Make someone else an admin first."
    )
    with keeping_an_admin(organization_id=integration.organization_id, team_id=team.pk, refusal=refusal):
        team.granted_role = role
        team.save(update_fields=["granted_role"])
    if role:
        summary = f"Members of group “{isolated(team.name)}” are now {Role(role).label.lower()}s of the organization."
    else:
        summary = f"Group “{isolated(team.name)}” no longer grants a role."
    audit(
        organization=integration.organization,
        integration=integration,
        actor=actor,
        action="group.role",
        summary=summary,
    )
    return team
