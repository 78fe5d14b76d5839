"""What the Members, person and Teams pages show, and what they cost in queries."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from organizations import selectors
from organizations.models import Role, Team, TeamMembership
from tests.factories import MembershipFactory, make_integration, make_scim_group, make_scim_user


@pytest.fixture
def integration(org):
    return make_integration(org)[0]


def test_members_page_shows_name_email_status_role_and_scim(
    admin_client, org, integration, member_membership
):
    deactivated = MembershipFactory(
        organization=org,
        user__full_name="Dora Gone",
        user__email="dora@acme.test",
        is_active=False,
        deactivated_at=datetime(2026, 3, 4, tzinfo=UTC),
    )
    make_scim_user(
        integration,
        "sam@acme.test",
        display_name="",
        email="sam-login@acme.test",
        attributes={
            "name": {"givenName": "Sam", "familyName": "Scim"},
            "emails": [{"value": "other@acme.test"}, {"value": "sam@acme.test", "primary": True}],
        },
    )
    response = admin_client.get(reverse("organizations:members", args=[org.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Max Member" in body and "member@acme.test" in body
    assert "Ada Admin" in body and "Admin" in body
    assert "Dora Gone" in body and "Deactivated" in body and "Mar 4, 2026, 00:00 UTC" in body
    # Name and email come from the SCIM resource (the IdP is their source of truth).
    assert "Sam Scim" in body and "sam@acme.test" in body and "sam-login@acme.test" not in body
    assert "SCIM" in body
    assert deactivated.pk


def test_scim_name_prefers_display_name_then_formatted(org, integration):
    make_scim_user(
        integration, "a@x.test", display_name="Display Name", attributes={"name": {"formatted": "F"}}
    )
    make_scim_user(integration, "b@x.test", attributes={"name": {"formatted": "Formatted Name"}})
    make_scim_user(integration, "c@x.test", attributes={})
    names = {p.name for p in selectors.person_list(organization=org)}
    assert {"Display Name", "Formatted Name", "c@x.test"} <= names


def test_person_list_is_one_query_for_any_number_of_people(org, integration, django_assert_num_queries):
    for i in range(6):
        make_scim_user(
            integration, f"user{i}@acme.test", attributes={"emails": [{"value": f"user{i}@acme.test"}]}
        )
        MembershipFactory(organization=org)
    with django_assert_num_queries(1):
        people = selectors.person_list(organization=org)
        assert len(people) == 12
        assert sum(p.is_scim_managed for p in people) == 6


def _page_queries(client, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_members_page_query_count_does_not_grow_with_people(
    admin_client, org, integration, django_assert_max_num_queries
):
    url = reverse("organizations:members", args=[org.slug])
    make_scim_user(integration, "first@acme.test")
    few = _page_queries(admin_client, url, django_assert_max_num_queries)
    for i in range(10):
        make_scim_user(integration, f"more{i}@acme.test")
        MembershipFactory(organization=org)
    many = _page_queries(admin_client, url, django_assert_max_num_queries)
    assert few == many
    # session + user + access + the member list + the org switcher
    with django_assert_max_num_queries(5):
        admin_client.get(url)


def test_person_page_shows_teams_and_scim(admin_client, org, integration):
    scim_user = make_scim_user(integration, "pat@acme.test", display_name="Pat Person", external_id="ext-9")
    make_scim_group(integration, "Engineering", members=[scim_user])
    url = reverse("organizations:member", args=[org.slug, scim_user.membership_id])
    body = admin_client.get(url).content.decode()
    assert "Pat Person" in body and "Engineering" in body
    assert "Managed by SCIM" in body and "ext-9" in body


def test_person_page_for_a_member_hides_scim_identifiers(member_client, org, integration):
    scim_user = make_scim_user(integration, "pat@acme.test", display_name="Pat Person", external_id="ext-9")
    body = member_client.get(
        reverse("organizations:member", args=[org.slug, scim_user.membership_id])
    ).content.decode()
    assert "Managed by SCIM" in body and "ext-9" not in body


def test_person_page_of_unmanaged_person(admin_client, org, member_membership):
    body = admin_client.get(
        reverse("organizations:member", args=[org.slug, member_membership.pk])
    ).content.decode()
    assert "Managed manually" in body and "Not in any team" in body


def test_teams_page_shows_members_role_and_idp(admin_client, org, integration, member_membership):
    scim_user = make_scim_user(integration, "t@acme.test", display_name="Terry")
    make_scim_group(integration, "Admins", members=[scim_user])
    Team.objects.filter(name="Admins").update(granted_role=Role.ADMIN)
    manual = Team.objects.create(organization=org, name="Book club")
    TeamMembership.objects.create(team=manual, membership=member_membership)
    body = admin_client.get(reverse("organizations:teams", args=[org.slug])).content.decode()
    assert "Admins" in body and "Book club" in body
    assert "1 active" in body
    assert "SCIM" in body and "Manual" in body


def test_teams_page_query_count_is_constant(admin_client, org, integration, django_assert_max_num_queries):
    for i in range(5):
        users = [make_scim_user(integration, f"u{i}{j}@acme.test") for j in range(3)]
        make_scim_group(integration, f"Group {i}", members=users)
    # session + user + access + teams + their members + the org switcher
    with django_assert_max_num_queries(6):
        assert admin_client.get(reverse("organizations:teams", args=[org.slug])).status_code == 200


def test_empty_teams_page_says_what_to_do(admin_client, org):
    body = admin_client.get(reverse("organizations:teams", args=[org.slug])).content.decode()
    assert "No teams yet" in body and reverse("integrations:list", args=[org.slug]) in body


def test_member_does_not_see_the_integrations_nav(member_client, org):
    body = member_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    assert reverse("integrations:list", args=[org.slug]) not in body
