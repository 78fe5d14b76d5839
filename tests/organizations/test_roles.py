"""An admin gives a person their own role, Member or Admin, on the person's page: confirmed,
audited, never leaving the organization without an admin who can sign in, and only within the
admin's own organization."""

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import AuditEvent
from organizations import services
from organizations.models import Membership, Role, Team, TeamMembership
from tests.factories import AdminMembershipFactory, MembershipFactory, make_integration, make_scim_user


def role_url(org, membership):
    return reverse("organizations:member-role", args=[org.slug, membership.pk])


def person_url(org, membership):
    return reverse("organizations:member", args=[org.slug, membership.pk])


def role_card(html: str) -> str:
    start = html.index('aria-labelledby="role-h"')
    return html[start : html.index("</section>", start)]


def test_an_admin_makes_a_member_an_admin_audited(admin_client, org, admin_membership, member_membership):
    response = admin_client.post(role_url(org, member_membership), {"role": "admin"})
    assert response.status_code == 302
    assert response["Location"] == person_url(org, member_membership) + "#role-h"
    member_membership.refresh_from_db()
    assert member_membership.role == Role.ADMIN
    event = AuditEvent.objects.get(action="membership.role")
    assert event.actor == admin_membership.user and event.organization == org
    assert event.integration is None
    assert event.summary == "Made Max Member (member@acme.test) an admin of the organization."
    # The confirmation is in the Role card, where the page scrolls back to.
    card = role_card(admin_client.get(response["Location"]).content.decode())
    assert "Saved: Max Member (member@acme.test) is an admin of Acme Corp." in card
    assert 'aria-pressed="true">Admin</button>' in card


def test_the_change_is_in_the_audit_trail(admin_client, org, member_membership):
    admin_client.post(role_url(org, member_membership), {"role": "admin"})
    html = admin_client.get(reverse("integrations:audit", args=[org.slug])).content.decode()
    assert "Made Max Member (member@acme.test) an admin of the organization." in html
    assert "admin@acme.test" in html  # who


def test_an_admin_makes_another_admin_a_member(admin_client, org):
    other = AdminMembershipFactory(organization=org, user__full_name="Bo Boss", user__email="bo@acme.test")
    admin_client.post(role_url(org, other), {"role": "member"})
    other.refresh_from_db()
    assert other.role == Role.MEMBER
    assert AuditEvent.objects.get(action="membership.role").summary == (
        "Made Bo Boss (bo@acme.test) a member: no longer an admin by their own role."
    )
    card = role_card(admin_client.get(person_url(org, other)).content.decode())
    assert "Saved: Bo Boss (bo@acme.test) is a member of Acme Corp, no longer an admin." in card


def test_the_last_admin_cannot_give_up_their_own_role(admin_client, org, admin_membership, member_membership):
    page = admin_client.get(person_url(org, admin_membership)).content.decode()
    card = role_card(page)
    # The page says so before anyone tries: the Member button is off, and the note says why.
    assert "You are the only admin of Acme Corp who can sign in" in card
    assert 'value="member" class="btn btn-small btn-secondary" aria-pressed="false" disabled' in card
    # And the service refuses a POST all the same.
    response = admin_client.post(role_url(org, admin_membership), {"role": "member"}, follow=True)
    admin_membership.refresh_from_db()
    assert admin_membership.role == Role.ADMIN
    assert not AuditEvent.objects.filter(action="membership.role").exists()
    card = role_card(response.content.decode())
    assert (
        "You are the organization&#x27;s last active admin who can sign in: without this role nobody "
        "could manage Acme Corp. Make someone else an admin first."
    ) in card


def test_an_admin_without_a_password_does_not_keep_the_organization_manageable(
    admin_client, org, admin_membership
):
    # The IdP created Ivy and a group made her an admin; she has no password to sign in with.
    integration, _ = make_integration(org)
    ivy = make_scim_user(integration, "ivy@acme.test", display_name="Ivy", email="ivy@acme.test")
    team = Team.objects.create(organization=org, name="IT", granted_role=Role.ADMIN)
    TeamMembership.objects.create(team=team, membership=ivy.membership)
    with pytest.raises(services.RoleRefused, match="last active admin who can sign in"):
        services.membership_role_set(
            organization=org, membership_id=admin_membership.pk, role="member", actor=admin_membership.user
        )
    # Making Ivy an admin by her own role changes nothing about that, and the page says so.
    page = admin_client.get(person_url(org, ivy.membership)).content.decode()
    assert "Ivy is also an admin through the team “IT”" in role_card(page)


def test_with_a_second_admin_you_can_give_up_your_role(admin_client, org, admin_membership):
    AdminMembershipFactory(organization=org)
    response = admin_client.post(role_url(org, admin_membership), {"role": "member"}, follow=True)
    admin_membership.refresh_from_db()
    assert admin_membership.role == Role.MEMBER
    html = response.content.decode()
    # No Role card for a member: the confirmation is at the top of the page.
    assert 'aria-labelledby="role-h"' not in html
    assert "Saved: you are a member of Acme Corp now, no longer an admin." in html
    assert admin_client.get(reverse("integrations:list", args=[org.slug])).status_code == 403


