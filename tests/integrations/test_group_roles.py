"""Mapping an IdP group to an organization role on the integration page (issue 3)."""

import pytest
from django.urls import reverse

from integrations.models import AuditEvent
from organizations.access import resolve_access
from organizations.models import Team, User
from tests.factories import make_integration, make_scim_group, make_scim_user


@pytest.fixture
def setup(admin_client, org):
    integration, _ = make_integration(org)
    person = make_scim_user(integration, "ops@acme.test", email="ops@acme.test", display_name="Ops Person")
    group = make_scim_group(integration, "Platform admins", members=[person])
    return integration, person, group


def role_url(org, integration, group):
    return reverse("integrations:group-role", args=[org.slug, integration.public_id, group.team_id])


def test_the_integration_page_lists_groups_with_their_role(admin_client, org, setup):
    integration, _, group = setup
    page = admin_client.get(
        reverse("integrations:detail", args=[org.slug, integration.public_id])
    ).content.decode()
    assert "Groups and roles" in page and "Platform admins" in page


def test_mapping_a_group_to_admin_makes_its_members_admins_while_they_are_in_it(admin_client, org, setup):
    integration, person, group = setup
    user = User.objects.get(email="ops@acme.test")
    assert not resolve_access(user=user, slug=org.slug).is_admin
    response = admin_client.post(role_url(org, integration, group), {"role": "admin"})
    assert response.status_code == 302
    assert Team.objects.get(pk=group.team_id).granted_role == "admin"
    assert resolve_access(user=user, slug=org.slug).is_admin
    assert AuditEvent.objects.filter(action="group.role", integration=integration).exists()
    members = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    assert "through team “Platform admins”" in members
    # leaving the group ends the role at once
    group.team.team_memberships.all().delete()
    assert not resolve_access(user=user, slug=org.slug).is_admin


def test_a_member_cannot_map_roles(client, org, setup, member_membership):
    integration, _, group = setup
    client.force_login(member_membership.user)
    assert client.post(role_url(org, integration, group), {"role": "admin"}).status_code == 403
    assert Team.objects.get(pk=group.team_id).granted_role == ""


def test_another_organizations_group_is_not_found(admin_client, org, setup):
    integration, _, _ = setup
    other_integration, _ = make_integration()
    foreign = make_scim_group(other_integration, "Foreign")
    url = reverse("integrations:group-role", args=[org.slug, integration.public_id, foreign.team_id])
    assert admin_client.post(url, {"role": "admin"}).status_code == 404
    assert Team.objects.get(pk=foreign.team_id).granted_role == ""


def test_the_confirmation_is_shown_in_the_groups_card_where_the_page_lands(admin_client, org, setup):
    integration, _, group = setup
    response = admin_client.post(role_url(org, integration, group), {"role": "admin"})
    assert response["Location"].endswith("#groups-h")
    page = admin_client.get(response["Location"]).content.decode()
    card = page[page.index('id="groups-h"') : page.index("</section>", page.index('id="groups-h"'))]
    assert "Saved: members of “Platform admins” are admins for as long as they are in the group." in card
    # Not a second time at the top of the page, off-screen from where the page scrolls to.
    assert "Saved:" not in page[: page.index('id="groups-h"')]
    again = admin_client.get(response["Location"]).content.decode()
    assert "Saved:" not in again  # shown once


def test_removing_the_role_is_confirmed_in_the_card(admin_client, org, setup):
    integration, _, group = setup
    admin_client.post(role_url(org, integration, group), {"role": "admin"})
    admin_client.get(reverse("integrations:detail", args=[org.slug, integration.public_id]))
    page = admin_client.post(role_url(org, integration, group), {"role": ""}, follow=True).content.decode()
    assert "Saved: “Platform admins” no longer grants a role." in page


def test_a_group_that_is_how_the_last_admin_holds_their_role_keeps_it(
    admin_client, org, admin_membership, setup
):
    # Found by an adversarial run: taking Admin off the group left the organization with nobody
    # able to manage it, the one state the Members page and the IdP are both refused.
    from organizations.models import Role, TeamMembership

    integration, _, group = setup
    admin_client.post(role_url(org, integration, group), {"role": "admin"})
    TeamMembership.objects.create(team_id=group.team_id, membership=admin_membership)
    admin_membership.role = Role.MEMBER  # an admin only through the group now
    admin_membership.save()
    page = admin_client.post(
        role_url(org, integration, group), {"role": "member"}, follow=True
    ).content.decode()
    assert (
        "Not saved: group “Platform admins” is how the organization's last active admin who can sign in "
        "holds their role" in page.replace("&#x27;", "'")
    )
    assert Team.objects.get(pk=group.team_id).granted_role == "admin"
    assert resolve_access(user=admin_membership.user, slug=org.slug).is_admin
    assert not AuditEvent.objects.filter(action="group.role", summary__contains="no longer").exists()


def test_a_group_another_integration_pushed_is_listed_with_its_integration(
    admin_client, org, setup, django_assert_max_num_queries
):
    # Found by a new user: the card listed "Engineering", pushed by the organization's other
    # integration, as if this IdP had pushed it. Roles are the organization's, so it stays
    # mappable here, named with the integration that manages it.
    integration, person, _ = setup
    other, _ = make_integration(org, name="Okta production")
    for i in range(5):
        make_scim_group(other, f"Engineering {i}", members=[])
    url = reverse("integrations:detail", args=[org.slug, integration.public_id])
    with django_assert_max_num_queries(10):
        page = admin_client.get(url).content.decode()
    assert page.count("pushed by Okta production") == 5
    own = page.split("Platform admins", 1)[1].split("</td>", 1)[0]
    assert "pushed by" not in own
