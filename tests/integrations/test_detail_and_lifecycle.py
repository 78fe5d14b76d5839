"""The integration page (what the IdP has been doing) and each lifecycle action with its audit."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import AuditEvent, Integration, IntegrationToken
from integrations.tokens import digest_token
from organizations.models import Membership
from scim.models import RequestRecord
from tests.factories import make_integration, make_scim_group, make_scim_user


@pytest.fixture
def integration_and_token(org):
    return make_integration(org)


@pytest.fixture
def integration(integration_and_token):
    return integration_and_token[0]


def detail_url(integration):
    return reverse("integrations:detail", args=[integration.organization.slug, integration.public_id])


def test_new_integration_waits_for_the_first_request(admin_client, integration):
    body = admin_client.get(detail_url(integration)).content.decode()
    assert f"http://testserver/scim/v2/{integration.public_id}" in body
    assert "Waiting for your identity provider's first request" in body
    assert integration.tokens.get().prefix in body
    assert "No requests yet" in body


def test_detail_shows_activity_counts_and_requests(admin_client, org, integration):
    Integration.objects.filter(pk=integration.pk).update(
        last_request_at=timezone.now() - timedelta(minutes=3),
        last_client="Okta SCIM Client 1.0",
        detected_idp="Okta",
    )
    users = [make_scim_user(integration, f"u{i}@acme.test") for i in range(3)]
    gone = make_scim_user(integration, "gone@acme.test")
    gone.deleted_at = timezone.now()
    gone.save()
    make_scim_group(integration, "Engineering", members=users)
    RequestRecord.objects.create(
        organization=org,
        integration=integration,
        method="POST",
        path="/Users",
        status=409,
        outcome="userName “u1@acme.test” is already taken in this organization.",
    )
    RequestRecord.objects.create(
        organization=org, integration=integration, method="GET", path="/Users", status=200
    )
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Okta SCIM Client 1.0" in body and "Okta" in body
    assert "Waiting for your identity provider" not in body
    assert '<span class="stat-value">3</span><span class="stat-label">SCIM users</span>' in body
    assert '<span class="stat-value">1</span><span class="stat-label">SCIM group</span>' in body
    assert "already taken in this organization" in body and "409" in body


def test_detail_shows_the_newest_50_requests(admin_client, org, integration):
    base = timezone.now() - timedelta(hours=1)
    RequestRecord.objects.bulk_create(
        RequestRecord(
            organization=org,
            integration=integration,
            method="GET",
            path=f"/Users/{i:03d}",
            status=200,
            created_at=base + timedelta(seconds=i),
        )
        for i in range(60)
    )
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "/Users/059" in body and "/Users/010" in body
    assert "/Users/009" not in body


def test_detail_query_count_is_constant(admin_client, org, integration, django_assert_max_num_queries):
    for i in range(20):
        make_scim_user(integration, f"q{i}@acme.test")
    RequestRecord.objects.bulk_create(
        RequestRecord(organization=org, integration=integration, method="GET", path="/Users", status=200)
        for _ in range(30)
    )
    for _ in range(3):
        IntegrationToken.objects.filter(integration=integration).update(revoked_at=timezone.now())
        make_integration  # noqa: B018 (tokens come from the service below)
        from integrations.services import token_rotate

        token_rotate(integration=integration)
    # session + user + access + integration with counts + tokens + requests + history + switcher
    # + groups and roles + the admins it manages
    with django_assert_max_num_queries(10):
        assert admin_client.get(detail_url(integration)).status_code == 200


def test_integration_list_query_count_is_constant(admin_client, org, django_assert_max_num_queries):
    for _ in range(4):
        make_integration(org)
    with django_assert_max_num_queries(5):
        assert admin_client.get(reverse("integrations:list", args=[org.slug])).status_code == 200


def _audit(integration_id, action):
    return AuditEvent.objects.filter(integration_id=integration_id, action=action).get()


def test_rotate_revoking_the_old_token_now(admin_client, org, integration_and_token, admin_membership):
    integration, old_raw = integration_and_token
    response = admin_client.post(
        reverse("integrations:rotate", args=[org.slug, integration.public_id]),
        {"old_token": "revoke", "grace_hours": ""},
    )
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "Your new token" in page
    new = integration.tokens.get(revoked_at__isnull=True)
    old = integration.tokens.get(digest=digest_token(old_raw))
    assert old.revoked_at <= timezone.now()
    assert new.prefix in page
    assert _audit(integration.pk, "token.rotated").actor == admin_membership.user
    # Shown once: the page no longer has it.
    assert "bearer-token" not in admin_client.get(response["Location"]).content.decode()


def test_rotate_with_a_grace_period_keeps_the_old_token_working(admin_client, org, integration_and_token):
    integration, old_raw = integration_and_token
    admin_client.post(
        reverse("integrations:rotate", args=[org.slug, integration.public_id]),
        {"old_token": "grace", "grace_hours": "24"},
    )
    old = integration.tokens.get(digest=digest_token(old_raw))
    assert timedelta(hours=23) < old.revoked_at - timezone.now() <= timedelta(hours=24)
    assert old.is_valid_at(timezone.now())
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Works until" in body
    # The audit summary writes the moment like every page does: month in words, time, time zone.
    assert re.search(
        r"stops working on [A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d UTC\.$",
        _audit(integration.pk, "token.rotated").summary,
    )


def test_rotate_with_grace_needs_hours(admin_client, org, integration):
    response = admin_client.post(
        reverse("integrations:rotate", args=[org.slug, integration.public_id]),
        {"old_token": "grace", "grace_hours": ""},
    )
    assert response["Location"] == detail_url(integration)
    assert integration.tokens.count() == 1
    assert not AuditEvent.objects.filter(action="token.rotated").exists()


@pytest.mark.parametrize("hours", ["0", "-1", "169", "1000000000", "abc"])
def test_hours_out_of_range_get_one_message_and_dont_block_revoking_now(
    admin_client, org, integration, hours
):
    # Found by an adversarial run: two messages for one mistake ("Ensure this value is ..." and
    # "Say how many hours ..."); and the hours are hidden when "Revoke now" is chosen.
    url = reverse("integrations:rotate", args=[org.slug, integration.public_id])
    page = admin_client.post(url, {"old_token": "grace", "grace_hours": hours}, follow=True).content.decode()
    assert page.count("The token was not rotated") == 1 and "Say how many hours" in page
    assert integration.tokens.count() == 1
    response = admin_client.post(url, {"old_token": "revoke", "grace_hours": hours})
    assert response["Location"].endswith("/token/")
    assert integration.tokens.count() == 2


def test_revoke_a_token(admin_client, org, integration):
    token = integration.tokens.get()
    response = admin_client.post(
        reverse("integrations:revoke", args=[org.slug, integration.public_id, token.pk])
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _audit(integration.pk, "token.revoked")
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "No token works for this integration" in body


def test_revoke_a_token_of_another_integration_is_404(admin_client, org, integration, other_org):
    foreign, _ = make_integration(other_org)
    token = foreign.tokens.get()
    url = reverse("integrations:revoke", args=[org.slug, integration.public_id, token.pk])
    assert admin_client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_disable_and_enable(admin_client, org, integration):
    url = reverse("integrations:status", args=[org.slug, integration.public_id])
    admin_client.post(url, {"enabled": "0"})
    integration.refresh_from_db()
    assert not integration.is_enabled
    assert "is disabled" in admin_client.get(detail_url(integration)).content.decode()
    admin_client.post(url, {"enabled": "1"})
    integration.refresh_from_db()
    assert integration.is_enabled
    assert _audit(integration.pk, "integration.disabled") and _audit(integration.pk, "integration.enabled")


def test_delete_asks_first_then_keeps_the_people(admin_client, org, integration):
    person = make_scim_user(integration, "stay@acme.test")
    url = reverse("integrations:delete", args=[org.slug, integration.public_id])
    confirm = admin_client.get(url).content.decode()
    assert "Delete this integration?" in confirm and "stay" in confirm
    assert Integration.objects.filter(pk=integration.pk).exists()
    response = admin_client.post(url)
    assert response["Location"] == reverse("integrations:list", args=[org.slug])
    assert not Integration.objects.filter(pk=integration.pk).exists()
    assert not IntegrationToken.objects.filter(integration_id=integration.pk).exists()
    assert Membership.objects.get(pk=person.membership_id).is_active
    assert AuditEvent.objects.filter(organization=org, action="integration.deleted").exists()


def test_lifecycle_forms_need_csrf(client, org, integration, admin_membership):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_membership.user)
    response = csrf_client.post(
        reverse("integrations:status", args=[org.slug, integration.public_id]), {"enabled": "0"}
    )
    assert response.status_code == 403
    integration.refresh_from_db()
    assert integration.is_enabled


def test_detail_page_has_confirmations_on_lifecycle_buttons(admin_client, integration):
    body = admin_client.get(detail_url(integration)).content.decode()
    assert body.count("data-confirm=") >= 3  # disable, revoke, rotate
    assert "Delete…" in body


def test_request_paths_are_shown_relative_to_the_endpoint(admin_client, org, integration):
    RequestRecord.objects.create(
        organization=org,
        integration=integration,
        method="GET",
        path=f"/scim/v2/{integration.public_id}/Users?startIndex=1",
        status=200,
    )
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "GET /Users?startIndex=1</code>" in body


def test_the_page_warns_when_the_integration_manages_admins_you_included(admin_client, org, admin_membership):
    from scim.models import ScimUser

    integration, _ = make_integration(org)
    page = admin_client.get(detail_url(integration)).content.decode()
    assert 'id="managed-admins"' not in page
    # The admin tested the IdP with their own account: the IdP's create was linked to them.
    ScimUser.objects.create(
        organization=org, integration=integration, membership=admin_membership, user_name="admin@acme.test"
    )
    page = admin_client.get(detail_url(integration)).content.decode()
    warning = page[page.index('id="managed-admins"') :].split("</div>")[0]
    assert "Every admin of Acme Corp is managed by this integration, you included." in warning
    # The IdP can't end the last active admin's access (the SCIM core refuses it with a 409):
    # the warning says what it can do, not that the organization would be locked out.
    assert "nobody would be left" not in warning
    assert (
        "Your identity provider can rename this admin. It can't end their access while they are the "
        "organization's last active admin (unassigning or deactivating them there is refused with a "
        "409), but it can as soon as someone else is an admin."
    ) in " ".join(warning.split())
    assert "test with a separate person" in warning
    # Another integration's page says nothing: it does not manage them.
    other, _ = make_integration(org)
    assert 'id="managed-admins"' not in admin_client.get(detail_url(other)).content.decode()


def test_the_warning_counts_admins_through_teams_and_spares_deactivated_ones(
    admin_client, org, admin_membership
):
    from organizations.models import Role, Team

    integration, _ = make_integration(org)
    boss = make_scim_user(integration, "boss@acme.test", display_name="Bea Boss")
    group = make_scim_group(integration, "Admins", members=[boss])
    Team.objects.filter(pk=group.team_id).update(granted_role=Role.ADMIN)
    gone = make_scim_user(integration, "gone@acme.test", display_name="Gone Admin", active=False)
    Membership.objects.filter(pk=gone.membership_id).update(role=Role.ADMIN)
    page = admin_client.get(detail_url(integration)).content.decode()
    warning = page[page.index('id="managed-admins"') :].split("</div>")[0]
    assert "This integration manages 1 of Acme Corp's 2 admins." in warning
    assert "Bea Boss" in warning and "Gone Admin" not in warning and "you included" not in warning
    assert (
        "Your identity provider can rename this admin, and unassigning or deactivating them there ends "
        "their access here at once. Only the organization's last active admin keeps access: that "
        "request is refused with a 409 until someone else is an admin."
    ) in " ".join(warning.split())


@pytest.mark.parametrize("action", ["status", "rotate", "rename", "answers"])
def test_an_action_reached_by_get_after_the_session_expired_lands_on_the_page(
    client, admin_membership, integration, action
):
    # Found by an adversarial run: the session expired, Disable was clicked, the login sent the
    # browser back to /status/ by GET, and that was a blank 405. It goes to the page, changing nothing.
    org = integration.organization
    url = reverse(f"integrations:{action}", args=[org.slug, integration.public_id])
    assert client.post(url, {"enabled": "0"})["Location"].startswith(reverse("login"))
    client.force_login(admin_membership.user)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == detail_url(integration)
    assert client.get(response["Location"]).status_code == 200
    integration.refresh_from_db()
    assert integration.is_enabled and integration.tokens.count() == 1
    assert client.put(url).status_code == 405


def test_the_token_revoke_and_group_role_actions_by_get_land_on_the_page(admin_client, integration):
    org = integration.organization
    group = make_scim_group(integration, "Ops", members=[])
    token = integration.tokens.get()
    for url in (
        reverse("integrations:revoke", args=[org.slug, integration.public_id, token.pk]),
        reverse("integrations:group-role", args=[org.slug, integration.public_id, group.team_id]),
    ):
        assert admin_client.get(url)["Location"] == detail_url(integration)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_logout_by_get_goes_home_instead_of_a_blank_405(admin_client):
    response = admin_client.get(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("home")


@pytest.mark.parametrize(
    "path", ["teams/{huge}/delete/", "integrations/{id}/groups/{huge}/role/", "members/{huge}/role/"]
)
def test_an_id_too_large_for_any_row_is_a_404_not_a_500(admin_client, integration, path):
    # Found by an adversarial run: on SQLite a 23-digit id overflowed the query (OverflowError).
    huge = "9" * 23
    url = f"/o/{integration.organization.slug}/" + path.format(huge=huge, id=integration.public_id)
    assert admin_client.post(url).status_code == 404
    # The largest id the URL takes reaches the view, which finds no such row.
    assert admin_client.post(url.replace(huge, "9" * 18)).status_code in (302, 404)