def test_an_admin_through_a_team_stays_one_and_is_told_so(admin_client, org, member_membership):
    team = Team.objects.create(organization=org, name="Platform", granted_role=Role.ADMIN)
    TeamMembership.objects.create(team=team, membership=member_membership)
    Membership.objects.filter(pk=member_membership.pk).update(role=Role.ADMIN)
    response = admin_client.post(role_url(org, member_membership), {"role": "member"}, follow=True)
    card = role_card(response.content.decode())
    assert "Saved: Max Member (member@acme.test)&#x27;s own role is Member; the team “Platform” still" in card
    assert AuditEvent.objects.get(action="membership.role").summary.endswith(
        "; still an admin through team “Platform”."
    )


def test_a_person_whose_access_ended_is_not_made_an_admin(admin_client, org):
    gone = MembershipFactory(organization=org, is_active=False, user__full_name="Gus Gone")
    card = role_card(admin_client.get(person_url(org, gone)).content.decode())
    assert "Gus Gone can't be made an admin while their access is ended" in card
    assert 'value="admin" class="btn btn-small btn-secondary" aria-pressed="false" disabled' in card
    admin_client.post(role_url(org, gone), {"role": "admin"})
    gone.refresh_from_db()
    assert gone.role == Role.MEMBER
    assert not AuditEvent.objects.filter(action="membership.role").exists()


def test_an_unknown_role_changes_nothing(admin_client, org, member_membership):
    response = admin_client.post(role_url(org, member_membership), {"role": "owner"}, follow=True)
    member_membership.refresh_from_db()
    assert member_membership.role == Role.MEMBER
    assert "Choose Member or Admin." in role_card(response.content.decode())


def test_saving_the_role_a_person_has_is_not_audited(admin_client, org, member_membership):
    admin_client.post(role_url(org, member_membership), {"role": "member"})
    assert not AuditEvent.objects.filter(action="membership.role").exists()


def test_each_choice_asks_for_confirmation_in_its_own_words(admin_client, org, member_membership):
    AdminMembershipFactory(organization=org, user__full_name="Bo Boss")
    card = role_card(admin_client.get(person_url(org, member_membership)).content.decode())
    assert 'data-confirm="Make Max Member an admin of Acme Corp? They can then manage' in card
    bo = Membership.objects.get(user__full_name="Bo Boss")
    card = role_card(admin_client.get(person_url(org, bo)).content.decode())
    assert 'data-confirm="Make Bo Boss a member of Acme Corp? They can no longer manage' in card


# --- Who may change roles ----------------------------------------------------------------------


def test_members_see_no_role_control_and_may_not_post_one(
    member_client, org, member_membership, admin_membership
):
    html = member_client.get(person_url(org, admin_membership)).content.decode()
    assert 'aria-labelledby="role-h"' not in html and "member-role" not in html
    assert member_client.post(role_url(org, member_membership), {"role": "admin"}).status_code == 403
    member_membership.refresh_from_db()
    assert member_membership.role == Role.MEMBER


def test_anonymous_visitors_are_sent_to_login(client, org, member_membership):
    response = client.post(role_url(org, member_membership), {"role": "admin"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_another_organizations_admin_gets_the_404_of_no_organization(
    other_admin_client, org, member_membership
):
    nowhere = other_admin_client.post("/o/no-such-org/members/1/role/", {"role": "admin"})
    response = other_admin_client.post(role_url(org, member_membership), {"role": "admin"})
    assert response.status_code == 404 and response.content == nowhere.content
    member_membership.refresh_from_db()
    assert member_membership.role == Role.MEMBER


def test_an_admin_cannot_reach_another_organizations_person_through_their_own(admin_client, org, other_org):
    stranger = MembershipFactory(organization=other_org)
    url = reverse("organizations:member-role", args=[org.slug, stranger.pk])
    assert admin_client.post(url, {"role": "admin"}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.role == Role.MEMBER
    assert not AuditEvent.objects.exists()


def test_a_deactivated_admin_gets_404(client, org, member_membership):
    gone = AdminMembershipFactory(organization=org, is_active=False)
    client.force_login(gone.user)
    assert client.post(role_url(org, member_membership), {"role": "admin"}).status_code == 404


def test_only_post_changes_a_role(admin_client, org, member_membership):
    # A GET changes nothing and goes to the person's page: it is a login's `next` after the
    # session expired under the form (an adversarial run found a bare 405 there).
    response = admin_client.get(role_url(org, member_membership))
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:member", args=[org.slug, member_membership.pk])
    member_membership.refresh_from_db()
    assert member_membership.role == "member"
    assert admin_client.put(role_url(org, member_membership)).status_code == 405


def test_the_form_carries_a_csrf_token_and_the_post_needs_it(org, admin_membership, member_membership):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_membership.user)
    assert client.post(role_url(org, member_membership), {"role": "admin"}).status_code == 403
    member_membership.refresh_from_db()
    assert member_membership.role == Role.MEMBER
    card = role_card(client.get(person_url(org, member_membership)).content.decode())
    form = card[card.index("<form") : card.index("</form>")]
    assert 'method="post"' in form and "csrfmiddlewaretoken" in form
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    client.post(role_url(org, member_membership), {"role": "admin", "csrfmiddlewaretoken": token})
    member_membership.refresh_from_db()
    assert member_membership.role == Role.ADMIN
