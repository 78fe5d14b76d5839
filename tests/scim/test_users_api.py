"""The /Users endpoint as an IdP sees it (issue 2)."""

import pytest

from organizations.models import Membership
from scim.models import ScimUser
from scim.protocol.schemas import SEARCH_REQUEST_URN

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


def full_user(user_name="Ada.Lovelace@Example.test", **extra):
    body = {
        "schemas": [USER_URN, ENTERPRISE],
        "userName": user_name,
        "externalId": "00u-ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "emails": [{"value": "ada@example.test", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}],
        "active": True,
        ENTERPRISE: {"employeeNumber": "1815", "department": "Engines", "manager": {"value": "m-1"}},
    }
    body.update(extra)
    return body


def assert_scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    assert response.doc["schemas"] == [ERROR_URN]
    assert response.doc["status"] == str(status)
    assert response.doc["detail"]
    if scim_type:
        assert response.doc["scimType"] == scim_type


class TestCreate:
    def test_create_returns_201_location_and_the_whole_resource_as_sent(self, scim):
        body = full_user()
        response = scim.post("/Users", body)
        assert response.status_code == 201
        doc = response.doc
        assert response["Location"] == doc["meta"]["location"]
        assert doc["meta"]["location"].endswith(f"/scim/v2/{scim.integration.public_id}/Users/{doc['id']}")
        assert response["ETag"] == doc["meta"]["version"]
        for key in (
            "userName",
            "externalId",
            "name",
            "displayName",
            "title",
            "emails",
            "phoneNumbers",
            "active",
        ):
            assert doc[key] == body[key], key
        assert doc[ENTERPRISE] == body[ENTERPRISE]
        assert doc["schemas"] == [USER_URN, ENTERPRISE]
        assert doc["meta"]["resourceType"] == "User"
        assert {"created", "lastModified", "version"} <= set(doc["meta"])

    def test_user_name_is_echoed_in_the_case_the_idp_sent(self, scim):
        doc = scim.create_user("MiXeD.Case@Example.test")
        assert doc["userName"] == "MiXeD.Case@Example.test"
        assert scim.get(f"/Users/{doc['id']}").doc["userName"] == "MiXeD.Case@Example.test"

    def test_username_differing_only_in_case_is_a_conflict(self, scim):
        scim.create_user("grace@example.test")
        response = scim.post("/Users", {"schemas": [USER_URN], "userName": "GRACE@example.test"})
        assert_scim_error(response, 409, "uniqueness")

    def test_password_is_accepted_but_never_returned_or_stored(self, scim):
        doc = scim.create_user("okta@example.test", password="Placeholder-Pa55")
        assert "password" not in doc
        assert "Placeholder-Pa55" not in str(ScimUser.objects.get(scim_id=doc["id"]).attributes)

    def test_manager_sent_as_a_bare_string_comes_back_as_an_object(self, scim):
        doc = scim.create_user("emp@example.test", **{ENTERPRISE: {"manager": "boss-id"}})
        assert doc[ENTERPRISE]["manager"] == {"value": "boss-id"}

    def test_create_without_user_name_is_invalid_value(self, scim):
        assert_scim_error(scim.post("/Users", {"schemas": [USER_URN]}), 400, "invalidValue")

    def test_create_links_a_login_and_an_active_membership(self, scim):
        doc = scim.create_user(
            "linked@example.test", emails=[{"value": "linked@example.test", "primary": True}]
        )
        user = ScimUser.objects.select_related("membership__user").get(scim_id=doc["id"])
        assert user.membership.organization_id == scim.integration.organization_id
        assert user.membership.is_active
        assert user.membership.user.email == "linked@example.test"


