"""Okta (OIN template app) provisioning session, step by step, in Okta's exact request shapes."""

from integrations.models import Integration
from organizations.models import Membership, User
from scim.models import ScimUser
from tests.scim.idp.bases import ERROR_URN, LIST_RESPONSE, USER_URN, OktaTestBase


class OktaSession(OktaTestBase):
    def create_ada(self, **extra):
        response = self.okta.create_user("ada.lovelace@example.test", "Ada", "Lovelace", **extra)
        assert response.status_code == 201, response.content
        return response.doc

    def create_grace(self):
        response = self.okta.create_user("grace.hopper@example.test", "Grace", "Hopper")
        assert response.status_code == 201, response.content
        return response.doc


class TestTestConnection(OktaSession):
    def test_empty_tenant_answers_a_complete_list_response_with_integers(self):
        response = self.okta.test_connection()
        assert response.status_code == 200
        assert response["Content-Type"] == "application/scim+json"
        assert response.doc == {
            "schemas": [LIST_RESPONSE],
            "totalResults": 0,
            "startIndex": 1,
            "itemsPerPage": 0,
            "Resources": [],
        }

    def test_a_bad_token_is_a_401_scim_error(self):
        response = self.okta.get(
            "/Users?startIndex=1&count=2", headers={"Authorization": "Bearer not-a-valid-okta-token"}
        )
        assert response.status_code == 401
        assert response.doc["schemas"] == [ERROR_URN]
        assert response.doc["status"] == "401"
        assert response.doc["detail"]

    def test_okta_is_recognised_on_the_integration(self):
        self.okta.test_connection()
        integration = Integration.objects.get(pk=self.integration.pk)
        assert integration.detected_idp == "Okta"
        assert integration.last_client == "Okta SCIM Client 1.0.0"

    def test_the_conformance_suites_user_agent_is_recognised_too(self):
        self.okta.get("/Users?count=1&startIndex=1", headers={"User-Agent": "OKTA SCIM Integration"})
        assert self.refresh_integration().detected_idp == "Okta"


class TestLookupBeforeCreate(OktaSession):
    def test_unknown_user_name_is_an_empty_list_not_a_404(self):
        response = self.okta.user_exists("ada.lovelace@example.test")
        assert response.status_code == 200
        assert response.doc["totalResults"] == 0
        assert response.doc["Resources"] == []

    def test_upper_cased_user_name_finds_the_user(self):
        created = self.create_ada()
        response = self.okta.user_exists("ADA.LOVELACE@EXAMPLE.TEST")
        assert response.status_code == 200
        assert [r["id"] for r in response.doc["Resources"]] == [created["id"]]


class TestCreate(OktaSession):
    def test_create_answers_201_with_the_full_user_and_its_location(self):
        response = self.okta.create_user(
            "ada.lovelace@example.test", "Ada", "Lovelace", external_id="00u1ab2cd3EF4gh5i6j7"
        )
        assert response.status_code == 201
        doc = response.doc
        assert doc["schemas"] == [USER_URN]
        assert doc["id"]
        assert doc["userName"] == "ada.lovelace@example.test"
        assert doc["name"] == {"givenName": "Ada", "familyName": "Lovelace"}
        assert doc["emails"] == [{"value": "ada.lovelace@example.test", "type": "work", "primary": True}]
        assert doc["externalId"] == "00u1ab2cd3EF4gh5i6j7"
        assert doc["active"] is True
        assert doc["locale"] == "en-US"
        assert response["Location"] == doc["meta"]["location"]
        assert doc["meta"]["resourceType"] == "User"

    def test_placeholder_password_is_neither_returned_nor_stored(self):
        doc = self.create_ada(password="1mz050nq")
        assert "password" not in doc
        stored = ScimUser.objects.get(scim_id=doc["id"])
        assert "1mz050nq" not in str(stored.attributes)
        login = stored.membership.user
        assert not login.check_password("1mz050nq")
        assert "password" not in self.okta.get_user(doc["id"]).doc

    def test_groups_sent_on_create_are_ignored(self):
        doc = self.create_ada(groups=[{"value": "00g-not-ours"}])
        assert doc.get("groups", []) == []

    def test_the_same_user_again_is_a_409_uniqueness_error(self):
        self.create_ada()
        response = self.okta.create_user("ada.lovelace@example.test", "Ada", "Lovelace")
        assert response.status_code == 409
        assert response.doc["scimType"] == "uniqueness"
        assert response.doc["schemas"] == [ERROR_URN]


