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
