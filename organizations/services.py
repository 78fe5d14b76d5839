"""Writes for organizations: creating one, making sure a person is its admin, a member's own
role, and deleting a team whose integration is gone. Changes an admin makes are audited."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Organization, Role, Team, User
from .selectors import is_sole_managing_admin, managing_admins, person_get, team_get_orphaned
from .text import isolated
from .transactions import atomic_retrying


def organization_name_from_slug(slug: str) -> str:
    return " ".join(part.capitalize() for part in slug.replace("_", "-").split("-") if part) or slug


@transaction.atomic
def organization_get_or_create(*, slug: str, name: str | None = None) -> tuple[Organization, bool]:
    """The organization with this slug, created (named from the slug unless given) if missing."""
    slug = slugify(slug)
    if not slug:
        raise ValueError("An organization slug needs at least one letter or digit.")
    return Organization.objects.get_or_create(
        slug=slug, defaults={"name": name or organization_name_from_slug(slug)}
    )


@transaction.atomic
def admin_ensure(
    *, organization: Organization, email: str, password: str, full_name: str = "", staff: bool = False
) -> tuple[User, bool]:
    """A login for `email` with an active admin membership in `organization`.

    Idempotent: an existing login keeps its password (someone may have changed it on purpose);
    a new one gets `password`, and so does an existing one that has none (a person an identity
    provider created elsewhere): an admin who cannot sign in would manage nothing. Returns the
    user and whether `password` was set.
    """
    email = email.strip()  # as typed on a command line: " boss@acme.test " is that login
    user = User.objects.filter(email__iexact=email).first()
    password_set = user is None
    if user is None:
        user = User.objects.create_user(
            email, password, full_name=full_name, is_staff=staff, is_superuser=staff
        )
    elif not user.has_usable_password():
        user.set_password(password)
        user.save(update_fields=["password"])
        password_set = True
    membership, _ = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": Role.ADMIN}
    )
    if membership.role != Role.ADMIN or not membership.is_active:
        membership.role = Role.ADMIN
        membership.is_active = True
        membership.deactivated_at = None
        membership.save(update_fields=["role", "is_active", "deactivated_at"])
    return user, password_set


# ---------------------------------------------------------------------- keeping an admin

# An organization always keeps an admin who can sign in and manage it (selectors.managing_admins).
# Every change that could take the last one away (a role here, a team's role or its deletion, and
# the IdP's deactivations and group changes in scim.services) checks that under one lock, so two
# such changes at once cannot each count on the other's admin.


class RoleRefused(ValueError):
    """A role change that is not made; the message says why, in words for the admin."""


def organization_lock(organization_id: int) -> None:
    """The lock those changes take before they count the admins. NO KEY UPDATE: rows that only
    reference the organization (a new person, a new team) are not held up by it."""
    Organization.objects.select_for_update(no_key=True).filter(pk=organization_id).values_list("pk").first()


@contextmanager
def keeping_an_admin(*, organization_id: int, team_id: int, refusal: str):
    """Around a change to team `team_id` (its members, its role, its deletion): when the team
    makes its members admins, the change may not leave the organization without the admin it had.
    Raises RoleRefused(refusal) after the change; the caller's transaction rolls it back.

    The team's row is locked first, so its role is read as it is now, and in the order every such
    change takes its locks: the team, then the organization."""
    granted = (
        Team.objects.select_for_update().filter(pk=team_id).values_list("granted_role", flat=True).first()
    )
    had_admin = False
    if granted == Role.ADMIN:
        organization_lock(organization_id)
        had_admin = managing_admins(organization_id=organization_id).exists()
    yield
    if had_admin and not managing_admins(organization_id=organization_id).exists():
        raise RoleRefused(refusal)


@atomic_retrying
def orphaned_team_delete(*, organization: Organization, team_id: int, actor=None) -> str:
    """Delete a team whose IdP integration was deleted, with its memberships (never its people),
    and record it in the audit trail. Returns the team's name.

    Only such teams: a team that a live integration manages would come back at the IdP's next
    push, and one made by hand is staff's to remove. Raises LookupError for any other team."""
    from integrations.services import audit

    # Its SCIM group is locked first, as every SCIM change to a group takes its locks (the group,
    # then the team); in the other order the two deadlock. Another integration of the
    # organization may still change the group. (By name: the scim app builds on this one.)
    apps.get_model("scim", "ScimGroup").objects.select_for_update(of=("self",)).filter(
        team_id=team_id, team__organization=organization
    ).values_list("pk").first()
    row = team_get_orphaned(organization=organization, team_id=team_id)
    if row is None:
        raise LookupError("No team without an integration with this id in the organization.")
    team = row.team
    name = team.name
    members = team.member_count
    role = (
        f"; its members no longer get the {Role(team.granted_role).label} role from it"
        if team.granted_role
        else ""
    )
    # The SCIM group goes with the team (ScimGroup.team cascades): the group no longer exists for
    # any IdP either, so a later push of the same name creates a fresh team.
    refusal = (
        f"Team “{isolated(name)}” was not deleted: it is how the organization's last active admin who can "
        f"sign in holds their role, and without it nobody could manage {organization.name}. "
        "Make someone else an admin first."
    )
    with keeping_an_admin(organization_id=organization.pk, team_id=team.pk, refusal=refusal):
        team.delete()
    audit(
        organization=organization,
        actor=actor,
        action="team.deleted",
        summary=(
            f"Deleted team “{isolated(name)}”, whose integration had been deleted; "
            f"its {members} member{'s' if members != 1 else ''} stay in the organization{role}."
        ),
    )
    return name


