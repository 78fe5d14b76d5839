"""Who may enter an organization's pages: the one place that decides it.

- Anonymous → the login page.
- No ACTIVE membership in the organization (never a member, or access ended) → 404, so the page
  does not even confirm that the organization exists.
- An admin-only page and the person is a plain member → 403.

A person deactivated in one organization keeps every other organization: the check looks only
at the membership in the organization named by the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from . import selectors
from .models import Membership, Organization


@dataclass(frozen=True)
class OrgAccess:
    organization: Organization
    membership: Membership
    is_admin: bool


def resolve_access(*, user, slug: str) -> OrgAccess | None:
    membership = selectors.membership_for_access(user=user, slug=slug)
    if membership is None:
        return None
    return OrgAccess(
        organization=membership.organization,
        membership=membership,
        is_admin=selectors.membership_is_admin(membership=membership),
    )


def org_member_required(view: Callable | None = None, *, admin: bool = False) -> Callable:
    """Decorate a view taking `(request, access, ...)` whose URL has a `slug` argument.

    `admin=True` makes the page admin-only. The resolved OrgAccess is also left on
    `request.org_access` for templates and helpers.
    """

    def decorator(func: Callable) -> Callable:
        @login_required
        @wraps(func)
        def wrapped(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            access = resolve_access(user=request.user, slug=slug)
            if access is None:
                raise Http404("No such organization.")
            if admin and not access.is_admin:
                raise PermissionDenied("Only the organization's admins can open this page.")
            request.org_access = access
            return func(request, access, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator


def render_org(request: HttpRequest, access: OrgAccess, template: str, context: dict | None = None, **kwargs):
    """Render an organization page with what the layout needs (the org switcher, the nav)."""
    base = {
        "access": access,
        "organization": access.organization,
        "is_org_admin": access.is_admin,
        # Lazy: evaluated once, by the org switcher in the layout.
        "switcher_organizations": selectors.organization_list_for_user(user=request.user),
    }
    base.update(context or {})
    return render(request, template, base, **kwargs)


def post_only(page: Callable[..., str]) -> Callable:
    """A form's action, changed by POST only. A GET of it goes to the page the form is on,
    `page(**url_kwargs)`, instead of a bare 405: that GET is the browser following the login's
    `next` after the session expired between showing the form and clicking its button (or a
    bookmark, or a reload). Other methods are 405 as before."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                return redirect(page(**kwargs))
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
