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


def _create(scim, external_id, user_name=EMAIL):
    response = scim.post(
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "externalId": external_id,
            "emails": [{"value": EMAIL, "type": "work", "primary": True}],
        },
    )
    assert response.status_code in (200, 201), response.content
    return response.doc["id"]


def test_a_person_deleted_then_created_anew_with_another_external_id_gets_access_back(scim, client):
    # A rehire: the IdP deleted the person's account and created a new one (a new externalId)
    # for the same email. The new identity takes over the person's login and access.
    first = _create(scim, "okta-1")
    user = User.objects.get(email=EMAIL)
    user.set_password("pat-password-123")
    user.save()
    assert scim.delete(f"/Users/{first}").status_code == 204
    second = _create(scim, "okta-2")
    assert second != first
    assert client.login(username=EMAIL, password="pat-password-123")
    assert client.get(members_url(scim.integration)).status_code == 200
    assert scim.get(f"/Users/{second}").doc["active"] is True
    assert scim.get(f"/Users/{first}").status_code == 404


def test_a_re_create_brings_back_the_deleted_identity_of_the_same_person_not_the_latest(scim):
    first = _create(scim, "ext-a")
    scim.delete(f"/Users/{first}")
    second = _create(scim, "ext-b")
    assert second != first
    scim.delete(f"/Users/{second}")
    again = _create(scim, "ext-a")
    assert again == first
    assert scim.get(f"/Users/{first}").doc["externalId"] == "ext-a"
    assert scim.get(f"/Users/{second}").status_code == 404


def test_the_idp_cannot_end_the_access_of_the_organizations_last_active_admin(scim, client):
    # An admin who tested the IdP with their own account locked the whole organization out.
    from tests.factories import AdminMembershipFactory

    admin = AdminMembershipFactory(
        organization=scim.integration.organization, user__email="boss@example.test"
    )
    created = scim.create_user("boss@example.test", emails=[{"value": "boss@example.test", "primary": True}])
    for change in (
        lambda: scim.patch(
            f"/Users/{created['id']}", [{"op": "Replace", "path": "active", "value": "False"}]
        ),
        lambda: scim.delete(f"/Users/{created['id']}"),
    ):
        response = change()
        assert response.status_code == 409, response.content
        assert "last active administrator" in response.doc["detail"]
    admin.refresh_from_db()
    assert admin.is_active
    assert scim.get(f"/Users/{created['id']}").doc["active"] is True  # nothing half-done

    AdminMembershipFactory(organization=scim.integration.organization)  # someone else can manage it now
    response = scim.patch(f"/Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert response.status_code == 200
    admin.refresh_from_db()
    assert not admin.is_active


def test_ending_a_plain_members_access_needs_no_other_admin(scim, person, client):
    response = scim.patch(f"/Users/{person['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert response.status_code == 200
