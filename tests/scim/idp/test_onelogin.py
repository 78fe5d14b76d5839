"""OneLogin (SCIM Provisioner with SAML, SCIM v2 Enterprise) provisioning session, step by step:
template-rendered bodies, PUT updates, `application/json` both ways."""

from scim.models import ScimUser
from tests.scim.idp.bases import ENTERPRISE_URN, ERROR_URN, LIST_RESPONSE, USER_URN, OneLoginTestBase


class OneLoginSession(OneLoginTestBase):
    def create_grace(self):
        response = self.onelogin.create_user(
            "grace.hopper@example.test",
            "Grace",
            "Hopper",
            title="Rear Admiral",
            department="Computing",
            manager=("E-0001", "Howard Aiken"),
        )
        assert response.status_code == 201, response.content
        return response.doc

    def create_alan(self):
        response = self.onelogin.create_user(
            "alan.turing@example.test", "Alan", "Turing", department="Computing", active="true"
        )
        assert response.status_code == 201, response.content
        return response.doc


class TestInitialConnection(OneLoginSession):
    def test_lookup_of_a_non_existent_user_is_an_empty_json_list(self):
        response = self.onelogin.initial_connection()
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.doc == {
            "schemas": [LIST_RESPONSE],
            "totalResults": 0,
            "startIndex": 1,
            "itemsPerPage": 0,
            "Resources": [],
        }

    def test_errors_are_application_json_too(self):
        response = self.onelogin.get_user("no-such-user")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.doc["schemas"] == [ERROR_URN]

    def test_a_base_url_pasted_with_a_trailing_slash_still_works(self):
        response = self.onelogin.get("//Users?filter=userName%20eq%20%22nobody%40example.test%22")
        assert response.status_code == 200
        assert response.doc["totalResults"] == 0

    def test_onelogin_user_agent_is_recognised(self):
        self.onelogin.get("/Users", headers={"User-Agent": "OneLogin SCIM Provisioner"})
        assert self.refresh_integration().detected_idp == "OneLogin"

    def test_without_a_user_agent_the_idp_stays_unnamed(self):
        self.onelogin.initial_connection()
        assert self.refresh_integration().detected_idp == ""


class TestLookupBeforeCreate(OneLoginSession):
    def test_lookup_by_user_name_with_and_without_trailing_slash(self):
        grace = self.create_grace()
        assert [r["id"] for r in self.onelogin.find_user("grace.hopper@example.test").doc["Resources"]] == [
            grace["id"]
        ]
        slashed = self.onelogin.get("/Users/?filter=userName%20eq%20%22grace.hopper%40example.test%22")
        assert slashed.status_code == 200 and slashed.doc["totalResults"] == 1