class TestRead:
    def test_unknown_id_is_a_scim_404(self, scim):
        assert_scim_error(scim.get("/Users/010101001010101011001010101011"), 404)

    def test_filters_on_the_attributes_idps_match_on(self, scim):
        ada = scim.create_user(
            "ada@example.test",
            externalId="ext-ada",
            displayName="Ada L",
            emails=[{"value": "ada.work@example.test", "type": "work"}],
        )
        scim.create_user("bob@example.test", externalId="ext-bob", displayName="Bob")
        filters = [
            'userName eq "ADA@example.test"',
            'externalId eq "ext-ada"',
            f'id eq "{ada["id"]}"',
            'emails.value eq "ada.work@example.test"',
            'emails[type eq "work"].value eq "ada.work@example.test"',
            'displayName eq "Ada L"',
            'userName eq "ada@example.test" and externalId eq "ext-ada"',
        ]
        for expression in filters:
            response = (
                scim.get("/Users", data=None)
                if False
                else scim.client.get(
                    f"{scim.base}/Users", {"filter": expression}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
                )
            )
            assert response.status_code == 200, (expression, response.content)
            body = response.json()
            assert body["totalResults"] == 1, expression
            assert [r["id"] for r in body["Resources"]] == [ada["id"]], expression

    def test_a_filter_that_cannot_be_evaluated_is_invalid_filter_never_an_empty_list(self, scim):
        for expression in ['nosuchattribute eq "x"', "userName eq", 'userName xx "a"', '(userName eq "a"']:
            response = scim.client.get(
                f"{scim.base}/Users", {"filter": expression}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
            )
            assert response.status_code == 400, expression
            assert response.json()["scimType"] == "invalidFilter", expression

    def test_empty_result_is_a_complete_list_response(self, scim):
        response = scim.client.get(
            f"{scim.base}/Users",
            {"filter": 'userName eq "nobody"'},
            HTTP_AUTHORIZATION=f"Bearer {scim.token}",
        )
        assert response.json() == {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0,
            "startIndex": 1,
            "itemsPerPage": 0,
            "Resources": [],
        }


class TestPaging:
    @pytest.fixture
    def five(self, scim):
        return [scim.create_user(f"user{i}@example.test")["id"] for i in range(5)]

    def list(self, scim, **params):
        response = scim.client.get(f"{scim.base}/Users", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}")
        assert response.status_code == 200, response.content
        return response.json()

    def test_pages_are_stable_and_follow_start_index_and_count(self, scim, five):
        first = self.list(scim, startIndex=1, count=2)
        second = self.list(scim, startIndex=3, count=2)
        third = self.list(scim, startIndex=5, count=2)
        ids = [r["id"] for page in (first, second, third) for r in page["Resources"]]
        assert ids == five
        assert (first["startIndex"], first["itemsPerPage"], first["totalResults"]) == (1, 2, 5)
        assert (third["startIndex"], third["itemsPerPage"]) == (5, 1)

    def test_start_index_below_one_counts_as_one(self, scim, five):
        assert self.list(scim, startIndex=0, count=1)["Resources"][0]["id"] == five[0]
        assert self.list(scim, startIndex=-4, count=1)["startIndex"] == 1

    def test_count_zero_returns_only_the_total(self, scim, five):
        body = self.list(scim, count=0)
        assert body["totalResults"] == 5
        assert body.get("Resources", []) == []

    def test_default_page_size_is_at_least_100(self, scim):
        for i in range(105):
            scim.create_user(f"bulk{i}@example.test")
        body = self.list(scim)
        assert body["itemsPerPage"] >= 100
        assert self.list(scim, count=100)["itemsPerPage"] == 100

    def test_non_numeric_paging_is_a_clear_400(self, scim):
        response = scim.client.get(
            f"{scim.base}/Users", {"count": "ten"}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
        )
        assert response.status_code == 400
        assert "count" in response.json()["detail"]


