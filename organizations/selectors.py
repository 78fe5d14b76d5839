"""Reads for the organization pages. Every query starts from the organization (the tenant), and
each page's data comes from a fixed number of queries whatever the number of people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from .models import Membership, Organization, Role, Team, TeamMembership
from .text import isolated, shown


def _admin_team_name() -> Subquery:
    """The name of a team that makes the member an admin (alphabetically first), or NULL."""
    return Subquery(
        TeamMembership.objects.filter(membership=OuterRef("pk"), team__granted_role=Role.ADMIN)
        .order_by("team__name")
        .values("team__name")[:1]
    )


def _team_admin_exists() -> Exists:
    return Exists(TeamMembership.objects.filter(membership=OuterRef("pk"), team__granted_role=Role.ADMIN))


def membership_for_access(*, user, slug: str) -> Membership | None:
    """The user's ACTIVE membership in the organization `slug`, with `team_admin` annotated.

    An inactive membership is treated as no membership at all: access to that organization has
    ended, while the person's memberships elsewhere are untouched.
    """
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organization")
        .annotate(team_admin=_team_admin_exists())
        .filter(user=user, is_active=True, organization__slug=slug)
        .first()
    )


def membership_is_admin(*, membership: Membership) -> bool:
    """Admin by the membership's own role, or by belonging to a team that grants "admin"."""
    if membership.role == Role.ADMIN:
        return True
    team_admin = getattr(membership, "team_admin", None)
    if team_admin is None:
        team_admin = TeamMembership.objects.filter(
            membership=membership, team__granted_role=Role.ADMIN
        ).exists()
    return bool(team_admin)


def organization_list_for_user(*, user) -> QuerySet[Organization]:
    """Organizations the user may enter (active memberships only), by name."""
    return Organization.objects.filter(memberships__user=user, memberships__is_active=True).order_by("name")


def organization_list_administered(*, user) -> QuerySet[Organization]:
    """Organizations the user administers (an active membership with the admin role, or in a
    team that grants it), by name. One query."""
    admin_memberships = Membership.objects.filter(user=user, is_active=True).filter(
        Q(role=Role.ADMIN)
        | Exists(TeamMembership.objects.filter(membership=OuterRef("pk"), team__granted_role=Role.ADMIN))
    )
    return Organization.objects.filter(memberships__in=admin_memberships).distinct().order_by("name")


