"""Soft deactivation by the IdP ends the person's web access to that organization at once, and
only to that organization (issue 2)."""

import pytest
from django.urls import reverse

from organizations.models import User

EMAIL = "pat@example.test"


@pytest.fixture
def person(scim):
    doc = scim.create_user(EMAIL, emails=[{"value": EMAIL, "type": "work", "primary": True}])
    user = User.objects.get(email=EMAIL)
    user.set_password("pat-password-123")
    user.save()
    return doc


def members_url(integration):
    return reverse("organizations:members", args=[integration.organization.slug])


def test_deactivation_ends_access_at_once_and_reactivation_restores_it(scim, person, client):
    assert client.login(username=EMAIL, password="pat-password-123")
    url = members_url(scim.integration)
    assert client.get(url).status_code == 200

    scim.patch(f"/Users/{person['id']}", [{"op": "Replace", "path": "active", "value": "False"}])
    assert client.get(url).status_code == 404

    scim.patch(f"/Users/{person['id']}", [{"op": "replace", "value": {"active": True}}])
    assert client.get(url).status_code == 200


def test_delete_ends_access_too(scim, person, client):
    client.login(username=EMAIL, password="pat-password-123")
    scim.delete(f"/Users/{person['id']}")
    assert client.get(members_url(scim.integration)).status_code == 404


def test_deactivation_in_one_organization_keeps_the_other(scim, other_scim, person, client):
    other_scim.create_user(EMAIL, emails=[{"value": EMAIL, "primary": True}])
    client.login(username=EMAIL, password="pat-password-123")
    scim.patch(f"/Users/{person['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert client.get(members_url(scim.integration)).status_code == 404
    assert client.get(members_url(other_scim.integration)).status_code == 200