class TestReadBack(OktaSession):
    def test_get_user_returns_what_okta_sent(self):
        created = self.create_ada()
        response = self.okta.get_user(created["id"])
        assert response.status_code == 200
        for key in ("id", "userName", "name", "emails", "displayName", "externalId", "active"):
            assert response.doc[key] == created[key]

    def test_unknown_id_is_a_404_scim_error_with_detail(self):
        response = self.okta.get_user("010101001010101011001010101011")
        assert response.status_code == 404
        assert response.doc["schemas"] == [ERROR_URN]
        assert response.doc["detail"]


class TestProfilePush(OktaSession):
    def test_put_of_the_whole_object_with_id_meta_and_groups_updates_the_profile(self):
        created = self.create_ada()

        def marry(doc):
            doc["name"] = {"givenName": "Ada", "middleName": "Augusta", "familyName": "King"}
            doc["displayName"] = "Ada King"

        response = self.okta.profile_push(created["id"], marry)
        assert response.status_code == 200
        put = self.okta.sent[-1]
        assert put["method"] == "PUT" and {"id", "meta", "groups"} <= set(put["body"])
        assert response.doc["name"] == {"givenName": "Ada", "middleName": "Augusta", "familyName": "King"}
        assert response.doc["displayName"] == "Ada King"
        assert response.doc["id"] == created["id"]

    def test_a_round_trip_through_okta_loses_nothing(self):
        created = self.create_ada(title="Analyst", nickName="Ada")
        response = self.okta.profile_push(created["id"])
        assert response.status_code == 200
        assert response.doc["title"] == "Analyst"
        assert response.doc["nickName"] == "Ada"

    def test_put_with_a_placeholder_password_does_not_store_it(self):
        created = self.create_ada()
        response = self.okta.profile_push(created["id"], password="placeholder-9x")
        assert response.status_code == 200
        assert "password" not in response.doc
        assert not ScimUser.objects.get(scim_id=created["id"]).membership.user.check_password(
            "placeholder-9x"
        )

    def test_profile_push_does_not_change_group_memberships(self):
        created = self.create_ada()
        group = self.okta.push_group("Analytical Engines").doc
        self.okta.add_member(group["id"], created["id"], created["userName"])
        response = self.okta.profile_push(created["id"], groups=[])
        assert response.status_code == 200
        members = self.okta.get_group(group["id"]).doc["members"]
        assert [m["value"] for m in members] == [created["id"]]


class TestDeactivateAndReactivate(OktaSession):
    def test_pathless_patch_deactivates_and_the_user_stays_findable(self):
        created = self.create_ada()
        response = self.okta.deactivate(created["id"])
        assert response.status_code in (200, 204)
        by_id = self.okta.get_user(created["id"])
        assert by_id.status_code == 200 and by_id.doc["active"] is False
        lookup = self.okta.user_exists("ada.lovelace@example.test")
        assert [(r["id"], r["active"]) for r in lookup.doc["Resources"]] == [(created["id"], False)]
        membership = ScimUser.objects.get(scim_id=created["id"]).membership
        assert membership.is_active is False

    def test_pathless_patch_reactivates(self):
        created = self.create_ada()
        self.okta.deactivate(created["id"])
        response = self.okta.reactivate(created["id"])
        assert response.status_code in (200, 204)
        assert self.okta.get_user(created["id"]).doc["active"] is True
        assert Membership.objects.get(scim_user__scim_id=created["id"]).is_active is True

    def test_aiw_app_deactivates_by_put(self):
        created = self.create_ada()
        response = self.okta.aiw_deactivate(created["id"])
        assert response.status_code == 200
        assert response.doc["active"] is False

    def test_password_sync_is_accepted_and_never_stored(self):
        created = self.create_ada()
        response = self.okta.sync_password(created["id"], "Sample-Passw0rd-42")
        assert response.status_code in (200, 204)
        if response.status_code == 200:
            assert "password" not in response.doc
        user = User.objects.get(memberships__scim_user__scim_id=created["id"])
        assert not user.check_password("Sample-Passw0rd-42")
        assert "Sample-Passw0rd-42" not in str(ScimUser.objects.get(scim_id=created["id"]).attributes)


