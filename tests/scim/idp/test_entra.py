"""Microsoft Entra ID provisioning session, step by step, in Entra's default dialect and with the
`aadOptscim062020` flag."""

from integrations.models import Integration
from scim.models import ScimUser
from tests.scim.idp.bases import ENTERPRISE_URN, LIST_RESPONSE, EntraTestBase


class EntraSession(EntraTestBase):
    def create_ada(self, **kw):
        kw.setdefault("employee_number", "100042")
        kw.setdefault("department", "Analytical Engines")
        response = self.entra.create_user(
            "ada.lovelace@example.test", "ada.lovelace", "Ada", "Lovelace", **kw
        )
        assert response.status_code == 201, response.content
        return response.doc

    def create_charles(self):
        response = self.entra.create_user(
            "charles.babbage@example.test", "charles.babbage", "Charles", "Babbage", employee_number="100001"
        )
        assert response.status_code == 201, response.content
        return response.doc


class TestTestConnection(EntraSession):
    def test_guid_lookups_without_any_header_answer_empty_scim_list_responses(self):
        user, group = self.entra.test_connection()
        for response in (user, group):
            assert response.status_code == 200
            assert response["Content-Type"] == "application/scim+json"
            assert response.doc["schemas"] == [LIST_RESPONSE]
            assert response.doc["totalResults"] == 0
            assert response.doc["Resources"] == []
        assert "User-Agent" not in self.entra.sent[0]["headers"]
        assert set(self.entra.sent[0]["headers"]) == {"Authorization"}

    def test_requests_are_recorded_even_without_a_user_agent(self):
        self.entra.test_connection()
        integration = Integration.objects.get(pk=self.integration.pk)
        assert integration.last_request_at is not None
        assert integration.requests.count() == 2

    def test_the_test_connection_shape_is_recognised_as_entra(self):
        self.entra.test_connection()
        assert self.refresh_integration().detected_idp == "Microsoft Entra ID"


class TestMatchBeforeCreate(EntraSession):
    def test_user_name_match_finds_nothing_on_an_empty_tenant(self):
        response = self.entra.match_user("ada.lovelace@example.test")
        assert response.status_code == 200 and response.doc["totalResults"] == 0

    def test_external_id_and_work_email_match_with_plus_encoded_spaces(self):
        created = self.create_ada()
        by_external = self.entra.match_by("externalId", "ada.lovelace")
        assert [r["id"] for r in by_external.doc["Resources"]] == [created["id"]]
        by_email = self.entra.match_by('emails[type eq "work"].value', "ada.lovelace@example.test")
        assert [r["id"] for r in by_email.doc["Resources"]] == [created["id"]]


class TestCreate(EntraSession):
    def test_create_with_nulls_meta_roles_and_enterprise_answers_201(self):
        doc = self.create_ada(title="Analyst")
        assert doc["id"]
        assert doc["userName"] == "ada.lovelace@example.test"
        assert doc["externalId"] == "ada.lovelace"
        assert doc["title"] == "Analyst"
        assert doc[ENTERPRISE_URN] == {"employeeNumber": "100042", "department": "Analytical Engines"}
        assert "addresses" not in doc and "phoneNumbers" not in doc
        assert ENTERPRISE_URN in doc["schemas"]

    def test_answer_is_application_scim_json(self):
        response = self.entra.create_user("ada.lovelace@example.test", "ada.lovelace", "Ada", "Lovelace")
        assert response["Content-Type"] == "application/scim+json"

    def test_manager_sent_as_a_bare_string_comes_back_as_an_object(self):
        charles = self.create_charles()
        doc = self.create_ada(manager_id=charles["id"])
        assert doc[ENTERPRISE_URN]["manager"]["value"] == charles["id"]
        again = self.entra.get_user(doc["id"]).doc
        assert isinstance(again[ENTERPRISE_URN]["manager"], dict)
        assert again[ENTERPRISE_URN]["manager"]["value"] == charles["id"]

    def test_string_true_active_on_post_is_a_boolean(self):
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "x@example.test",
            "active": "True",
        }
        response = self.entra.post("/Users", body)
        assert response.status_code == 201
        assert response.doc["active"] is True


