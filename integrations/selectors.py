"""Reads for the integration pages: the endpoint URL an admin copies, and what the IdP has been
doing. Every query starts from the organization; the detail page costs a fixed number of queries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote, unquote_plus

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.http import HttpRequest
from django.utils import timezone

from organizations.models import Organization
from organizations.text import with_visible_controls

from . import explanations
from .models import AuditEvent, Integration, IntegrationToken

# Used when neither PUBLIC_BASE_URL nor a request says where we are (management commands):
# the address `manage.py runserver` listens on by default.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# The SCIM API is mounted at /scim/v2/<public_id>/ (massdriver_scim/urls.py + scim/urls.py).
SCIM_PATH = "/scim/v2/"
RECENT_REQUESTS = 50
RECENT_EVENTS = 20
PERSON_REQUESTS = 50
_SCIM_PREFIX = re.compile(r"^/scim/v2/[0-9a-fA-F]{32}")


def scim_base_url(
    *, integration: Integration, request: HttpRequest | None = None, base_url: str | None = None
) -> str:
    """The SCIM base URL the IdP is given, without a trailing slash (IdPs append "/Users").

    An explicit `base_url` wins, then settings.PUBLIC_BASE_URL (the address the IdP can reach,
    which behind a proxy may differ from what the request says), then the request's own host.
    """
    base = (base_url or settings.PUBLIC_BASE_URL or "").rstrip("/")
    if not base:
        base = request.build_absolute_uri("/").rstrip("/") if request is not None else DEFAULT_BASE_URL
    return f"{base}{SCIM_PATH}{integration.public_id}"


def _count_subquery(model_path: str, **filters) -> Coalesce:
    from django.apps import apps

    model = apps.get_model(model_path)
    counted = (
        model.objects.filter(integration=OuterRef("pk"), **filters)
        .order_by()
        .values("integration")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def integration_list(*, organization: Organization) -> QuerySet[Integration]:
    """The organization's integrations with how many users and groups each manages. One query."""
    return (
        Integration.objects.filter(organization=organization)
        .annotate(
            user_count=_count_subquery("scim.ScimUser", deleted_at__isnull=True),
            group_count=_count_subquery("scim.ScimGroup"),
        )
        .order_by("-created_at")
    )


def integration_get(*, organization: Organization, public_id: str) -> Integration | None:
    return (
        Integration.objects.select_related("organization")
        .filter(organization=organization, public_id=public_id)
        .first()
    )


@dataclass(frozen=True)
class TokenRow:
    token: IntegrationToken
    status: str  # "active", "expiring" (grace period after a rotation) or "revoked"

    @property
    def status_label(self) -> str:
        return {"active": "Active", "expiring": "Expiring", "revoked": "Revoked"}[self.status]


def token_rows(*, tokens, now: datetime | None = None) -> list[TokenRow]:
    now = now or timezone.now()
    rows = []
    for token in tokens:
        if token.revoked_at is None:
            status = "active"
        elif token.revoked_at > now:
            status = "expiring"
        else:
            status = "revoked"
        rows.append(TokenRow(token=token, status=status))
    return rows


@dataclass(frozen=True)
class ActivityFilters:
    """What the admin narrowed the activity list to. Empty values mean "everything"."""

    errors_only: bool = False
    resource_type: str = ""  # "User" or "Group"
    person: str = ""  # a userName, or a SCIM resource id

    @property
    def active(self) -> bool:
        return self.errors_only or bool(self.resource_type) or bool(self.person)


@dataclass(frozen=True)
class ActivityRow:
    record: object  # scim.models.RequestRecord
    display_path: str
    explanation: explanations.Explanation | None

    @property
    def refused(self) -> bool:
        return explanations.auth_failure(self.record.outcome) is not None


def _display_path(path: str) -> str:
    # The API records the full path; the admin reads it relative to the endpoint URL they pasted.
    # Decoded, so a filter reads as the IdP wrote it: userName eq "a@b.c", not %22a%40b.c%22.
    # In the query string a "+" is a space (Okta sends filter=userName+eq+...); in the path it is
    # a plus. Invisible characters are spelled out (<U+202E>): the path is what the client sent.
    path, mark, query = _SCIM_PREFIX.sub("", path, count=1).partition("?")
    return with_visible_controls(unquote(path) + mark + unquote_plus(query)) or "/"


def _person_q(*, organization: Organization, person: str) -> Q:
    """Requests about one person: by the resource id, or by a userName (what they are called now,
    or what a failed request called them)."""
    from scim.models import ScimUser

    ids = ScimUser.objects.filter(organization=organization, user_name__iexact=person).values("scim_id")
    return Q(resource_id=person) | Q(resource_name__iexact=person) | Q(resource_id__in=ids)


