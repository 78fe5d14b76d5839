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


def _admin_group(scim, member_ids, name="Admins"):
    from integrations.services import group_role_set
    from scim.models import ScimGroup

    group = scim.create_group(name, member_ids)
    team_id = ScimGroup.objects.get(scim_id=group["id"]).team_id
    group_role_set(integration=scim.integration, team_id=team_id, role="admin")
    return group


def _login_for(scim_user_id):
    from scim.models import ScimUser

    login = ScimUser.objects.get(scim_id=scim_user_id).membership.user
    login.set_password("pat-password-123")
    login.save()
    return login


@pytest.mark.parametrize(
    "change",
    ["remove by filter", "remove by value list", "replace with others", "put without them", "delete group"],
)
def test_the_idp_cannot_take_away_the_last_admins_role_through_a_group(scim, change):
    # A tester made a person admin through a group mapped to Admin, let the IdP deactivate the
    # organization's own admin, then removed that person from the group: no admin was left.
    from organizations.models import Membership
    from scim.models import ScimUser

    admin = scim.create_user("zed@example.test", emails=[{"value": "zed@example.test", "primary": True}])
    _login_for(admin["id"])  # a person who can sign in
    other = scim.create_user("amy@example.test")["id"]
    group = _admin_group(scim, [admin["id"]])
    path = f"/Groups/{group['id']}"
    response = {
        "remove by filter": lambda: scim.patch(
            path, [{"op": "remove", "path": f'members[value eq "{admin["id"]}"]'}]
        ),
        "remove by value list": lambda: scim.patch(
            path, [{"op": "Remove", "path": "members", "value": [{"value": admin["id"]}]}]
        ),
        "replace with others": lambda: scim.patch(
            path, [{"op": "replace", "path": "members", "value": [{"value": other}]}]
        ),
        "put without them": lambda: scim.put(
            path,
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Admins",
                "members": [],
            },
        ),
        "delete group": lambda: scim.delete(path),
    }[change]()
    assert response.status_code == 409, response.content
    assert response.doc["detail"].startswith(
        "This change would leave the organization without an active administrator"
    )
    membership = ScimUser.objects.get(scim_id=admin["id"]).membership
    assert membership.team_memberships.filter(team__granted_role="admin").exists()  # nothing changed
    assert Membership.objects.filter(organization=scim.integration.organization, is_active=True).count() == 2


def test_an_admin_who_cannot_sign_in_does_not_count(scim):
    # People an IdP created have no password: an organization whose only other admin is one of
    # them has nobody left who can manage it.
    from tests.factories import AdminMembershipFactory

    AdminMembershipFactory(organization=scim.integration.organization, user__email="boss@example.test")
    boss = scim.create_user("boss@example.test", emails=[{"value": "boss@example.test", "primary": True}])
    ghost = scim.create_user("ghost@example.test")
    _admin_group(scim, [ghost["id"]])
    response = scim.patch(f"/Users/{boss['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert response.status_code == 409 and "last active administrator" in response.doc["detail"]
    # The IdP may end the access of an admin who cannot sign in anyway.
    assert (
        scim.patch(f"/Users/{ghost['id']}", [{"op": "replace", "path": "active", "value": False}]).status_code
        == 200
    )


def test_a_create_that_links_an_existing_member_says_so(scim):
    from scim.models import RequestRecord
    from tests.factories import MembershipFactory

    MembershipFactory(organization=scim.integration.organization, user__email="kim@example.test")
    scim.create_user("kim.k@example.test", emails=[{"value": "Kim@Example.test", "primary": True}])
    assert RequestRecord.objects.filter(method="POST").latest("id").outcome == (
        "Created user kim.k@example.test, linked to the existing member kim@example.test"
    )
    scim.create_user("new@example.test")
    assert RequestRecord.objects.filter(method="POST").latest("id").outcome == "Created user new@example.test"
