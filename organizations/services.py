"""Writes for organizations: creating one, and making sure a person is its admin."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Organization, Role, User


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
    only a new one gets `password`. Returns the user and whether it was created.
    """
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(
            email, password, full_name=full_name, is_staff=staff, is_superuser=staff
        )
    membership, _ = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": Role.ADMIN}
    )
    if membership.role != Role.ADMIN or not membership.is_active:
        membership.role = Role.ADMIN
        membership.is_active = True
        membership.deactivated_at = None
        membership.save(update_fields=["role", "is_active", "deactivated_at"])
    return user, created


@transaction.atomic
def orphaned_team_delete(*, organization: Organization, team_id: int, actor=None) -> str:
    """Delete a team whose IdP integration was deleted, with its memberships (never its people),
    and record it in the audit trail. Returns the team's name.

    Only such teams: a team that a live integration manages would come back at the IdP's next
    push, and one made by hand is staff's to remove. Raises LookupError for any other team."""
    from integrations.services import audit

    from .selectors import team_get_orphaned

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
    team.delete()
    audit(
        organization=organization,
        actor=actor,
        action="team.deleted",
        summary=(
            f"Deleted team “{name}”, whose integration had been deleted; "
            f"its {members} member{'s' if members != 1 else ''} stay in the organization{role}."
        ),
    )
    return name