def _holders(*, organization: Organization, user_names: set[str]) -> dict[str, explanations.Holder]:
    """Who holds each contested userName in the organization, keyed by the lower-cased name. One
    query for a whole page of conflicts."""
    from organizations.selectors import person_from_membership
    from scim.models import ScimUser

    if not user_names:
        return {}
    users = (
        ScimUser.objects.filter(organization=organization, deleted_at__isnull=True)
        .annotate(lowered=Lower("user_name"))
        .filter(lowered__in=sorted(user_names))
        .select_related("membership__user", "integration")
    )
    holders = {}
    for scim_user in users:
        membership = scim_user.membership
        membership.scim_user = scim_user  # the reverse side, already in hand
        person = person_from_membership(membership)
        holders[scim_user.lowered] = explanations.Holder(
            name=person.name,
            email=person.email,
            user_name=scim_user.user_name,
            is_active=membership.is_active and scim_user.active,
            is_scim_managed=scim_user.integration_id is not None,
            integration_name=scim_user.integration.name if scim_user.integration else "",
            membership_id=membership.pk,
        )
    return holders


def activity_rows(*, organization: Organization, records) -> list[ActivityRow]:
    """Records with their display path and, for failures, what they mean. At most one query (the
    holders of contested userNames), whatever the number of records."""
    records = list(records)
    contested = {
        name.lower()
        for r in records
        if (
            name := explanations.contested_user_name(status=r.status, scim_type=r.scim_type, detail=r.outcome)
        )
    }
    holders = _holders(organization=organization, user_names=contested)
    rows = []
    for record in records:
        holder = None
        if record.status == 409:
            name = explanations.contested_user_name(
                status=record.status, scim_type=record.scim_type, detail=record.outcome
            )
            holder = holders.get(name.lower()) if name else None
        display_path = _display_path(record.path)
        explanation = explanations.explain(
            status=record.status,
            scim_type=record.scim_type,
            detail=record.outcome,
            holder=holder,
            method=record.method,
            path=display_path,
        )
        rows.append(ActivityRow(record=record, display_path=display_path, explanation=explanation))
    return rows


def request_activity(
    *,
    organization: Organization,
    integration: Integration | None = None,
    filters: ActivityFilters = ActivityFilters(),  # noqa: B008 (frozen, so sharing it is safe)
    limit: int = RECENT_REQUESTS,
) -> list[ActivityRow]:
    """The latest recorded requests, newest first, narrowed by `filters`. One query, plus one
    when some of them are userName conflicts."""
    from scim.models import RequestRecord

    records = RequestRecord.objects.filter(organization=organization)
    if integration is not None:
        records = records.filter(integration=integration)
    if filters.errors_only:
        records = records.filter(status__gte=400)
    if filters.resource_type:
        records = records.filter(resource_type=filters.resource_type)
    if filters.person:
        records = records.filter(_person_q(organization=organization, person=filters.person))
    records = records.order_by("-created_at", "-id")[:limit]
    return activity_rows(organization=organization, records=records)


def person_activity(*, organization: Organization, scim_user) -> list[ActivityRow]:
    """What the IdP did to one person, newest first: every request about their resource, and
    failed attempts that named their userName."""
    from scim.models import RequestRecord

    records = (
        RequestRecord.objects.filter(organization=organization, resource_type="User")
        .filter(
            Q(resource_id=scim_user.scim_id) | Q(resource_id="", resource_name__iexact=scim_user.user_name)
        )
        .select_related("integration")
        .order_by("-created_at", "-id")[:PERSON_REQUESTS]
    )
    return activity_rows(organization=organization, records=records)


@dataclass(frozen=True)
class Connection:
    """Whether the IdP has reached the integration, and how that went."""

    last_request_at: datetime | None  # the latest recorded request, refused or not
    last_status: int | None
    last_outcome: str
    last_refused_at: datetime | None
    last_refused_outcome: str

    @property
    def waiting(self) -> bool:
        return self.last_request_at is None

    @property
    def last_refused_sentence(self) -> str:
        return explanations.refusal_sentence(self.last_refused_outcome)

    @property
    def last_refused_reason(self) -> str:
        return explanations.refusal_reason(self.last_refused_outcome) or "refused"

    @property
    def last_refused_explanation(self) -> explanations.Explanation | None:
        reason = explanations.auth_failure(self.last_refused_outcome)
        return explanations.explain(status=401, detail=self.last_refused_outcome) if reason else None

    @property
    def refused_since_last_success(self) -> bool:
        """The most recent thing that happened is a refusal: the IdP is knocking with a bad key."""
        return self.last_refused_at is not None and self.last_refused_at >= self.last_request_at