@dataclass(frozen=True)
class RoleChange:
    name: str  # the person, as the audit trail names them
    role: str  # their own role now
    changed: bool
    admin_team: str = ""  # a team that makes them an admin whatever their own role


@atomic_retrying
def membership_role_set(
    *, organization: Organization, membership_id: int, role: str, actor=None
) -> RoleChange:
    """Give a person of `organization` their own role, Member or Admin, audited.

    Refused (RoleRefused) when it would leave the organization with no active admin who can sign
    in (you included: giving up your own role is refused when you are the last), and when the
    person's access has ended (an admin role would give them nothing). LookupError for anyone
    who is not a person of this organization."""
    from integrations.services import audit

    if role not in Role.values:
        raise RoleRefused("Choose Member or Admin.")
    organization_lock(organization.pk)
    found = person_get(organization=organization, membership_id=membership_id)
    if found is None:
        raise LookupError("No such person in this organization.")
    person, _teams = found
    membership = person.membership
    who = _named(person)
    if membership.role == role:
        return RoleChange(name=who, role=role, changed=False, admin_team=person.admin_team)
    if role == Role.ADMIN and not membership.is_active:
        raise RoleRefused(
            f"{who} was not made an admin: their access to {organization.name} has ended, and the "
            "role would give them nothing until it is restored."
        )
    if (
        role == Role.MEMBER
        and not person.admin_team
        and is_sole_managing_admin(organization_id=organization.pk, membership_id=membership.pk)
    ):
        you = actor is not None and membership.user_id == actor.pk
        subject = "You are" if you else f"{who} is"
        raise RoleRefused(
            f"{subject} the organization's last active admin who can sign in: without this role "
            f"nobody could manage {organization.name}. Make someone else an admin first."
        )
    membership.role = role
    membership.save(update_fields=["role"])
    if role == Role.ADMIN:
        summary = f"Made {who} an admin of the organization."
    else:
        summary = f"Made {who} a member: no longer an admin by their own role"
        summary += (
            f"; still an admin through team “{isolated(person.admin_team)}”." if person.admin_team else "."
        )
    audit(organization=organization, actor=actor, action="membership.role", summary=summary)
    return RoleChange(name=who, role=role, changed=True, admin_team=person.admin_team)


def _named(person) -> str:
    """A person as the audit trail and messages name them: name and email, or whichever exists."""
    if person.name and person.email and person.name != person.email:
        return f"{isolated(person.name)} ({isolated(person.email)})"
    return isolated(person.name or person.email or f"person {person.membership.pk}")