class TestUpdates(EntraSession):
    def test_one_capitalised_replace_per_attribute(self):
        ada = self.create_ada()
        response = self.entra.update(
            ada["id"],
            **{
                'emails[type eq "work"].value': "ada.king@example.test",
                "name.familyName": "King",
                "displayName": "Ada King",
                f"{ENTERPRISE_URN}:employeeNumber": "100043",
            },
        )
        assert response.status_code in (200, 204)
        doc = self.entra.get_user(ada["id"]).doc
        assert doc["emails"] == [{"value": "ada.king@example.test", "type": "work", "primary": True}]
        assert doc["name"]["familyName"] == "King"
        assert doc["displayName"] == "Ada King"
        assert doc[ENTERPRISE_URN]["employeeNumber"] == "100043"

    def test_add_on_single_valued_attributes_and_a_new_typed_phone(self):
        ada = self.create_ada()
        assert self.entra.add(ada["id"], "title", "Countess of Lovelace").status_code in (200, 204)
        assert self.entra.add(
            ada["id"], 'phoneNumbers[type eq "mobile"].value', "+44 20 7946 0000"
        ).status_code in (200, 204)
        assert self.entra.add(
            ada["id"], f"{ENTERPRISE_URN}:department", "Difference Engines"
        ).status_code in (200, 204)
        doc = self.entra.get_user(ada["id"]).doc
        assert doc["title"] == "Countess of Lovelace"
        assert doc["phoneNumbers"] == [{"value": "+44 20 7946 0000", "type": "mobile"}]
        assert doc[ENTERPRISE_URN]["department"] == "Difference Engines"

    def test_manager_set_by_patch_with_a_bare_string_is_returned_as_an_object(self):
        ada, charles = self.create_ada(), self.create_charles()
        response = self.entra.set_manager(ada["id"], charles["id"])
        assert response.status_code in (200, 204)
        manager = self.entra.get_user(ada["id"]).doc[ENTERPRISE_URN]["manager"]
        assert isinstance(manager, dict) and manager["value"] == charles["id"]

    def test_manager_reference_check(self):
        ada, charles = self.create_ada(), self.create_charles()
        self.entra.set_manager(ada["id"], charles["id"])
        response = self.entra.check_manager(ada["id"], charles["id"])
        assert response.status_code == 200
        assert response.doc["Resources"] == [{"id": ada["id"]}] or [
            r["id"] for r in response.doc["Resources"]
        ] == [ada["id"]]

    def test_upn_rename(self):
        ada = self.create_ada()
        assert self.entra.update(ada["id"], userName="ada.king@example.test").status_code in (200, 204)
        assert self.entra.match_user("ada.king@example.test").doc["totalResults"] == 1

    def test_periodic_unchanged_patch_is_harmless(self):
        ada = self.create_ada()
        self.entra.reactivate(ada["id"])
        before = ScimUser.objects.get(scim_id=ada["id"]).version
        assert self.entra.reactivate(ada["id"]).status_code in (200, 204)
        assert ScimUser.objects.get(scim_id=ada["id"]).version == before

    def test_flag_dialect_pathless_replace_with_dotted_keys(self):
        ada = self.create_ada()
        flagged = self.flagged()
        response = flagged.update(
            ada["id"],
            **{
                'emails[type eq "work"].value': "ada.lovelace@example.test",
                "displayName": "Ada Lovelace",
                "name.givenName": "Augusta Ada",
                f"{ENTERPRISE_URN}:employeeNumber": "100044",
            },
        )
        assert response.status_code in (200, 204)
        assert "aadOptscim062020" in flagged.sent[-1]["url"]
        doc = flagged.get_user(ada["id"]).doc
        assert doc["name"]["givenName"] == "Augusta Ada"
        assert doc[ENTERPRISE_URN]["employeeNumber"] == "100044"