def managing_admins(*, organization_id: int) -> QuerySet[Membership]:
    """The admins who keep the organization manageable: an active membership and login, the
    admin role (their own, or through a team that grants it), and a password to sign in with
    (people an identity provider created have none here, so they don't count). The SCIM core's
    last-admin guard (scim.services) uses this too: the web UI must not leave the organization in
    a state the IdP is refused."""
    return (
        Membership.objects.filter(organization_id=organization_id, is_active=True, user__is_active=True)
        .filter(Q(role=Role.ADMIN) | _team_admin_exists())
        .exclude(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
    )


def is_sole_managing_admin(*, organization_id: int, membership_id: int) -> bool:
    """Whether membership `membership_id` is the only admin who keeps the organization
    manageable. One query."""
    pks = list(managing_admins(organization_id=organization_id).values_list("pk", flat=True)[:2])
    return pks == [membership_id]


# integrations.services.integration_default_name: "SCIM", "SCIM 2", "SCIM 3", …
_DEFAULT_INTEGRATION_NAME = re.compile(r"SCIM(?: [0-9]+)?", re.IGNORECASE)


def integration_badge(integration) -> str:
    """What a "Managed by" badge says for admins: "SCIM", or the integration's own name when it is
    a default one ("SCIM", "SCIM 2"), which would only repeat the badge."""
    if integration is not None and _DEFAULT_INTEGRATION_NAME.fullmatch(integration.name.strip()):
        return integration.name.strip()
    return "SCIM"


def integration_note(integration) -> str:
    """The integration's name beside the badge ("Okta production"), unless the badge says it."""
    if integration is None or _DEFAULT_INTEGRATION_NAME.fullmatch(integration.name.strip()):
        return ""
    return integration.name


@dataclass(frozen=True)
class Person:
    """One row of the Members page: a membership as the admin should see it."""

    membership: Membership
    name: str
    email: str
    is_admin: bool
    is_active: bool
    deactivated_at: datetime | None
    scim_user: object | None  # scim.models.ScimUser, when an IdP manages this person
    admin_team: str = ""  # a team granting "admin", when that is why the person is an admin

    @property
    def is_scim_managed(self) -> bool:
        """An integration manages this person: the one that last wrote them over SCIM (the SCIM
        service sets ScimUser.integration on every write). Deleting that integration leaves the
        person in place with no managing integration, until another integration writes them."""
        return (
            self.scim_user is not None
            and self.scim_user.deleted_at is None
            and self.scim_user.integration_id is not None
        )

    @property
    def is_scim_deleted(self) -> bool:
        """The IdP deleted this person (SCIM DELETE): hidden from SCIM, access ended, record kept.
        Only a new create (POST) of the same userName brings them back; nothing reactivates them."""
        return self.scim_user is not None and self.scim_user.deleted_at is not None

    @property
    def was_scim_managed(self) -> bool:
        """Provisioned over SCIM, but the integration that last wrote them is gone."""
        return (
            self.scim_user is not None
            and self.scim_user.deleted_at is None
            and self.scim_user.integration_id is None
        )

    @property
    def managing_integration(self):
        """The integration that manages (or, for a deleted person, deleted) them, if it exists."""
        return self.scim_user.integration if self.scim_user is not None else None

    @property
    def integration_badge(self) -> str:
        """What the admins' "Managed by" badge says: "SCIM", or the managing integration's own
        name when it is a default one ("SCIM", "SCIM 2"), which would only repeat the badge."""
        return integration_badge(self.managing_integration)

    @property
    def integration_note(self) -> str:
        """The managing integration's name beside the badge ("Okta production"), unless the badge
        already says it."""
        return integration_note(self.managing_integration)

    @property
    def ended_at(self) -> datetime | None:
        """When their access ended: the SCIM deletion, else the deactivation."""
        if self.is_scim_deleted:
            return self.scim_user.deleted_at
        return None if self.is_active else self.deactivated_at

    @property
    def status(self) -> str:
        """ "active", "deactivated" or "deleted" (by the IdP)."""
        if self.is_scim_deleted:
            return "deleted"
        return "active" if self.is_active else "deactivated"

    @property
    def own_role(self) -> str:
        """ "admin" or "member": the role given to the person directly, not through a team."""
        return self.membership.role

    @property
    def has_password(self) -> bool:
        """Whether the person has a password to sign in here with (people an identity provider
        created have none), so that as an admin they keep the organization manageable."""
        user = self.membership.user
        return user.is_active and user.has_usable_password()

    @property
    def role_label(self) -> str:
        return Role.ADMIN.label if self.is_admin else Role.MEMBER.label

    @property
    def role_reason(self) -> str:
        """Why the person has their role, in words for the members page."""
        if self.membership.role == Role.ADMIN:
            return "own role"
        if self.admin_team:
            return f"through team “{isolated(self.admin_team)}”"
        return ""


def _scim_user_of(membership: Membership):
    # Reverse one-to-one: loaded by select_related, so this never queries. Missing → no SCIM.
    try:
        return membership.scim_user
    except Membership.scim_user.RelatedObjectDoesNotExist:
        return None


def _scim_name(scim_user) -> str:
    if scim_user.display_name:
        return scim_user.display_name
    name = scim_user.attributes.get("name") or {}
    if isinstance(name, dict):
        if name.get("formatted"):
            return str(name["formatted"])
        joined = " ".join(str(p) for p in (name.get("givenName"), name.get("familyName")) if p)
        if joined:
            return joined
    return ""


def _scim_email(scim_user) -> str:
    emails = [e for e in (scim_user.attributes.get("emails") or []) if isinstance(e, dict) and e.get("value")]
    if not emails:
        return ""
    primary = next((e for e in emails if e.get("primary") is True), emails[0])
    return str(primary["value"])


def person_from_membership(membership: Membership) -> Person:
    """Name and email come from the SCIM resource when an IdP manages the person (the IdP is the
    source of truth for them), else from the login."""
    scim_user = _scim_user_of(membership)
    user = membership.user
    name = email = ""
    if scim_user is not None:
        name = _scim_name(scim_user)
        email = _scim_email(scim_user)
    name = (
        shown(name)
        or shown(user.full_name)
        or (shown(scim_user.user_name) if scim_user is not None else "")
        or user.email
        or ""
    )
    email = email or user.email or ""
    return Person(
        membership=membership,
        name=name,
        email=email,
        is_admin=membership.role == Role.ADMIN
        or bool(getattr(membership, "team_admin", False))
        or bool(getattr(membership, "admin_team", None)),
        admin_team=getattr(membership, "admin_team", None) or "",
        is_active=membership.is_active,
        deactivated_at=membership.deactivated_at,
        scim_user=scim_user,
    )


def _people_queryset(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user", "scim_user", "scim_user__integration")
        .annotate(admin_team=_admin_team_name())
    )


def person_list(*, organization: Organization) -> list[Person]:
    """Everyone in the organization, active people first, then by name. One query."""
    people = [person_from_membership(m) for m in _people_queryset(organization=organization)]
    people.sort(key=lambda p: (not p.is_active, p.name.casefold(), p.email.casefold()))
    return people


def admin_people(*, organization: Organization) -> list[Person]:
    """The organization's active admins (by their own role or through a team), with the SCIM
    resource that may manage each. One query, however large the organization."""
    memberships = (
        _people_queryset(organization=organization)
        .filter(is_active=True)
        .filter(Q(role=Role.ADMIN) | Q(admin_team__isnull=False))
    )
    return [person_from_membership(m) for m in memberships]


def person_get(*, organization: Organization, membership_id: int) -> tuple[Person, list[Team]] | None:
    """One person and their teams (with the IdP group behind each team, if any). Two queries."""
    membership = _people_queryset(organization=organization).filter(pk=membership_id).first()
    if membership is None:
        return None
    teams = list(
        Team.objects.filter(organization=organization, team_memberships__membership=membership)
        # When the IdP (or an admin) added them: the membership row the filter joined.
        .annotate(joined_at=F("team_memberships__created_at"))
        .select_related("scim_group")
        .order_by("name")
    )
    return person_from_membership(membership), teams


@dataclass(frozen=True)
class TeamRow:
    """One row of the Teams page: the team, its members as the Members page names them, and who
    manages it."""

    team: Team
    people: list[Person]

    @property
    def active_count(self) -> int:
        return sum(1 for person in self.people if person.is_active)

    @property
    def scim_group(self):
        try:
            return self.team.scim_group
        except Team.scim_group.RelatedObjectDoesNotExist:
            return None

    @property
    def integration(self):
        group = self.scim_group
        return group.integration if group is not None else None

    @property
    def integration_badge(self) -> str:
        return integration_badge(self.integration)

    @property
    def integration_note(self) -> str:
        return integration_note(self.integration)

    @property
    def is_orphaned(self) -> bool:
        """Pushed by an IdP whose integration has since been deleted: nothing updates the team
        until an IdP pushes a group of the same name (and takes it over), and only an admin
        can remove it."""
        group = self.scim_group
        return group is not None and group.integration_id is None


def team_list(*, organization: Organization) -> list[TeamRow]:
    """Teams with their members and the IdP group that manages each (if any). Two queries.

    Members are named like everywhere else (their SCIM name when an IdP manages them), so the
    prefetch carries each member's SCIM resource."""
    members = TeamMembership.objects.select_related(
        "membership__user", "membership__scim_user", "membership__scim_user__integration"
    )
    teams = (
        Team.objects.filter(organization=organization)
        .select_related("scim_group", "scim_group__integration")
        .prefetch_related(Prefetch("team_memberships", queryset=members, to_attr="member_rows"))
        .order_by("name")
    )
    rows = []
    for team in teams:
        people = [person_from_membership(row.membership) for row in team.member_rows]
        people.sort(key=lambda p: (not p.is_active, p.name.casefold(), p.email.casefold()))
        rows.append(TeamRow(team=team, people=people))
    return rows


def team_get_orphaned(*, organization: Organization, team_id: int) -> TeamRow | None:
    """A team of the organization whose pushing integration was deleted, or None. One query."""
    team = (
        Team.objects.filter(
            organization=organization,
            pk=team_id,
            scim_group__isnull=False,
            scim_group__integration__isnull=True,
        )
        .select_related("scim_group")
        .annotate(member_count=Count("team_memberships"))
        .first()
    )
    return TeamRow(team=team, people=[]) if team is not None else None


ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def idp_owned_fields(person: Person, *, identifiers: bool = False) -> list[tuple[str, str]]:
    """The profile fields the identity provider owns for a SCIM-managed person, as (label, value)
    for the person page, where they are shown read-only. Empty for a person managed by hand.
    The IdP's identifiers (userName, externalId) only with `identifiers` (for admins)."""
    scim_user = person.scim_user
    if scim_user is None:
        return []
    attributes = scim_user.attributes or {}
    enterprise = attributes.get(ENTERPRISE_URN) or {}
    fields = [
        ("Name", person.name),
        ("Email", person.email),
        ("userName", scim_user.user_name),
        ("externalId", scim_user.external_id or ""),
        ("Title", attributes.get("title") or ""),
        ("Department", enterprise.get("department") or "" if isinstance(enterprise, dict) else ""),
        # A DELETE is not `active: false`: say which one the IdP sent last.
        ("Active in the IdP", "Deleted" if scim_user.deleted_at else ("Yes" if scim_user.active else "No")),
    ]
    hidden = set() if identifiers else {"userName", "externalId"}
    return [(label, str(value)) for label, value in fields if label not in hidden]
