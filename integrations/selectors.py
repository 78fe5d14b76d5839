"""Reads for the integration pages: the endpoint URL an admin copies, and what the IdP has been
doing. Every query starts from the organization; the detail page costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from organizations.models import Organization

from .models import AuditEvent, Integration, IntegrationToken

# Used when neither PUBLIC_BASE_URL nor a request says where we are (management commands):
# the address `manage.py runserver` listens on by default.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# The SCIM API is mounted at /scim/v2/<public_id>/ (massdriver_scim/urls.py + scim/urls.py).
SCIM_PATH = "/scim/v2/"
RECENT_REQUESTS = 50
RECENT_EVENTS = 20


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
class IntegrationOverview:
    integration: Integration
    tokens: list[TokenRow]
    user_count: int
    group_count: int
    recent_requests: list
    recent_error_count: int
    events: list[AuditEvent]

    @property
    def has_working_token(self) -> bool:
        return any(row.status != "revoked" for row in self.tokens)


def integration_overview(*, organization: Organization, public_id: str) -> IntegrationOverview | None:
    """Everything the integration page shows. Four queries, whatever the amount of activity."""
    from scim.models import RequestRecord

    integration = (
        Integration.objects.select_related("organization")
        .filter(organization=organization, public_id=public_id)
        .annotate(
            user_count=_count_subquery("scim.ScimUser", deleted_at__isnull=True),
            group_count=_count_subquery("scim.ScimGroup"),
        )
        .first()
    )
    if integration is None:
        return None
    tokens = token_rows(
        tokens=IntegrationToken.objects.filter(integration=integration).order_by("-created_at", "-id")
    )
    requests = list(
        RequestRecord.objects.filter(organization=organization, integration=integration).order_by(
            "-created_at", "-id"
        )[:RECENT_REQUESTS]
    )
    # The API records the full path; the admin reads it relative to the endpoint URL they pasted.
    prefix = f"{SCIM_PATH}{integration.public_id}"
    for record in requests:
        record.display_path = record.path.removeprefix(prefix) or "/"
    events = list(
        AuditEvent.objects.filter(organization=organization, integration=integration)
        .select_related("actor")
        .order_by("-created_at", "-id")[:RECENT_EVENTS]
    )
    return IntegrationOverview(
        integration=integration,
        tokens=tokens,
        user_count=integration.user_count,
        group_count=integration.group_count,
        recent_requests=requests,
        recent_error_count=sum(1 for r in requests if r.status >= 400),
        events=events,
    )