class TestDeactivateAndReactivate(EntraSession):
    def test_replace_active_string_false_deactivates_and_the_user_stays_findable(self):
        ada = self.create_ada()
        response = self.entra.deactivate(ada["id"])
        assert response.status_code in (200, 204)
        assert self.entra.sent[-1]["body"]["Operations"] == [
            {"op": "Replace", "path": "active", "value": "False"}
        ]
        assert self.entra.get_user(ada["id"]).doc["active"] is False
        found = self.entra.match_user("ada.lovelace@example.test").doc
        assert [(r["id"], r["active"]) for r in found["Resources"]] == [(ada["id"], False)]
        assert ScimUser.objects.get(scim_id=ada["id"]).membership.is_active is False

    def test_replace_active_string_true_reactivates(self):
        ada = self.create_ada()
        self.entra.deactivate(ada["id"])
        assert self.entra.reactivate(ada["id"]).status_code in (200, 204)
        assert self.entra.get_user(ada["id"]).doc["active"] is True
        assert ScimUser.objects.get(scim_id=ada["id"]).membership.is_active is True

    def test_add_active_sets_it(self):
        ada = self.create_ada()
        assert self.entra.add(ada["id"], "active", "False").status_code in (200, 204)
        assert self.entra.get_user(ada["id"]).doc["active"] is False
        assert self.entra.add(ada["id"], "active", True).status_code in (200, 204)
        assert self.entra.get_user(ada["id"]).doc["active"] is True

    def test_flag_dialect_boolean(self):
        ada = self.create_ada()
        assert self.flagged().deactivate(ada["id"]).status_code in (200, 204)
        assert self.entra.get_user(ada["id"]).doc["active"] is False


class TestGroups(EntraSession):
    def test_match_then_create_with_the_microsoft_schema_urn(self):
        assert self.entra.match_group("Analysts").doc["totalResults"] == 0
        response = self.entra.create_group("Analysts", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
        assert response.status_code == 201
        assert response.doc["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
        found = self.entra.match_group("Analysts").doc
        assert [g["id"] for g in found["Resources"]] == [response.doc["id"]]
        assert "members" not in found["Resources"][0]

    def test_group_read_honours_excluded_members(self):
        ada = self.create_ada()
        group = self.entra.create_group("Analysts").doc
        self.entra.add_members(group["id"], ada["id"])
        doc = self.entra.read_group(group["id"]).doc
        assert "members" not in doc and doc["displayName"] == "Analysts"

    def test_rename(self):
        group = self.entra.create_group("Analysts").doc
        assert self.entra.rename_group(group["id"], "Analysts (EMEA)").status_code in (200, 204)
        assert self.entra.read_group(group["id"]).doc["displayName"] == "Analysts (EMEA)"

    def test_delete_group(self):
        group = self.entra.create_group("Analysts").doc
        assert self.entra.delete_group(group["id"]).status_code == 204
        assert self.entra.get_group(group["id"]).status_code == 404


class TestMembers(EntraSession):
    def test_add_members_with_null_refs(self):
        ada, charles = self.create_ada(), self.create_charles()
        group = self.entra.create_group("Analysts").doc
        response = self.entra.add_members(group["id"], ada["id"], charles["id"])
        assert response.status_code in (200, 204)
        assert {m["value"] for m in self.entra.get_group(group["id"]).doc["members"]} == {
            ada["id"],
            charles["id"],
        }

    def test_remove_with_a_value_list_removes_only_those_members(self):
        ada, charles = self.create_ada(), self.create_charles()
        group = self.entra.create_group("Analysts").doc
        self.entra.add_members(group["id"], ada["id"], charles["id"])
        response = self.entra.remove_member(group["id"], charles["id"])
        assert response.status_code in (200, 204)
        assert [m["value"] for m in self.entra.get_group(group["id"]).doc["members"]] == [ada["id"]]

    def test_flag_dialect_removes_by_filter(self):
        ada, charles = self.create_ada(), self.create_charles()
        group = self.entra.create_group("Analysts").doc
        self.entra.add_members(group["id"], ada["id"], charles["id"])
        assert self.flagged().remove_member(group["id"], ada["id"]).status_code in (200, 204)
        assert [m["value"] for m in self.entra.get_group(group["id"]).doc["members"]] == [charles["id"]]


class TestHardDelete(EntraSession):
    def test_delete_after_the_soft_delete_window_answers_204_then_404(self):
        ada = self.create_ada()
        self.entra.deactivate(ada["id"])
        assert self.entra.delete_user(ada["id"]).status_code == 204
        assert self.entra.get_user(ada["id"]).status_code == 404
        assert self.entra.match_user("ada.lovelace@example.test").doc["totalResults"] == 0


class TestUrlFlag(EntraSession):
    def test_the_flag_in_the_query_string_is_tolerated_and_recognised(self):
        flagged = self.flagged()
        response = flagged.match_user("nobody@example.test")
        assert response.status_code == 200
        assert "aadOptscim062020" in flagged.sent[-1]["url"]
        assert flagged.get("/Users").status_code == 200
        assert self.refresh_integration().detected_idp == "Microsoft Entra ID"
