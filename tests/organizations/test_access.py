"""One access rule for every organization page: active membership to enter, admin for admin pages,
404 (not 403) for anyone outside, so a page never confirms that an organization exists."""

import pytest
from django.urls import reverse
from django.utils import timezone

from organizations.models import Role, Team, TeamMembership
from tests.factories import AdminMembershipFactory, MembershipFactory

MEMBER_PAGES = ["organizations:members", "organizations:teams", "organizations:detail"]


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_anonymous_is_sent_to_login(client, org, name):
    response = client.get(reverse(name, args=[org.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["organizations:members", "organizations:teams"])
def test_member_sees_member_pages(member_client, org, name):
    assert member_client.get(reverse(name, args=[org.slug])).status_code == 200


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_admin_of_another_org_gets_404(other_admin_client, org, name):
    assert other_admin_client.get(reverse(name, args=[org.slug])).status_code == 404


def test_unknown_org_is_404_like_a_foreign_one(admin_client):
    assert admin_client.get(reverse("organizations:members", args=["nope"])).status_code == 404


def test_inactive_membership_is_404(client, org):
    membership = AdminMembershipFactory(organization=org, is_active=False, deactivated_at=timezone.now())
    client.force_login(membership.user)
    assert client.get(reverse("organizations:members", args=[org.slug])).status_code == 404


def test_deactivated_in_one_org_still_enters_the_other(client, org, other_org):
    membership = MembershipFactory(organization=org, is_active=False, deactivated_at=timezone.now())
    MembershipFactory(organization=other_org, user=membership.user)
    client.force_login(membership.user)
    assert client.get(reverse("organizations:members", args=[org.slug])).status_code == 404
    assert client.get(reverse("organizations:members", args=[other_org.slug])).status_code == 200


def test_person_page_of_another_org_is_404(admin_client, other_org):
    stranger = MembershipFactory(organization=other_org)
    url = reverse("organizations:member", args=["acme", stranger.pk])
    assert admin_client.get(url).status_code == 404


def test_team_granting_admin_makes_a_member_an_admin(client, org, member_membership):
    from organizations.access import resolve_access

    assert resolve_access(user=member_membership.user, slug=org.slug).is_admin is False
    team = Team.objects.create(organization=org, name="IT", granted_role=Role.ADMIN)
    TeamMembership.objects.create(team=team, membership=member_membership)
    assert resolve_access(user=member_membership.user, slug=org.slug).is_admin is True
    client.force_login(member_membership.user)
    assert client.get(reverse("integrations:list", args=[org.slug])).status_code == 200


def test_home_redirects_to_the_only_organization(member_client, org):
    response = member_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:members", args=[org.slug])


def test_home_lists_only_active_memberships(client, org, other_org):
    third = MembershipFactory(organization__name="Initech", organization__slug="initech").organization
    membership = MembershipFactory(organization=org)
    MembershipFactory(organization=other_org, user=membership.user)
    MembershipFactory(organization=third, user=membership.user, is_active=False)
    client.force_login(membership.user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Corp" in body and "Globex" in body
    assert "Initech" not in body


def test_home_without_organizations_says_what_to_do(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    body = client.get(reverse("home")).content.decode()
    assert "not in any organization" in body


def test_login_with_email_and_password(client, member_membership):
    from tests.organizations.conftest import PASSWORD

    response = client.post(reverse("login"), {"username": "MEMBER@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_page_renders_labelled_fields(client, db):
    body = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Email</label>' in body
    assert '<label for="id_password">Password</label>' in body


def test_wrong_password_is_refused(client, member_membership):
    response = client.post(reverse("login"), {"username": "member@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(admin_client):
    response = admin_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in admin_client.session
