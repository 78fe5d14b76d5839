"""Organization pages. Thin: resolve access (organizations.access), call a selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from integrations import selectors as integration_selectors

from . import selectors, services
from .access import OrgAccess, org_member_required, post_only, render_org
from .forms import GuardedPasswordChangeForm
from .models import Role
from .text import isolated


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST (the top bar's button). A GET (a bookmark, a typed URL) goes home,
    which is the login page once logged out, instead of a bare 405."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return redirect("home")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change your own password (org_admin prints a random one and says to change it). Django's
    view in the site's layout; its own template names are left to Django admin's password page.
    Django keeps the session valid after the change (update_session_auth_hash)."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")
    form_class = GuardedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed. Use the new one the next time you log in.")
        return response


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages without an icon link (JSON, Django's own
    pages): the static file, under its hashed name in production."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    organizations = list(selectors.organization_list_for_user(user=request.user))
    if len(organizations) == 1:
        return redirect("organizations:members", slug=organizations[0].slug)
    return render(request, "organizations/home.html", {"organizations": organizations})


@org_member_required
def organization_home(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    return redirect("organizations:members", slug=access.organization.slug)


@org_member_required
def member_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    people = selectors.person_list(organization=access.organization)
    return render_org(
        request,
        access,
        "organizations/member_list.html",
        {
            "people": people,
            "active_count": sum(1 for p in people if p.is_active),
            "managed_count": sum(1 for p in people if p.is_scim_managed),
            "nav": "members",
        },
    )


@org_member_required
def member_detail(request: HttpRequest, access: OrgAccess, membership_id: int) -> HttpResponse:
    found = selectors.person_get(organization=access.organization, membership_id=membership_id)
    if found is None:
        raise Http404("No such person in this organization.")
    person, teams = found
    # What the IdP did to this person: admins only, and kept even after deactivation or deletion.
    activity = []
    if access.is_admin and person.scim_user is not None:
        activity = integration_selectors.person_activity(
            organization=access.organization, scim_user=person.scim_user
        )
    return render_org(
        request,
        access,
        "organizations/member_detail.html",
        {
            "person": person,
            "teams": teams,
            "owned_fields": selectors.idp_owned_fields(person, identifiers=access.is_admin),
            "activity": activity,
            # The role card (admins only): whether giving up the admin role is refused.
            "sole_admin": access.is_admin
            and person.own_role == Role.ADMIN
            and not person.admin_team
            and selectors.is_sole_managing_admin(
                organization_id=access.organization.pk, membership_id=person.membership.pk
            ),
            "is_you": person.membership.pk == access.membership.pk,
            "nav": "members",
        },
    )


@post_only(lambda slug, membership_id: reverse("organizations:member", args=[slug, membership_id]))
@org_member_required(admin=True)
def member_role(request: HttpRequest, access: OrgAccess, membership_id: int) -> HttpResponse:
    """Give a person their own role, Member or Admin (the person page's Role card, confirmed in
    the browser). The outcome is shown in that card, where the page scrolls back to."""
    try:
        change = services.membership_role_set(
            organization=access.organization,
            membership_id=membership_id,
            role=request.POST.get("role", ""),
            actor=request.user,
        )
    except LookupError:
        raise Http404("No such person in this organization.") from None
    except services.RoleRefused as refused:
        messages.error(request, str(refused), extra_tags="at-role")
    else:
        # Having given up your own admin role, you no longer see the Role card: the confirmation
        # goes to the top of the page.
        gave_up = (
            membership_id == access.membership.pk and change.role == Role.MEMBER and not change.admin_team
        )
        place = "" if gave_up else "at-role"
        messages.success(request, _role_message(change, access, membership_id), extra_tags=place)
        if gave_up:
            return redirect(
                "organizations:member", slug=access.organization.slug, membership_id=membership_id
            )
    url = reverse("organizations:member", args=[access.organization.slug, membership_id])
    return redirect(f"{url}#role-h")


def _role_message(change: services.RoleChange, access: OrgAccess, membership_id: int) -> str:
    name = access.organization.name
    you = membership_id == access.membership.pk
    if change.role == Role.ADMIN:
        subject = "You are" if you else f"{change.name} is"
        return f"Saved: {subject} an admin of {name}." if change.changed else f"{subject} already an admin."
    if change.admin_team:
        return (
            f"Saved: {change.name}'s own role is Member; the team “{isolated(change.admin_team)}” still makes "
            "them an admin."
        )
    if you:
        return f"Saved: you are a member of {name} now, no longer an admin."
    if not change.changed:
        return f"{change.name} is already a member."
    return f"Saved: {change.name} is a member of {name}, no longer an admin."


@org_member_required
def team_list(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    rows = selectors.team_list(organization=access.organization)
    return render_org(
        request,
        access,
        "organizations/team_list.html",
        {"rows": rows, "orphaned_count": sum(1 for row in rows if row.is_orphaned), "nav": "teams"},
    )


@require_http_methods(["GET", "POST"])
@org_member_required(admin=True)
def orphaned_team_delete(request: HttpRequest, access: OrgAccess, team_id: int) -> HttpResponse:
    """Confirm, then delete a team whose integration was deleted (no IdP can remove it any more)."""
    if request.method == "POST":
        try:
            name = services.orphaned_team_delete(
                organization=access.organization, team_id=team_id, actor=request.user
            )
        except LookupError:
            raise Http404("No such team.") from None
        except services.RoleRefused as refused:
            messages.error(request, str(refused))
            return redirect("organizations:teams", slug=access.organization.slug)
        messages.success(
            request, f"Team “{isolated(name)}” is deleted. Its members stay in the organization."
        )
        return redirect("organizations:teams", slug=access.organization.slug)
    row = selectors.team_get_orphaned(organization=access.organization, team_id=team_id)
    if row is None:
        raise Http404("No such team.")
    return render_org(
        request,
        access,
        "organizations/team_confirm_delete.html",
        {"row": row, "team": row.team, "nav": "teams"},
    )
