"""Only the organization's admins see or change its integrations; nobody else ever sees a token
or an endpoint URL."""

import pytest
from django.urls import reverse

from tests.factories import make_integration


@pytest.fixture
def integration_and_token(org):
    return make_integration(org)


def _urls(org, integration, token_id):
    slug, pid = org.slug, integration.public_id
    return {
        "get": [
            reverse("integrations:list", args=[slug]),
            reverse("integrations:create", args=[slug]),
            reverse("integrations:detail", args=[slug, pid]),
            reverse("integrations:token", args=[slug, pid]),
            reverse("integrations:delete", args=[slug, pid]),
        ],
        "post": [
            reverse("integrations:create", args=[slug]),
            reverse("integrations:rotate", args=[slug, pid]),
            reverse("integrations:revoke", args=[slug, pid, token_id]),
            reverse("integrations:status", args=[slug, pid]),
            reverse("integrations:delete", args=[slug, pid]),
        ],
    }


def _check(client, org, integration_and_token, expected_status):
    integration, raw = integration_and_token
    urls = _urls(org, integration, integration.tokens.get().pk)
    for url in urls["get"]:
        response = client.get(url)
        assert response.status_code == expected_status, url
        assert raw not in response.content.decode()
        assert integration.public_id not in response.content.decode()
    for url in urls["post"]:
        response = client.post(url, {"auth_type": "token", "old_token": "revoke", "enabled": "0"})
        assert response.status_code == expected_status, url
    # Nothing changed: one integration, its one token still working, still enabled.
    integration.refresh_from_db()
    assert integration.is_enabled
    assert integration.tokens.filter(revoked_at__isnull=True).count() == 1
    assert org.integrations.count() == 1


def test_anonymous_is_sent_to_login(client, org, integration_and_token):
    _check(client, org, integration_and_token, 302)


def test_member_is_forbidden(member_client, org, integration_and_token):
    _check(member_client, org, integration_and_token, 403)


def test_admin_of_another_org_gets_404(other_admin_client, org, integration_and_token):
    _check(other_admin_client, org, integration_and_token, 404)


def test_inactive_admin_gets_404(client, org, admin_membership, integration_and_token):
    admin_membership.is_active = False
    admin_membership.save()
    client.force_login(admin_membership.user)
    _check(client, org, integration_and_token, 404)


def test_integration_of_another_org_is_404_under_my_org(admin_client, org, other_org):
    foreign, _ = make_integration(other_org)
    assert (
        admin_client.get(reverse("integrations:detail", args=[org.slug, foreign.public_id])).status_code
        == 404
    )
    assert (
        admin_client.post(reverse("integrations:status", args=[org.slug, foreign.public_id])).status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.is_enabled
