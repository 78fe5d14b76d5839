"""Integration pages, for the organization's admins only (organizations.access decides who).

The raw bearer token exists in clear only between the service that generates it and the one page
that shows it: the POST stashes it in the session, redirects, and the token page pops it. Reloading
that page (or coming back to it) finds nothing; the response is never cached.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.access import OrgAccess, org_member_required, render_org

from . import selectors, services
from .forms import ActivityFilterForm, IntegrationCreateForm, TokenRotateForm
from .models import Integration, IntegrationToken

_NEW_TOKEN_SESSION_KEY = "integrations.new_token.{public_id}"


def _stash_token(request: HttpRequest, integration: Integration, raw: str, reason: str) -> None:
    request.session[_NEW_TOKEN_SESSION_KEY.format(public_id=integration.public_id)] = {
        "token": raw,
        "reason": reason,
    }


def _pop_token(request: HttpRequest, integration: Integration) -> dict | None:
    return request.session.pop(_NEW_TOKEN_SESSION_KEY.format(public_id=integration.public_id), None)


def _integration_or_404(access: OrgAccess, public_id: str) -> Integration:
    integration = selectors.integration_get(organization=access.organization, public_id=public_id)
    if integration is None:
        raise Http404("No such integration.")
    return integration


@require_GET
@org_member_required(admin=True)
def integration_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    integrations = list(selectors.integration_list(organization=access.organization))
    for integration in integrations:
        integration.scim_url = selectors.scim_base_url(integration=integration, request=request)
    return render_org(
        request,
        access,
        "integrations/integration_list.html",
        {"integrations": integrations, "nav": "integrations"},
    )


@require_http_methods(["GET", "POST"])
@org_member_required(admin=True)
def integration_create(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    form = IntegrationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        integration, raw = services.integration_create(
            organization=access.organization,
            created_by=request.user,
            auth_type=form.cleaned_data["auth_type"],
        )
        _stash_token(request, integration, raw, reason="created")
        return redirect("integrations:token", slug=access.organization.slug, public_id=integration.public_id)
    return render_org(
        request, access, "integrations/integration_form.html", {"form": form, "nav": "integrations"}
    )


@never_cache
@require_GET
@org_member_required(admin=True)
def integration_token(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    stashed = _pop_token(request, integration)
    return render_org(
        request,
        access,
        "integrations/integration_token.html",
        {
            "integration": integration,
            "scim_url": selectors.scim_base_url(integration=integration, request=request),
            "token": stashed["token"] if stashed else None,
            "reason": stashed["reason"] if stashed else None,
            "nav": "integrations",
        },
    )


@never_cache
@require_GET
@org_member_required(admin=True)
def integration_detail(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    filter_form = ActivityFilterForm(request.GET)
    overview = selectors.integration_overview(
        organization=access.organization, public_id=public_id, filters=filter_form.filters()
    )
    if overview is None:
        raise Http404("No such integration.")
    return render_org(
        request,
        access,
        "integrations/integration_detail.html",
        {
            "overview": overview,
            "integration": overview.integration,
            "connection": overview.connection,
            "scim_url": selectors.scim_base_url(integration=overview.integration, request=request),
            "rotate_form": TokenRotateForm(),
            "filter_form": filter_form,
            "retention_days": settings.SCIM_ACTIVITY_RETENTION_DAYS,
            "nav": "integrations",
        },
    )


@never_cache
@require_GET
@org_member_required(admin=True)
def integration_connection(request: HttpRequest, access: OrgAccess, public_id: str) -> JsonResponse:
    """The connection state as JSON, polled by static/js/integration.js while the page waits for
    the IdP's first request: when `latest_request_id` changes, the page reloads itself."""
    found = selectors.integration_connection(organization=access.organization, public_id=public_id)
    if found is None:
        raise Http404("No such integration.")
    integration, connection = found
    return JsonResponse(
        {
            "waiting": connection.waiting,
            "latest_request_id": integration.latest_record_id,
            "last_request_at": connection.last_request_at.isoformat() if connection.last_request_at else None,
            "last_status": connection.last_status,
        }
    )


AUDIT_PAGE_SIZE = 50


@require_GET
@org_member_required(admin=True)
def audit_trail(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    """Every integration change in the organization, including those of deleted integrations."""
    paginator = Paginator(selectors.audit_events(organization=access.organization), AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render_org(
        request,
        access,
        "integrations/audit_trail.html",
        {"page": page, "events": page.object_list, "nav": "integrations"},
    )


@require_POST
@org_member_required(admin=True)
def token_rotate(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    form = TokenRotateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"The token was not rotated: {error}")
        return redirect("integrations:detail", slug=access.organization.slug, public_id=public_id)
    raw = services.token_rotate(integration=integration, actor=request.user, grace=form.grace)
    _stash_token(request, integration, raw, reason="rotated")
    return redirect("integrations:token", slug=access.organization.slug, public_id=public_id)


@require_POST
@org_member_required(admin=True)
def token_revoke(request: HttpRequest, access: OrgAccess, public_id: str, token_id: int) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    token = get_object_or_404(
        IntegrationToken.objects.select_related("integration__organization"),
        pk=token_id,
        integration=integration,
    )
    services.token_revoke(token=token, actor=request.user)
    messages.success(
        request, f"Token {token.prefix}… is revoked: requests that use it are refused from now on."
    )
    return redirect("integrations:detail", slug=access.organization.slug, public_id=public_id)


@require_POST
@org_member_required(admin=True)
def integration_set_enabled(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    enabled = request.POST.get("enabled") == "1"
    services.integration_set_enabled(integration=integration, enabled=enabled, actor=request.user)
    if enabled:
        messages.success(request, "The integration is enabled: your identity provider can connect again.")
    else:
        messages.success(
            request, "The integration is disabled: your identity provider's requests are refused."
        )
    return redirect("integrations:detail", slug=access.organization.slug, public_id=public_id)


@require_http_methods(["GET", "POST"])
@org_member_required(admin=True)
def integration_delete(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    if request.method == "POST":
        services.integration_delete(integration=integration, actor=request.user)
        messages.success(
            request,
            "The integration is deleted. The people and teams it provisioned stay in the organization.",
        )
        return redirect("integrations:list", slug=access.organization.slug)
    return render_org(
        request,
        access,
        "integrations/integration_confirm_delete.html",
        {"integration": integration, "nav": "integrations"},
    )
