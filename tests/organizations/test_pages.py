"""What the Members, person and Teams pages show, and what they cost in queries."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
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
    body = response.content.decode().replace("<wbr>", "")  # emails wrap between their parts
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


def test_person_page_says_since_when_they_are_in_each_team(admin_client, org, integration):
    scim_user = make_scim_user(integration, "pat@acme.test")
    group = make_scim_group(integration, "Engineering", members=[scim_user])
    TeamMembership.objects.filter(team=group.team).update(created_at=datetime(2026, 3, 9, 14, 5, tzinfo=UTC))
    body = admin_client.get(
        reverse("organizations:member", args=[org.slug, scim_user.membership_id])
    ).content.decode()
    assert 'since <time datetime="2026-03-09T14:05:00+00:00">Mar 9, 2026, 14:05 UTC</time>' in body
    # Where the request that added them is: the group's, in the integration's activity.
    assert "the integration's activity lists it under Groups" in body


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


def test_teams_page_says_which_integration_manages_a_team_once(admin_client, org):
    # Found by a new user: a default-named integration read "SCIM SCIM" (the badge, then its name).
    default, _ = make_integration(org)  # named "SCIM"
    okta, _ = make_integration(org, name="Okta production")
    make_scim_group(default, "Engineering")
    make_scim_group(okta, "Sales")
    body = admin_client.get(reverse("organizations:teams", args=[org.slug])).content.decode()
    engineering = body[body.index("<strong>Engineering</strong>") :].split("</tr>")[0]
    sales = body[body.index("<strong>Sales</strong>") :].split("</tr>")[0]

    def managed_by(row):
        cell = row.split('data-label="Managed by">')[1].split("</td>")[0]
        return cell, " ".join(re.sub(r"<[^>]+>", " ", cell).split())

    cell, text = managed_by(engineering)
    assert text == "SCIM"
    assert f'href="{reverse("integrations:detail", args=[org.slug, default.public_id])}"' in cell
    assert managed_by(sales)[1] == "SCIM Okta production"


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


def _scim_delete(scim_user, when=datetime(2026, 12, 4, 9, 30, tzinfo=UTC)):
    """What a SCIM DELETE leaves: the resource hidden, access ended, the record kept."""
    scim_user.deleted_at = when
    scim_user.active = False
    scim_user.save()
    scim_user.membership.is_active = False
    scim_user.membership.deactivated_at = when
    scim_user.membership.save()


def test_teams_page_names_members_like_the_members_page(admin_client, org, integration):
    # The login's full_name is what the IdP first sent; SCIM updates change only the SCIM name.
    scim_user = make_scim_user(integration, "r@acme.test", display_name="Renata Renamed")
    scim_user.membership.user.full_name = "Renata Original"
    scim_user.membership.user.save()
    make_scim_group(integration, "Engineering", members=[scim_user])
    teams = admin_client.get(reverse("organizations:teams", args=[org.slug])).content.decode()
    members = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    assert "Renata Renamed" in teams and "Renata Original" not in teams
    assert "Renata Renamed" in members and "Renata Original" not in members


def test_a_person_deleted_over_scim_reads_as_deleted_everywhere(admin_client, org, integration):
    scim_user = make_scim_user(integration, "del@acme.test", display_name="Del Eted")
    make_scim_group(integration, "Engineering", members=[scim_user])
    _scim_delete(scim_user)
    members = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    row = members[members.index("Del Eted") :].split("</tr>")[0]
    assert "Deleted by SCIM" in row and "Dec 4, 2026, 09:30 UTC" in row
    # "SCIM (deleted)" read as if the integration had been deleted.
    assert "SCIM (deleted)" not in row
    managed_by = row.split('data-label="Managed by"')[1]
    assert ">Deleted by SCIM</span>" in managed_by
    assert "Deactivated" not in row and "Manual" not in row
    detail = admin_client.get(
        reverse("organizations:member", args=[org.slug, scim_user.membership_id])
    ).content.decode()
    assert "Deleted by SCIM" in detail
    assert "by reactivating them" not in detail
    assert "only by creating them again" in detail
    # The IdP's last word was a DELETE, not `active: false`.
    assert "<dt>Active in the IdP</dt><dd><span>Deleted</span></dd>" in detail
    teams = admin_client.get(reverse("organizations:teams", args=[org.slug])).content.decode()
    assert "Deleted by SCIM" in teams


def test_a_deactivated_scim_person_is_restored_by_reactivation(admin_client, org, integration):
    scim_user = make_scim_user(integration, "off@acme.test", display_name="Offa Line", active=False)
    detail = admin_client.get(
        reverse("organizations:member", args=[org.slug, scim_user.membership_id])
    ).content.decode()
    assert "restores their access by reactivating them" in detail
    members = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    row = members[members.index("Offa Line") :].split("</tr>")[0]
    assert "Deactivated" in row and ">SCIM<" in row


def test_managed_by_names_the_integration_that_manages_the_person(admin_client, org):
    okta, _ = make_integration(org, name="Okta production")
    scim_user = make_scim_user(okta, "m@acme.test", display_name="Manny Managed")
    members = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    row = members[members.index("Manny Managed") :].split("</tr>")[0]
    assert ">SCIM<" in row and "Okta production" in row
    detail = admin_client.get(
        reverse("organizations:member", args=[org.slug, scim_user.membership_id])
    ).content.decode()
    assert "Managed by SCIM" in detail and "Okta production" in detail


@pytest.mark.parametrize(
    ("name", "badge", "note"),
    [
        ("SCIM", "SCIM", ""),  # the default name: never "SCIM SCIM"
        ("SCIM 2", "SCIM 2", ""),
        ("Okta production", "SCIM", "Okta production"),
    ],
)
def test_managed_by_never_says_scim_twice(admin_client, member_membership, org, name, badge, note):
    integration, _ = make_integration(org, name=name)
    make_scim_user(integration, "m@acme.test", display_name="Manny Managed")
    gone = make_scim_user(integration, "d@acme.test", display_name="Dee Deleted")
    _scim_delete(gone)
    members = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    row = members[members.index("Manny Managed") :].split("</tr>")[0]
    cell = " ".join(row.split('data-label="Managed by">')[1].split("</td>")[0].split())
    shown = " ".join(part for part in (badge, note) if part)
    assert _text(cell) == shown
    deleted = members[members.index("Dee Deleted") :].split("</tr>")[0]
    cell = " ".join(deleted.split('data-label="Managed by">')[1].split("</td>")[0].split())
    assert _text(cell) == " ".join(part for part in ("Deleted by SCIM", note) if part)
    # Members see that an identity provider manages the person, not which integration.
    member_client = Client()
    member_client.force_login(member_membership.user)
    members = member_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    row = members[members.index("Manny Managed") :].split("</tr>")[0]
    assert _text(" ".join(row.split('data-label="Managed by">')[1].split("</td>")[0].split())) == "SCIM"


def _text(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_formerly_managed_only_when_no_integration_manages_the_person(admin_client, org):
    old, _ = make_integration(org, name="Old IdP")
    new, _ = make_integration(org, name="New IdP")
    moved = make_scim_user(old, "moved@acme.test", display_name="Moe Moved")
    stranded = make_scim_user(old, "stranded@acme.test", display_name="Stan Stranded")
    # The new integration wrote Moe last, so it manages him; then the old integration goes.
    moved.integration = new
    moved.save()
    old.delete()
    members = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    moe = members[members.index("Moe Moved") :].split("</tr>")[0]
    stan = members[members.index("Stan Stranded") :].split("</tr>")[0]
    assert ">SCIM<" in moe and "New IdP" in moe
    assert "Formerly SCIM" in stan and "Manual" not in stan
    detail = admin_client.get(
        reverse("organizations:member", args=[org.slug, stranded.membership_id])
    ).content.decode()
    assert "Formerly managed by SCIM" in detail
    assert "another integration of Acme Corp changes them" in detail


def test_a_team_whose_integration_was_deleted_says_so(admin_client, org):
    gone, _ = make_integration(org, name="Gone IdP")
    live, _ = make_integration(org, name="Live IdP")
    make_scim_group(gone, "Orphans")
    make_scim_group(live, "Managed")
    gone.delete()
    body = admin_client.get(reverse("organizations:teams", args=[org.slug])).content.decode()
    orphan = body[body.index("<strong>Orphans</strong>") :].split("</tr>")[0]
    managed = body[body.index("<strong>Managed</strong>") :].split("</tr>")[0]
    assert "SCIM (integration deleted)" in orphan and "Delete…" in orphan
    assert "SCIM (integration deleted)" not in managed and "Live IdP" in managed
    assert "Delete…" not in managed
    assert "pushed by an integration that has since been deleted" in body


def test_an_admin_deletes_an_orphaned_team_after_confirming_and_it_is_audited(admin_client, org):
    from integrations.models import AuditEvent
    from scim.models import ScimGroup

    gone, _ = make_integration(org)
    alice = make_scim_user(gone, "alice@acme.test", display_name="Alice")
    group = make_scim_group(gone, "Admins", members=[alice])
    Team.objects.filter(pk=group.team_id).update(granted_role=Role.ADMIN)
    gone.delete()
    url = reverse("organizations:team-delete", args=[org.slug, group.team_id])
    confirm = admin_client.get(url).content.decode()
    assert "Delete team “Admins”?" in confirm and "no longer get the <strong>Admin</strong> role" in confirm
    assert Team.objects.filter(pk=group.team_id).exists()  # a GET changes nothing

    response = admin_client.post(url, follow=True)
    assert "Team “Admins” is deleted" in response.content.decode()
    assert not Team.objects.filter(pk=group.team_id).exists()
    assert not ScimGroup.objects.filter(pk=group.pk).exists()
    alice.membership.refresh_from_db()
    assert alice.membership.is_active  # people stay
    event = AuditEvent.objects.get(organization=org, action="team.deleted")
    assert "“Admins”" in event.summary and "1 member stay" in event.summary and "Admin role" in event.summary
    audit = admin_client.get(reverse("integrations:audit", args=[org.slug])).content.decode()
    assert "Deleted team “Admins”" in audit


def test_only_orphaned_teams_can_be_deleted_and_only_by_admins(
    admin_client, member_membership, org, integration
):
    managed = make_scim_group(integration, "Managed")
    manual = Team.objects.create(organization=org, name="Book club")
    for team_id in (managed.team_id, manual.pk):
        url = reverse("organizations:team-delete", args=[org.slug, team_id])
        assert admin_client.get(url).status_code == 404
        assert admin_client.post(url).status_code == 404
    gone, _ = make_integration(org)
    orphan = make_scim_group(gone, "Orphans")
    gone.delete()
    member_client = Client()
    member_client.force_login(member_membership.user)
    url = reverse("organizations:team-delete", args=[org.slug, orphan.team_id])
    assert member_client.get(url).status_code == 403
    assert member_client.post(url).status_code == 403
    assert Team.objects.filter(pk=orphan.team_id).exists()


def test_emails_wrap_only_between_their_parts():
    from organizations.templatetags.wrapping import breakable

    assert breakable("margaret.hamilton@acme.test") == (
        '<span class="breakable">margaret<wbr>.hamilton<wbr>@acme<wbr>.test</span>'
    )
    assert breakable("<b>@x") == '<span class="breakable">&lt;b&gt;<wbr>@x</span>'
    assert breakable("") == ""


def test_the_members_page_lets_emails_wrap_between_their_parts(admin_client, org, member_membership):
    html = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    assert '<span class="breakable">member<wbr>@acme<wbr>.test</span>' in html


def test_an_orphaned_team_that_is_how_the_last_admin_holds_their_role_is_not_deleted(
    admin_client, org, admin_membership
):
    # Found by an adversarial run: deleting it left the organization with nobody able to manage it.
    from organizations.access import resolve_access

    gone, _ = make_integration(org)
    group = make_scim_group(gone, "Admins")
    Team.objects.filter(pk=group.team_id).update(granted_role=Role.ADMIN)
    TeamMembership.objects.create(team_id=group.team_id, membership=admin_membership)
    admin_membership.role = Role.MEMBER  # an admin only through the team now
    admin_membership.save()
    gone.delete()
    url = reverse("organizations:team-delete", args=[org.slug, group.team_id])
    response = admin_client.post(url, follow=True)
    page = response.content.decode().replace("&#x27;", "'")
    assert response.redirect_chain[-1][0] == reverse("organizations:teams", args=[org.slug])
    assert "Team “Admins” was not deleted: it is how the organization's last active admin" in page
    assert Team.objects.filter(pk=group.team_id).exists()
    assert resolve_access(user=admin_membership.user, slug=org.slug).is_admin
    # With another admin, it goes.
    MembershipFactory(organization=org, role=Role.ADMIN)
    assert "Team “Admins” is deleted" in admin_client.post(url, follow=True).content.decode()


def test_a_person_whose_name_shows_nothing_is_listed_by_their_email(admin_client, org, integration):
    # Found by an adversarial run: a displayName of zero-width spaces gave an empty row with
    # nothing to click.
    person = make_scim_user(integration, "zw@acme.test", display_name="\u200b\u200b", email="zw@acme.test")
    body = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    link = reverse("organizations:member", args=[org.slug, person.membership_id])
    assert f'<a href="{link}">zw@acme.test</a>' in body