class TestReplaceAndPatch:
    def test_put_replaces_the_resource(self, scim):
        doc = scim.create_user("put@example.test", title="Old", nickName="nick")
        body = {"schemas": [USER_URN], "userName": "put@example.test", "title": "New", "active": True}
        response = scim.put(f"/Users/{doc['id']}", body)
        assert response.status_code == 200
        assert response.doc["title"] == "New"
        assert "nickName" not in response.doc

    def test_okta_put_with_id_meta_groups_and_password_is_accepted(self, scim):
        doc = scim.create_user("okta.put@example.test")
        body = dict(doc, title="Engineer", groups=[], password="x-Placeholder-1")
        response = scim.put(f"/Users/{doc['id']}", body)
        assert response.status_code == 200
        assert response.doc["title"] == "Engineer"
        assert "password" not in response.doc

    def test_patch_shapes_from_okta_and_entra(self, scim):
        doc = scim.create_user("patch@example.test", emails=[{"value": "old@example.test", "type": "work"}])
        uid = doc["id"]
        r = scim.patch(f"/Users/{uid}", [{"op": "replace", "value": {"active": False}}])
        assert r.status_code == 200 and r.doc["active"] is False
        r = scim.patch(f"/Users/{uid}", [{"op": "Replace", "path": "active", "value": "True"}])
        assert r.status_code == 200 and r.doc["active"] is True
        r = scim.patch(
            f"/Users/{uid}",
            [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.test"}],
        )
        assert r.doc["emails"] == [{"value": "new@example.test", "type": "work"}]
        r = scim.patch(f"/Users/{uid}", [{"op": "Add", "path": f"{ENTERPRISE}:department", "value": "R&D"}])
        assert r.doc[ENTERPRISE]["department"] == "R&D"
        r = scim.patch(f"/Users/{uid}", [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": "mgr-7"}])
        assert r.doc[ENTERPRISE]["manager"] == {"value": "mgr-7"}

    def test_noop_patch_is_fine_and_changes_no_version(self, scim):
        doc = scim.create_user("noop@example.test")
        r = scim.patch(f"/Users/{doc['id']}", [{"op": "replace", "path": "active", "value": True}])
        assert r.status_code == 200
        assert r.doc["meta"]["version"] == doc["meta"]["version"]

    def test_patch_aimed_at_a_read_only_attribute_changes_nothing(self, scim):
        doc = scim.create_user("ro@example.test", title="Same")
        r = scim.patch(
            f"/Users/{doc['id']}",
            [
                {"op": "replace", "path": "title", "value": "Changed"},
                {"op": "replace", "path": "id", "value": "hijack"},
            ],
        )
        assert r.status_code == 400
        assert r.doc["scimType"] == "mutability"
        assert scim.get(f"/Users/{doc['id']}").doc["title"] == "Same"

    def test_renaming_into_a_taken_user_name_is_a_conflict(self, scim):
        scim.create_user("taken@example.test")
        doc = scim.create_user("mine@example.test")
        r = scim.patch(
            f"/Users/{doc['id']}", [{"op": "replace", "path": "userName", "value": "TAKEN@example.test"}]
        )
        assert_scim_error(r, 409, "uniqueness")


class TestSoftDeactivation:
    def membership(self, doc):
        return Membership.objects.get(scim_user__scim_id=doc["id"])

    def test_active_false_ends_access_and_keeps_everything(self, scim):
        doc = scim.create_user("leaver@example.test", title="Keeps")
        r = scim.patch(f"/Users/{doc['id']}", [{"op": "replace", "path": "active", "value": False}])
        assert r.status_code == 200
        membership = self.membership(doc)
        assert not membership.is_active and membership.deactivated_at is not None
        again = scim.get(f"/Users/{doc['id']}")
        assert again.status_code == 200 and again.doc["active"] is False and again.doc["title"] == "Keeps"
        found = scim.client.get(
            f"{scim.base}/Users",
            {"filter": 'userName eq "leaver@example.test"'},
            HTTP_AUTHORIZATION=f"Bearer {scim.token}",
        )
        assert found.json()["totalResults"] == 1
        scim.patch(f"/Users/{doc['id']}", [{"op": "replace", "path": "active", "value": True}])
        assert self.membership(doc).is_active

    def test_put_with_active_false_deactivates(self, scim):
        doc = scim.create_user("putoff@example.test")
        scim.put(
            f"/Users/{doc['id']}", {"schemas": [USER_URN], "userName": "putoff@example.test", "active": False}
        )
        assert not self.membership(doc).is_active

    def test_delete_hides_the_user_ends_access_and_erases_nothing(self, scim):
        doc = scim.create_user("gone@example.test")
        assert scim.delete(f"/Users/{doc['id']}").status_code == 204
        assert_scim_error(scim.get(f"/Users/{doc['id']}"), 404)
        assert_scim_error(scim.delete(f"/Users/{doc['id']}"), 404)
        stored = ScimUser.objects.get(scim_id=doc["id"])
        assert stored.deleted_at is not None
        assert not stored.membership.is_active
        listed = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}").json()
        assert listed["totalResults"] == 0

    def test_recreating_a_deactivated_user_reactivates_it(self, scim):
        doc = scim.create_user("back@example.test", externalId="e-1")
        scim.patch(f"/Users/{doc['id']}", [{"op": "replace", "path": "active", "value": False}])
        again = scim.post(
            "/Users",
            {
                "schemas": [USER_URN],
                "userName": "back@example.test",
                "externalId": "e-1",
                "title": "Returned",
            },
        )
        assert again.status_code in (200, 201)
        assert (
            again.doc["id"] == doc["id"] and again.doc["active"] is True and again.doc["title"] == "Returned"
        )
        assert self.membership(doc).is_active

    def test_recreating_a_deleted_user_restores_it(self, scim):
        doc = scim.create_user("deleted@example.test")
        scim.delete(f"/Users/{doc['id']}")
        again = scim.post("/Users", {"schemas": [USER_URN], "userName": "deleted@example.test"})
        assert again.status_code in (200, 201)
        assert again.doc["active"] is True
        assert self.membership(again.doc).is_active

    def test_a_different_person_cannot_take_over_a_deactivated_user(self, scim):
        doc = scim.create_user("shared@example.test", externalId="person-1")
        scim.patch(f"/Users/{doc['id']}", [{"op": "replace", "path": "active", "value": False}])
        other = scim.post(
            "/Users", {"schemas": [USER_URN], "userName": "shared@example.test", "externalId": "person-2"}
        )
        assert_scim_error(other, 409, "uniqueness")

    def test_creating_an_active_duplicate_is_still_a_conflict(self, scim):
        scim.create_user("dup@example.test", externalId="x")
        assert_scim_error(
            scim.post("/Users", {"schemas": [USER_URN], "userName": "dup@example.test", "externalId": "x"}),
            409,
            "uniqueness",
        )


class TestIsolation:
    def test_another_organizations_users_are_invisible(self, scim, other_scim):
        mine = scim.create_user("same@example.test", emails=[{"value": "same@example.test", "primary": True}])
        theirs = other_scim.create_user(
            "same@example.test", emails=[{"value": "same@example.test", "primary": True}]
        )
        assert mine["id"] != theirs["id"]
        assert scim.get(f"/Users/{theirs['id']}").status_code == 404
        assert scim.put(f"/Users/{theirs['id']}", {"userName": "x"}).status_code == 404
        assert (
            scim.patch(
                f"/Users/{theirs['id']}", [{"op": "replace", "path": "active", "value": False}]
            ).status_code
            == 404
        )
        assert scim.delete(f"/Users/{theirs['id']}").status_code == 404
        listed = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}").json()
        assert [r["id"] for r in listed["Resources"]] == [mine["id"]]

    def test_deactivation_in_one_organization_never_touches_another(self, scim, other_scim):
        mine = scim.create_user("both@example.test", emails=[{"value": "both@example.test", "primary": True}])
        theirs = other_scim.create_user(
            "both@example.test", emails=[{"value": "both@example.test", "primary": True}]
        )
        scim.patch(f"/Users/{mine['id']}", [{"op": "replace", "path": "active", "value": False}])
        scim.delete(f"/Users/{mine['id']}")
        theirs_membership = Membership.objects.get(scim_user__scim_id=theirs["id"])
        assert theirs_membership.is_active
        assert other_scim.get(f"/Users/{theirs['id']}").doc["active"] is True
        # one person, one login, two memberships
        mine_membership = Membership.objects.get(scim_user__scim_id=mine["id"])
        assert mine_membership.user_id == theirs_membership.user_id


class TestLimitsAndOwnership:
    @pytest.mark.parametrize(
        "extra",
        [
            {"userName": "u" * 513},
            {"externalId": "e" * 513},
            {"displayName": "d" * 513},
            {"emails": [{"value": "a@example.test", "type": "t" * 101}]},
            # Values of multi-valued attributes are indexed: an adversarial run's 3,200-character
            # email got a 503 "unable to reach its database" (and IdPs retry 503s forever).
            {"emails": [{"value": "a@example.test"}, {"value": "b" * 513}]},
            {"phoneNumbers": [{"value": "𝟙" * 513}]},
        ],
    )
    def test_a_value_longer_than_the_service_stores_is_refused_by_name(self, scim, extra):
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ok@example.test",
            **extra,
        }
        response = scim.post("/Users", body)
        assert response.status_code == 400, response.content
        assert response.doc["scimType"] == "invalidValue" and "at most" in response.doc["detail"]

    def test_a_patch_to_a_too_long_value_is_refused_and_changes_nothing(self, scim):
        user = scim.create_user("ada@example.test")
        response = scim.patch(
            f"/Users/{user['id']}", [{"op": "replace", "path": "displayName", "value": "d" * 600}]
        )
        assert response.status_code == 400 and "displayName" in response.doc["detail"]
        assert scim.get(f"/Users/{user['id']}").doc.get("displayName") is None

    def test_a_patch_adding_a_too_long_email_is_refused_by_name_and_changes_nothing(self, scim):
        user = scim.create_user("ada@example.test")
        response = scim.patch(
            f"/Users/{user['id']}", [{"op": "add", "path": "emails", "value": [{"value": "é" * 700}]}]
        )
        assert response.status_code == 400, response.content
        assert response.doc["scimType"] == "invalidValue"
        assert "emails[0].value is 700 characters long" in response.doc["detail"]
        assert "emails" not in scim.get(f"/Users/{user['id']}").doc

    def test_a_certificate_or_photo_url_of_any_length_is_kept_and_found(self, scim):
        import base64
        import random

        # A 2,400-byte certificate, base64: incompressible, longer than an index entry holds.
        certificate = base64.b64encode(random.Random(7).randbytes(2400)).decode()
        photo = "https://img.example.test/p.png?sig=" + "s" * 3000
        user = scim.create_user(
            "cert@example.test",
            x509Certificates=[{"value": certificate}],
            photos=[{"value": photo, "type": "photo"}],
        )
        assert user["x509Certificates"] == [{"value": certificate}]
        fetched = scim.get(f"/Users/{user['id']}").doc
        assert fetched["x509Certificates"][0]["value"] == certificate
        assert fetched["photos"][0]["value"] == photo
        for query in (f'x509Certificates.value eq "{certificate}"', f'photos.value eq "{photo}"'):
            found = scim.post("/Users/.search", {"schemas": [SEARCH_REQUEST_URN], "filter": query}).doc
            assert [r["id"] for r in found["Resources"]] == [user["id"]], query

    def test_an_email_longer_than_a_login_holds_is_kept_but_is_no_login(self, scim):
        from scim.models import ScimUser

        address = "a" * 250 + "@example.test"
        user = scim.create_user("ada@example.test", emails=[{"value": address, "primary": True}])
        assert user["emails"][0]["value"] == address
        stored = ScimUser.objects.select_related("membership__user").get(scim_id=user["id"])
        assert stored.membership.user.email is None

    def test_an_email_with_a_bidi_override_is_kept_but_is_no_login(self, scim):
        # Found by an adversarial run: "evil\u202egnp.exe@x.test" became a login, shown on every
        # page that names the person as "eviltset.x@exe.png".
        from scim.models import ScimUser

        address = "evil\u202egnp.exe@x.test"
        user = scim.create_user("evil", emails=[{"value": address, "primary": True}])
        assert user["emails"][0]["value"] == address
        stored = ScimUser.objects.select_related("membership__user").get(scim_id=user["id"])
        assert stored.membership.user.email is None

    def test_the_integration_that_changes_a_person_manages_them(self, scim, other_integration_scim):
        from scim.models import ScimUser

        user = scim.create_user("ada@example.test")
        response = other_integration_scim.patch(
            f"/Users/{user['id']}", [{"op": "replace", "path": "title", "value": "CTO"}]
        )
        assert response.status_code == 200
        assert ScimUser.objects.get(scim_id=user["id"]).integration == other_integration_scim.integration