def _with_connection(queryset: QuerySet[Integration]) -> QuerySet[Integration]:
    from scim.models import RequestRecord

    latest = RequestRecord.objects.filter(integration=OuterRef("pk")).order_by("-created_at", "-id")
    refused = latest.filter(outcome__startswith="Refused")
    return queryset.annotate(
        latest_request_at=Subquery(latest.values("created_at")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
        latest_outcome=Subquery(latest.values("outcome")[:1]),
        latest_record_id=Subquery(latest.values("id")[:1]),
        latest_refused_at=Subquery(refused.values("created_at")[:1]),
        latest_refused_outcome=Subquery(refused.values("outcome")[:1]),
    )


def _connection_of(integration: Integration) -> Connection:
    return Connection(
        # Activity is pruned after SCIM_ACTIVITY_RETENTION_DAYS; the integration remembers its last
        # successful request for longer, so a quiet integration never looks brand new again.
        last_request_at=integration.latest_request_at or integration.last_request_at,
        last_status=integration.latest_status,
        last_outcome=integration.latest_outcome or "",
        last_refused_at=integration.latest_refused_at,
        last_refused_outcome=integration.latest_refused_outcome or "",
    )


@dataclass(frozen=True)
class IntegrationOverview:
    integration: Integration
    connection: Connection
    tokens: list[TokenRow]
    user_count: int
    group_count: int
    failed_last_day: int
    requests: list[ActivityRow]
    filters: ActivityFilters
    events: list[AuditEvent]

    @property
    def has_working_token(self) -> bool:
        return any(row.status != "revoked" for row in self.tokens)

    @property
    def expiring_tokens(self) -> list[TokenRow]:
        return [row for row in self.tokens if row.status == "expiring"]

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.requests if row.record.status >= 400)

    # Older templates and tests read the records directly.
    @property
    def recent_requests(self) -> list:
        return [row.record for row in self.requests]


def integration_overview(
    *,
    organization: Organization,
    public_id: str,
    filters: ActivityFilters = ActivityFilters(),  # noqa: B008 (frozen, so sharing it is safe)
) -> IntegrationOverview | None:
    """Everything the integration page shows. Four queries (five when the requests shown include
    userName conflicts), whatever the amount of activity."""
    integration = (
        _with_connection(Integration.objects.select_related("organization"))
        .filter(organization=organization, public_id=public_id)
        .annotate(
            user_count=_count_subquery("scim.ScimUser", deleted_at__isnull=True),
            group_count=_count_subquery("scim.ScimGroup"),
            failed_last_day=_count_subquery(
                "scim.RequestRecord", status__gte=400, created_at__gte=timezone.now() - timedelta(days=1)
            ),
        )
        .first()
    )
    if integration is None:
        return None
    tokens = token_rows(
        tokens=IntegrationToken.objects.filter(integration=integration).order_by("-created_at", "-id")
    )
    requests = request_activity(organization=organization, integration=integration, filters=filters)
    events = list(
        AuditEvent.objects.filter(organization=organization, integration=integration)
        .select_related("actor")
        .order_by("-created_at", "-id")[:RECENT_EVENTS]
    )
    return IntegrationOverview(
        integration=integration,
        connection=_connection_of(integration),
        tokens=tokens,
        user_count=integration.user_count,
        group_count=integration.group_count,
        failed_last_day=integration.failed_last_day,
        requests=requests,
        filters=filters,
        events=events,
    )


def integration_connection(
    *, organization: Organization, public_id: str
) -> tuple[Integration, Connection] | None:
    """The connection state alone, for the page's polling while it waits. One query."""
    integration = (
        _with_connection(Integration.objects.all())
        .filter(organization=organization, public_id=public_id)
        .first()
    )
    if integration is None:
        return None
    return integration, _connection_of(integration)


def audit_events(*, organization: Organization) -> QuerySet[AuditEvent]:
    """The organization's audit trail, newest first, including events of deleted integrations."""
    return (
        AuditEvent.objects.filter(organization=organization)
        .select_related("actor", "integration")
        .order_by("-created_at", "-id")
    )


GROUPS_SHOWN = 200


def integration_groups(*, integration: Integration) -> list:
    """The organization's IdP-pushed groups (as teams) with their member counts, the role each
    grants and the integration that pushed it, for the role mapping on the integration page.
    Roles are the organization's, so a group another integration pushed is mapped here too; the
    page names that integration. One query."""
    from organizations.models import Team

    return list(
        Team.objects.filter(organization_id=integration.organization_id, scim_group__isnull=False)
        .select_related("scim_group__integration")
        .annotate(member_count=Count("team_memberships"))
        .order_by(Lower("name"))[:GROUPS_SHOWN]
    )


@dataclass(frozen=True)
class ManagedAdmins:
    """The organization's admins whom this integration manages: its IdP can end their access
    (unassigning someone deactivates them), including the access of the admin reading the page.
    An admin's own account used to test the IdP ends up here, since a create for an existing
    member's email links to that member."""

    people: list  # organizations.selectors.Person
    admin_count: int
    includes_viewer: bool

    @property
    def all_admins(self) -> bool:
        return bool(self.people) and len(self.people) == self.admin_count


def integration_managed_admins(*, integration: Integration, viewer_membership_id: int) -> ManagedAdmins:
    """Which admins of the organization this integration manages. One query."""
    from organizations.selectors import admin_people

    admins = admin_people(organization=integration.organization)
    managed = [
        person
        for person in admins
        if person.is_scim_managed and person.scim_user.integration_id == integration.pk
    ]
    managed.sort(key=lambda p: p.name.casefold())
    return ManagedAdmins(
        people=managed,
        admin_count=len(admins),
        includes_viewer=any(p.membership.pk == viewer_membership_id for p in managed),
    )
