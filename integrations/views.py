"""Integration pages, for the organization's admins only (organizations.access decides who).

The raw bearer token exists in clear only between the service that generates it and the one page
that shows it: the POST hands it to the admin's own browser in a short-lived, signed, HttpOnly
cookie scoped to the token page, redirects, and the token page reads and deletes the cookie. The
server never writes it anywhere (not even the session table). Reloading that page (or coming back
to it) finds nothing; the response is never cached.
"""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from organizations.access import OrgAccess, org_member_required, post_only, render_org
from organizations.models import Role
from organizations.text import isolated

from . import selectors, services
from .forms import ActivityFilterForm, IntegrationCreateForm, IntegrationRenameForm, TokenRotateForm
from .models import Integration, IntegrationToken

_NEW_TOKEN_COOKIE = "new_scim_token"
_NEW_TOKEN_SALT = "integrations.new-token"
_NEW_TOKEN_MAX_AGE = 300  # seconds between the POST and the page that shows the token

# The integration page's forms (rotate, revoke, enable/disable, rename, answers, group roles).
_on_integration_page = post_only(
    lambda slug, public_id, **_: reverse("integrations:detail", args=[slug, public_id])
)


def _token_redirect(
    request: HttpRequest, access: OrgAccess, integration: Integration, raw: str, reason: str
) -> HttpResponse:
    response = redirect("integrations:token", slug=access.organization.slug, public_id=integration.public_id)
    response.set_signed_cookie(
        _NEW_TOKEN_COOKIE,
        json.dumps({"token": raw, "reason": reason, "integration": integration.public_id}),
        salt=_NEW_TOKEN_SALT,
        max_age=_NEW_TOKEN_MAX_AGE,
        path=response.url,
        secure=request.is_secure(),
        httponly=True,
        samesite="Strict",
    )
    return response


def _pop_token(request: HttpRequest, integration: Integration) -> dict | None:
    """The token stashed for this integration's page, if any (each read is the last one: the page
    deletes the cookie)."""
    try:
        stashed = json.loads(
            request.get_signed_cookie(_NEW_TOKEN_COOKIE, salt=_NEW_TOKEN_SALT, max_age=_NEW_TOKEN_MAX_AGE)
        )
    except (KeyError, signing.BadSignature, ValueError):
        return None
    if stashed.get("integration") != integration.public_id:
        return None
    return stashed


def _gone_is_404(view):
    """An integration deleted while this request was on its way (another admin, another tab) is a
    404, like one that never existed (the services raise Integration.DoesNotExist)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Integration.DoesNotExist:
            raise Http404("No such integration.") from None

    return wrapper


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
    form = IntegrationCreateForm(request.POST or None, organization=access.organization)
    if request.method == "POST" and form.is_valid():
        integration, raw = services.integration_create(
            organization=access.organization,
            created_by=request.user,
            auth_type=form.cleaned_data["auth_type"],
            name=form.cleaned_data["name"],
        )
        return _token_redirect(request, access, integration, raw, reason="created")
    return render_org(
        request, access, "integrations/integration_form.html", {"form": form, "nav": "integrations"}
    )


@never_cache
@require_GET
@org_member_required(admin=True)
def integration_token(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    stashed = _pop_token(request, integration)
    response = render_org(
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
    if stashed is not None:
        response.delete_cookie(_NEW_TOKEN_COOKIE, path=request.path, samesite="Strict")
    return response


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
            "rename_form": IntegrationRenameForm(
                initial={"name": overview.integration.name},
                organization=access.organization,
                exclude_pk=overview.integration.pk,
            ),
            "filter_form": filter_form,
            "media_type_choices": Integration.ResponseMediaType.choices,
            "groups": selectors.integration_groups(integration=overview.integration),
            "managed_admins": selectors.integration_managed_admins(
                integration=overview.integration, viewer_membership_id=access.membership.pk
            ),
            "role_choices": [("", "No role"), *Role.choices],
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


@_on_integration_page
@org_member_required(admin=True)
@_gone_is_404
def token_rotate(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    form = TokenRotateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"The token was not rotated: {error}")
        return redirect("integrations:detail", slug=access.organization.slug, public_id=public_id)
    raw = services.token_rotate(integration=integration, actor=request.user, grace=form.grace)
    return _token_redirect(request, access, integration, raw, reason="rotated")


@_on_integration_page
@org_member_required(admin=True)
@_gone_is_404
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


@_on_integration_page
@org_member_required(admin=True)
@_gone_is_404
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
@_gone_is_404
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


@_on_integration_page
@org_member_required(admin=True)
@_gone_is_404
def integration_rename(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    form = IntegrationRenameForm(request.POST, organization=access.organization, exclude_pk=integration.pk)
    if form.is_valid():
        services.integration_rename(
            integration=integration, name=form.cleaned_data["name"], actor=request.user
        )
        messages.success(request, f"Renamed to “{form.cleaned_data['name']}”.", extra_tags="at-settings")
    else:
        for error in form.errors.get("name", []):
            messages.error(request, f"Not renamed: {error}", extra_tags="at-settings")
    return redirect(_detail_url(access, integration, anchor="settings-h"))


@_on_integration_page
@org_member_required(admin=True)
@_gone_is_404
def integration_answers(request: HttpRequest, access: OrgAccess, public_id: str) -> HttpResponse:
    integration = _integration_or_404(access, public_id)
    try:
        services.integration_set_response_media_type(
            integration=integration,
            media_type=request.POST.get("response_media_type", ""),
            actor=request.user,
        )
    except ValueError:
        messages.error(request, "Not saved: choose one of the listed media types.", extra_tags="at-settings")
    else:
        messages.success(
            request,
            f"Saved. Answers are sent as {integration.response_media_type} unless the identity provider asks "
            "for another type.",
            extra_tags="at-settings",
        )
    return redirect(_detail_url(access, integration, anchor="settings-h"))


def _detail_url(access: OrgAccess, integration: Integration, *, anchor: str) -> str:
    return (
        f"{reverse('integrations:detail', args=[access.organization.slug, integration.public_id])}#{anchor}"
    )


@_on_integration_page
@org_member_required(admin=True)
@_gone_is_404
def group_role(request: HttpRequest, access: OrgAccess, public_id: str, team_id: int) -> HttpResponse:
    """Map an IdP group to a role in the organization (or remove the mapping). The confirmation
    is shown in the Groups and roles card itself, where the page scrolls back to: at the top of
    the page it was off-screen."""
    integration = _integration_or_404(access, public_id)
    role = request.POST.get("role", "")
    try:
        team = services.group_role_set(
            integration=integration, team_id=team_id, role=role, actor=request.user
        )
    except LookupError:
        raise Http404("No such group.") from None
    except ValueError as error:
        messages.error(request, str(error), extra_tags="at-groups")
    else:
        if team.granted_role:
            label = Role(team.granted_role).label.lower()
            text = f"Saved: members of “{isolated(team.name)}” are {label}s for as long as they are in the group."
        else:
            text = f"Saved: “{isolated(team.name)}” no longer grants a role."
        messages.success(request, text, extra_tags="at-groups")
    return redirect(_detail_url(access, integration, anchor="groups-h"))