def test_a_username_with_a_right_to_left_override_cannot_reorder_the_activity_entry(scim):
    # Found by an adversarial run: "Created user x‮…, linked to …" showed the rest of the entry
    # backwards on the activity page. The name is isolated inside the sentence; the resource
    # keeps it exactly as sent.
    from scim.models import RequestRecord

    name = "mallory\u202emoc.evil@acme.test"
    created = scim.create_user(name)
    assert created["userName"] == name
    outcome = RequestRecord.objects.filter(method="POST").latest("id").outcome
    assert outcome == f"Created user \u2068{name}\u2069"
    scim.patch(f"/Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert RequestRecord.objects.filter(method="PATCH").latest("id").outcome == (
        f"Deactivated user \u2068{name}\u2069"
    )


def test_an_error_quoting_a_bidi_override_shows_it_spelled_out_on_the_activity(scim):
    # Found by an adversarial run: the error detail echoed the PATCH path with its U+202E, and the
    # activity showed the rest of the message backwards.
    from scim.models import RequestRecord

    user = scim.create_user("ada@acme.test")
    path = 'emails[value eq "\u202ezzz"].value'
    response = scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": path, "value": "x@y.test"}])
    assert response.status_code == 400, response.content
    assert "\u202e" in response.doc["detail"]  # the IdP gets its own path back as sent
    outcome = RequestRecord.objects.filter(method="PATCH").latest("id").outcome
    assert "\u202e" not in outcome and '"<U+202E>zzz"' in outcome


def test_an_update_says_on_the_activity_which_attributes_it_changed(scim):
    # A new user could not tell from "Updated user jane" what the IdP had changed. The names of
    # the attributes, never their values.
    from scim.models import RequestRecord

    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    user = scim.create_user("jane@acme.test", name={"givenName": "Jane"}, title="Engineer")
    response = scim.patch(
        f"/Users/{user['id']}",
        [
            {"op": "replace", "path": "name.givenName", "value": "Janet"},
            {"op": "replace", "path": "title", "value": "CTO"},
            {"op": "add", "path": f"{enterprise}:department", "value": "R&D"},
        ],
    )
    assert response.status_code == 200, response.content
    outcome = RequestRecord.objects.filter(method="PATCH").latest("id").outcome
    assert outcome == "Updated user jane@acme.test: name, title, department"
    assert "Janet" not in outcome and "CTO" not in outcome