class TestCreate(OneLoginSession):
    def test_template_with_null_id_meta_and_no_active_creates_an_active_user(self):
        response = self.onelogin.create_user(
            "grace.hopper@example.test",
            "Grace",
            "Hopper",
            title="Rear Admiral",
            department="Computing",
            manager=("E-0001", "Howard Aiken"),
        )
        assert response.status_code == 201
        assert response["Content-Type"] == "application/json"
        doc = response.doc
        assert doc["id"] and doc["active"] is True
        assert doc["meta"]["location"].endswith(f"/Users/{doc['id']}")
        # manager.displayName is readOnly (RFC 7643 section 4.3): the reference is what is kept.
        assert doc[ENTERPRISE_URN]["manager"]["value"] == "E-0001"
        assert doc[ENTERPRISE_URN]["department"] == "Computing"

    def test_string_active_from_the_template_is_a_boolean(self):
        assert self.create_alan()["active"] is True

    def test_duplicate_is_409(self):
        self.create_grace()
        response = self.onelogin.create_user("grace.hopper@example.test", "Grace", "Hopper")
        assert response.status_code == 409
        assert response.doc["scimType"] == "uniqueness"

    def test_pre_rfc_schema_urns_are_read_as_their_rfc_names(self):
        body = {
            "schemas": ["urn:scim:schemas:core:2.0:User", "urn:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "ada@example.test",
            "urn:scim:schemas:extension:enterprise:2.0:User": {"department": "Computing"},
        }
        response = self.onelogin.post("/Users", body)
        assert response.status_code == 201, response.content
        assert response.doc["schemas"] == [USER_URN, ENTERPRISE_URN]
        assert response.doc[ENTERPRISE_URN] == {"department": "Computing"}

    def test_the_scim_1_1_connector_is_told_to_choose_the_v2_connector(self):
        response = self.onelogin.post(
            "/Users", {"schemas": ["urn:scim:schemas:core:1.0"], "userName": "ada@example.test"}
        )
        assert response.status_code == 400
        assert "SCIM 2.0 connector" in response.doc["detail"]


class TestReadBack(OneLoginSession):
    def test_get_by_id_has_id_and_location(self):
        grace = self.create_grace()
        response = self.onelogin.get_user(grace["id"])
        assert response.status_code == 200
        assert response.doc["id"] == grace["id"]
        assert response.doc["meta"]["location"] == grace["meta"]["location"]


class TestUpdates(OneLoginSession):
    def test_put_of_the_rendered_template_updates_the_user(self):
        grace = self.create_grace()
        body = self.onelogin.template(
            "grace.hopper@example.test",
            "Grace",
            "Hopper",
            title="Commodore",
            department="Naval Computing",
            manager=("E-0001", "Howard Aiken"),
        )
        response = self.onelogin.update_user(grace["id"], body)
        assert response.status_code == 200
        assert response.doc["title"] == "Commodore"
        assert response.doc[ENTERPRISE_URN]["department"] == "Naval Computing"
        assert response.doc["active"] is True

    def test_put_without_active_keeps_a_suspended_user_suspended(self):
        grace = self.create_grace()
        template = self.onelogin.template("grace.hopper@example.test", "Grace", "Hopper")
        self.onelogin.suspend(grace["id"], template)
        response = self.onelogin.update_user(grace["id"], template)
        assert response.status_code == 200 and response.doc["active"] is False


class TestGroups(OneLoginSession):
    def test_refresh_entitlements_lists_groups(self):
        self.onelogin.create_group("Compiler Team")
        response = self.onelogin.refresh_entitlements()
        assert response.status_code == 200
        assert [g["displayName"] for g in response.doc["Resources"]] == ["Compiler Team"]
        assert isinstance(response.doc["totalResults"], int)

    def test_create_group(self):
        response = self.onelogin.create_group("Compiler Team")
        assert response.status_code == 201 and response.doc["id"]


class TestMembers(OneLoginSession):
    def test_add_then_remove_by_value_list_then_by_filter(self):
        grace, alan = self.create_grace(), self.create_alan()
        group = self.onelogin.create_group("Compiler Team").doc
        assert self.onelogin.add_members(group["id"], grace["id"], alan["id"]).status_code in (200, 204)
        assert len(self.onelogin.get_group(group["id"]).doc["members"]) == 2
        assert self.onelogin.remove_members(group["id"], alan["id"]).status_code in (200, 204)
        assert [m["value"] for m in self.onelogin.get_group(group["id"]).doc["members"]] == [grace["id"]]
        assert self.onelogin.remove_member_by_filter(group["id"], grace["id"]).status_code in (200, 204)
        assert self.onelogin.get_group(group["id"]).doc.get("members", []) == []


class TestSuspendAndReactivate(OneLoginSession):
    def test_suspend_by_put_with_a_string_false_keeps_the_user_findable(self):
        grace = self.create_grace()
        template = self.onelogin.template("grace.hopper@example.test", "Grace", "Hopper")
        response = self.onelogin.suspend(grace["id"], template)
        assert response.status_code == 200 and response.doc["active"] is False
        found = self.onelogin.find_user("grace.hopper@example.test").doc["Resources"]
        assert [(r["id"], r["active"]) for r in found] == [(grace["id"], False)]
        assert ScimUser.objects.get(scim_id=grace["id"]).membership.is_active is False

    def test_reactivate_by_put(self):
        grace = self.create_grace()
        template = self.onelogin.template("grace.hopper@example.test", "Grace", "Hopper")
        self.onelogin.suspend(grace["id"], template)
        response = self.onelogin.update_user(grace["id"], {**template, "active": True})
        assert response.status_code == 200 and response.doc["active"] is True


class TestListAndDelete(OneLoginSession):
    def test_get_users_lists_everyone_with_integer_paging(self):
        self.create_grace()
        self.create_alan()
        doc = self.onelogin.get_users().doc
        assert doc["totalResults"] == 2 and doc["itemsPerPage"] == 2 and doc["startIndex"] == 1

    def test_delete_answers_204_then_404(self):
        grace = self.create_grace()
        assert self.onelogin.delete_user(grace["id"]).status_code == 204
        assert self.onelogin.get_user(grace["id"]).status_code == 404