class TestGroupPush(OktaSession):
    def test_lookup_then_create_an_empty_group(self):
        lookup = self.okta.group_exists("Analytical Engines")
        assert lookup.status_code == 200 and lookup.doc["totalResults"] == 0
        response = self.okta.push_group("Analytical Engines")
        assert response.status_code == 201
        assert response.doc["displayName"] == "Analytical Engines"
        assert response.doc["members"] == []
        found = self.okta.group_exists("Analytical Engines").doc
        assert [g["id"] for g in found["Resources"]] == [response.doc["id"]]

    def test_name_resync_with_our_id_is_a_no_op(self):
        group = self.okta.push_group("Analytical Engines").doc
        response = self.okta.resync_name(group["id"], "Analytical Engines")
        assert response.status_code in (200, 204)
        assert self.okta.get_group(group["id"]).doc["displayName"] == "Analytical Engines"

    def test_rename(self):
        group = self.okta.push_group("Analytical Engines").doc
        assert self.okta.resync_name(group["id"], "Difference Engines").status_code in (200, 204)
        found = self.okta.group_exists("Difference Engines").doc
        assert [g["id"] for g in found["Resources"]] == [group["id"]]

    def test_delete_on_unlink(self):
        group = self.okta.push_group("Analytical Engines").doc
        assert self.okta.delete_group(group["id"]).status_code == 204
        assert self.okta.get_group(group["id"]).status_code == 404


class TestMembers(OktaSession):
    def test_add_member(self):
        ada = self.create_ada()
        group = self.okta.push_group("Analytical Engines").doc
        response = self.okta.add_member(group["id"], ada["id"], ada["userName"])
        assert response.status_code in (200, 204)
        assert [m["value"] for m in self.okta.get_group(group["id"]).doc["members"]] == [ada["id"]]

    def test_remove_by_filter_and_add_in_one_patch(self):
        ada, grace = self.create_ada(), self.create_grace()
        group = self.okta.push_group("Analytical Engines").doc
        self.okta.add_member(group["id"], ada["id"], ada["userName"])
        response = self.okta.swap_member(group["id"], ada["id"], grace["id"], grace["userName"])
        assert response.status_code in (200, 204)
        assert [m["value"] for m in self.okta.get_group(group["id"]).doc["members"]] == [grace["id"]]

    def test_full_push_sets_the_membership_and_an_empty_push_empties_it(self):
        ada, grace = self.create_ada(), self.create_grace()
        group = self.okta.push_group("Analytical Engines").doc
        response = self.okta.push_members(
            group["id"], [(ada["id"], ada["userName"]), (grace["id"], grace["userName"])]
        )
        assert response.status_code in (200, 204)
        members = {m["value"] for m in self.okta.get_group(group["id"]).doc["members"]}
        assert members == {ada["id"], grace["id"]}
        assert self.okta.push_members(group["id"], []).status_code in (200, 204)
        assert self.okta.get_group(group["id"]).doc.get("members", []) == []

    def test_a_deactivated_member_can_still_be_pushed(self):
        ada = self.create_ada()
        self.okta.deactivate(ada["id"])
        group = self.okta.push_group("Analytical Engines").doc
        assert self.okta.add_member(group["id"], ada["id"], ada["userName"]).status_code in (200, 204)


class TestImport(OktaSession):
    def test_import_pages_by_100_with_integers_and_stable_order(self):
        ids = [self.okta.create_user(f"user{n:03}@example.test", "U", f"{n}").doc["id"] for n in range(3)]
        self.okta.deactivate(ids[1])
        page = self.okta.import_users(1).doc
        assert page["totalResults"] == 3 and page["startIndex"] == 1 and page["itemsPerPage"] == 3
        assert [r["id"] for r in page["Resources"]] == ids
        assert [r["active"] for r in page["Resources"]] == [True, False, True]
        assert self.okta.import_users(1).doc["Resources"] == page["Resources"]
        assert self.okta.import_users(101).doc["Resources"] == []


class TestNoDelete(OktaSession):
    def test_okta_never_deletes_users_so_a_deactivated_user_keeps_its_records(self):
        ada = self.create_ada()
        self.okta.deactivate(ada["id"])
        assert ScimUser.objects.filter(scim_id=ada["id"], deleted_at__isnull=True).exists()
