"""Django admin for staff: tokens without digests, audited actions, read-only audit and SCIM logs."""

import pytest
from django.urls import reverse

from integrations.models import AuditEvent, IntegrationToken
from scim.models import RequestRecord
from tests.factories import UserFactory, make_integration, make_scim_user


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def integration(org):
    return make_integration(org)[0]


def test_integration_page_shows_token_prefix_but_never_the_digest(staff_client, integration):
    token = integration.tokens.get()
    body = staff_client.get(
        reverse("admin:integrations_integration_change", args=[integration.pk])
    ).content.decode()
    assert token.prefix in body
    assert token.digest not in body
    body = staff_client.get(
        reverse("admin:integrations_integrationtoken_change", args=[token.pk])
    ).content.decode()
    assert token.prefix in body and token.digest not in body
    body = staff_client.get(reverse("admin:integrations_integrationtoken_changelist")).content.decode()
    assert token.digest not in body


def test_revoke_selected_tokens_is_audited(staff_client, integration):
    token = integration.tokens.get()
    response = staff_client.post(
        reverse("admin:integrations_integrationtoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor == response.wsgi_request.user


def test_disable_selected_integrations_is_audited(staff_client, integration):
    staff_client.post(
        reverse("admin:integrations_integration_changelist"),
        {"action": "disable_integrations", "_selected_action": [integration.pk]},
    )
    integration.refresh_from_db()
    assert not integration.is_enabled
    assert AuditEvent.objects.filter(action="integration.disabled", integration=integration).exists()


def test_audit_events_are_read_only(staff_client, integration):
    event = AuditEvent.objects.first()
    assert staff_client.get(reverse("admin:integrations_auditevent_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:integrations_auditevent_add")).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:integrations_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("term", ["jane.doe", "ext-42", "Jane Doe", "jane@corp.test"])
def test_scim_users_are_searchable(staff_client, integration, term):
    make_scim_user(
        integration, "jane.doe", external_id="ext-42", display_name="Jane Doe", email="jane@corp.test"
    )
    make_scim_user(integration, "someone.else", display_name="Someone")
    body = staff_client.get(reverse("admin:scim_scimuser_changelist"), {"q": term}).content.decode()
    assert "jane.doe" in body and "someone.else" not in body


def test_scim_user_filters(staff_client, integration):
    url = reverse("admin:scim_scimuser_changelist")
    for params in (
        {"active__exact": "1"},
        {"deleted": "yes"},
        {"organization__id__exact": integration.organization_id},
    ):
        assert staff_client.get(url, params).status_code == 200


def test_request_records_are_read_only_and_filterable(staff_client, org, integration):
    record = RequestRecord.objects.create(
        organization=org, integration=integration, method="GET", path="/Users", status=401
    )
    url = reverse("admin:scim_requestrecord_changelist")
    assert staff_client.get(url, {"status": "401"}).status_code == 200
    assert staff_client.get(url, {"q": "/Users"}).status_code == 200
    assert staff_client.get(url, {"organization__id__exact": org.pk}).status_code == 200
    assert staff_client.get(reverse("admin:scim_requestrecord_add")).status_code == 403
    response = staff_client.post(
        reverse("admin:scim_requestrecord_change", args=[record.pk]), {"status": "200"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "admin:organizations_organization_changelist",
        "admin:organizations_membership_changelist",
        "admin:organizations_team_changelist",
        "admin:organizations_user_changelist",
        "admin:organizations_user_add",
        "admin:integrations_integration_changelist",
        "admin:scim_scimgroup_changelist",
    ],
)
def test_admin_pages_render(staff_client, integration, name):
    assert staff_client.get(reverse(name)).status_code == 200


def test_membership_filters(staff_client, integration):
    url = reverse("admin:organizations_membership_changelist")
    assert staff_client.get(url, {"role__exact": "admin", "is_active__exact": "1"}).status_code == 200


def test_add_user_by_email(staff_client, db):
    from organizations.models import User

    response = staff_client.post(
        reverse("admin:organizations_user_add"),
        {
            "email": "new@corp.test",
            "full_name": "New",
            "password1": "a-long-unusual-passphrase-1",
            "password2": "a-long-unusual-passphrase-1",
            # The memberships inline's management form, with no rows.
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="new@corp.test").check_password("a-long-unusual-passphrase-1")


def test_team_change_page_has_membership_inline(staff_client, org):
    from organizations.models import Team

    team = Team.objects.create(organization=org, name="Ops")
    body = staff_client.get(reverse("admin:organizations_team_change", args=[team.pk])).content.decode()
    assert "team_memberships" in body


def test_token_inline_cannot_add(staff_client, integration):
    assert IntegrationToken.objects.count() == 1


def test_staff_actions_are_marked_as_staff_in_the_audit_trail(staff_client, integration):
    staff_client.post(
        reverse("admin:integrations_integration_changelist"),
        {"action": "disable_integrations", "_selected_action": [integration.pk]},
    )
    event = AuditEvent.objects.get(action="integration.disabled")
    assert event.summary.endswith("(by staff, in Django admin).")


def test_staff_rename_goes_through_the_audited_service(staff_client, integration):
    url = reverse("admin:integrations_integration_change", args=[integration.pk])
    response = staff_client.post(
        url,
        {
            "name": "Okta production",
            "tokens-TOTAL_FORMS": "1",
            "tokens-INITIAL_FORMS": "1",
            "tokens-0-id": integration.tokens.get().pk,
            "tokens-0-integration": integration.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    integration.refresh_from_db()
    assert integration.name == "Okta production"
    event = AuditEvent.objects.get(action="integration.renamed")
    assert "“SCIM” to “Okta production”" in event.summary and "staff" in event.summary


def test_staff_delete_keeps_the_people_and_is_audited(staff_client, integration):
    from organizations.models import Membership

    person = make_scim_user(integration, "stays@acme.test")
    response = staff_client.post(
        reverse("admin:integrations_integration_delete", args=[integration.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=person.membership_id).is_active
    event = AuditEvent.objects.get(action="integration.deleted")
    assert "staff" in event.summary and event.actor == response.wsgi_request.user


def test_tokens_cannot_be_deleted_in_admin(staff_client, integration):
    token = integration.tokens.get()
    url = reverse("admin:integrations_integrationtoken_delete", args=[token.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert IntegrationToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("term", ["jane@corp.test", "ext-42", "jane.doe"])
def test_request_activity_is_searchable_by_username_email_and_external_id(
    staff_client, org, integration, term
):
    jane = make_scim_user(integration, "jane.doe", external_id="ext-42", email="jane@corp.test")
    RequestRecord.objects.create(
        organization=org,
        integration=integration,
        method="PATCH",
        path="/Users/x",
        status=200,
        resource_type="User",
        resource_id=jane.scim_id,
        resource_name="jane.doe",
        outcome="Updated Jane",
    )
    RequestRecord.objects.create(
        organization=org,
        integration=integration,
        method="GET",
        path="/Groups",
        status=200,
        outcome="Other",
    )
    body = staff_client.get(reverse("admin:scim_requestrecord_changelist"), {"q": term}).content.decode()
    assert "Updated Jane" in body and "Other" not in body


def test_request_activity_outcome_filter_keeps_other_filters(staff_client, org, integration, other_org):
    foreign = make_integration(other_org)[0]
    RequestRecord.objects.create(
        organization=org,
        integration=integration,
        method="GET",
        path="/a",
        status=401,
        outcome="Refused: the token has been revoked or has expired",
    )
    RequestRecord.objects.create(
        organization=org, integration=integration, method="GET", path="/b", status=200, outcome="Fine here"
    )
    RequestRecord.objects.create(
        organization=other_org,
        integration=foreign,
        method="GET",
        path="/c",
        status=401,
        outcome="Refused: elsewhere",
    )
    url = reverse("admin:scim_requestrecord_changelist")
    body = staff_client.get(url, {"outcome": "refused", "organization__id__exact": org.pk}).content.decode()
    assert "revoked or has expired" in body and "Fine here" not in body and "elsewhere" not in body
    body = staff_client.get(url, {"outcome": "errors", "q": "elsewhere"}).content.decode()
    assert "elsewhere" in body


def test_membership_of_a_scim_managed_person_is_read_only_where_the_idp_owns_it(staff_client, integration):
    person = make_scim_user(integration, "owned@acme.test")
    body = staff_client.get(
        reverse("admin:organizations_membership_change", args=[person.membership_id])
    ).content.decode()
    assert 'name="is_active"' not in body and 'name="role"' in body


def test_staff_membership_changes_are_audited(staff_client, org):
    from tests.factories import MembershipFactory

    membership = MembershipFactory(organization=org)
    url = reverse("admin:organizations_membership_change", args=[membership.pk])
    response = staff_client.post(
        url,
        {
            "organization": org.pk,
            "user": membership.user_id,
            "role": "admin",
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="membership.changed")
    assert "role" in event.summary and "staff" in event.summary
