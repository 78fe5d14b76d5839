"""JumpCloud (Custom SCIM Identity Management) provisioning session, step by step: a write-heavy
Test Connection, per-attribute PATCHes, repeated member adds, value-list removals."""

from organizations.models import Membership, TeamMembership
from scim.models import ScimUser
from tests.scim.idp.bases import ENTERPRISE_URN, JumpCloudTestBase


class JumpCloudSession(JumpCloudTestBase):
    def create_katherine(self):
        response = self.jumpcloud.create_user(
            "katherine.johnson@example.test",
            "Katherine",
            "Johnson",
            title="Mathematician",
            phoneNumbers=[{"value": "+1 757 555 0142", "type": "work"}],
            **{ENTERPRISE_URN: {"employeeNumber": "E-1953", "department": "Flight Research"}},
        )
        assert response.status_code == 201, response.content
        return response.doc

    def create_dorothy(self):
        response = self.jumpcloud.create_user("dorothy.vaughan@example.test", "Dorothy", "Vaughan")
        assert response.status_code == 201, response.content
        return response.doc


class TestTestConnection(JumpCloudSession):
    def test_creates_and_deletes_a_test_user_and_group(self):
        result = self.jumpcloud.test_connection("jc-scim-test@example.test")
        assert result["user"].status_code == 201 and result["user"].doc["id"]
        assert result["group"].status_code == 201 and result["group"].doc["id"]
        assert result["delete_group"].status_code == 204
        assert result["delete_user"].status_code == 204
        assert [r["method"] for r in self.jumpcloud.sent] == ["POST", "POST", "DELETE", "DELETE"]
        assert self.jumpcloud.get_user(result["user"].doc["id"]).status_code == 404
        assert self.jumpcloud.get_group(result["group"].doc["id"]).status_code == 404

    def test_the_test_user_leaves_no_access_behind(self):
        result = self.jumpcloud.test_connection("jc-scim-test@example.test")
        membership = ScimUser.objects.get(scim_id=result["user"].doc["id"]).membership
        assert membership.is_active is False

    def test_test_connection_can_run_again_with_the_same_email(self):
        self.jumpcloud.test_connection("jc-scim-test@example.test")
        again = self.jumpcloud.test_connection("jc-scim-test@example.test")
        assert again["user"].status_code == 201
        assert again["delete_user"].status_code == 204

    def test_a_jumpcloud_user_agent_is_recognised(self):
        self.jumpcloud.get("/Users", headers={"User-Agent": "JumpCloud-SCIM/2.0"})
        assert self.refresh_integration().detected_idp == "JumpCloud"


class TestLookupBeforeCreate(JumpCloudSession):
    def test_user_lookup_on_an_empty_tenant(self):
        response = self.jumpcloud.find_user("katherine.johnson@example.test")
        assert response.status_code == 200 and response.doc["totalResults"] == 0

    def test_group_takeover_lookup_finds_an_existing_group_by_name(self):
        katherine = self.create_katherine()
        group = self.jumpcloud.create_group("Flight Research", katherine["id"]).doc
        found = self.jumpcloud.find_group("Flight Research").doc
        assert [g["id"] for g in found["Resources"]] == [group["id"]]


class TestCreate(JumpCloudSession):
    def test_create_answers_201_with_id_and_every_attribute(self):
        doc = self.create_katherine()
        assert doc["id"] and doc["active"] is True
        assert doc["title"] == "Mathematician"
        assert doc["phoneNumbers"] == [{"value": "+1 757 555 0142", "type": "work"}]
        assert doc[ENTERPRISE_URN] == {"employeeNumber": "E-1953", "department": "Flight Research"}


class TestReadBack(JumpCloudSession):
    def test_get_user(self):
        katherine = self.create_katherine()
        response = self.jumpcloud.get_user(katherine["id"])
        assert response.status_code == 200
        assert response["Content-Type"] == "application/scim+json"
        assert response.doc["userName"] == "katherine.johnson@example.test"


class TestUpdates(JumpCloudSession):
    def test_one_replace_per_attribute(self):
        katherine = self.create_katherine()
        response = self.jumpcloud.update_user(
            katherine["id"],
            **{
                "name.givenName": "Katherine G.",
                "title": "Research Mathematician",
                f"{ENTERPRISE_URN}:department": "Analysis and Computation",
            },
        )
        assert response.status_code in (200, 204)
        doc = self.jumpcloud.get_user(katherine["id"]).doc
        assert doc["name"]["givenName"] == "Katherine G."
        assert doc["title"] == "Research Mathematician"
        assert doc[ENTERPRISE_URN] == {"employeeNumber": "E-1953", "department": "Analysis and Computation"}


class TestGroups(JumpCloudSession):
    def test_group_arrives_with_its_members(self):
        katherine = self.create_katherine()
        response = self.jumpcloud.create_group("Flight Research", katherine["id"])
        assert response.status_code == 201
        assert [m["value"] for m in response.doc["members"]] == [katherine["id"]]

    def test_rename(self):
        katherine = self.create_katherine()
        group = self.jumpcloud.create_group("Flight Research", katherine["id"]).doc
        assert self.jumpcloud.rename_group(group["id"], "Flight Research Division").status_code in (200, 204)
        assert self.jumpcloud.get_group(group["id"]).doc["displayName"] == "Flight Research Division"

    def test_delete_group_keeps_its_people(self):
        katherine = self.create_katherine()
        group = self.jumpcloud.create_group("Flight Research", katherine["id"]).doc
        assert self.jumpcloud.delete_group(group["id"]).status_code == 204
        assert self.jumpcloud.get_user(katherine["id"]).status_code == 200


class TestMembers(JumpCloudSession):
    def test_repeated_adds_are_not_errors_and_add_nobody_twice(self):
        katherine, dorothy = self.create_katherine(), self.create_dorothy()
        group = self.jumpcloud.create_group("Flight Research", katherine["id"]).doc
        assert self.jumpcloud.add_member(group["id"], dorothy["id"]).status_code in (200, 204)
        assert self.jumpcloud.add_member(group["id"], dorothy["id"]).status_code in (200, 204)
        members = [m["value"] for m in self.jumpcloud.get_group(group["id"]).doc["members"]]
        assert sorted(members) == sorted([katherine["id"], dorothy["id"]])
        assert TeamMembership.objects.filter(membership__scim_user__scim_id=dorothy["id"]).count() == 1

    def test_remove_with_a_value_list_removes_only_that_member(self):
        katherine, dorothy = self.create_katherine(), self.create_dorothy()
        group = self.jumpcloud.create_group("Flight Research", katherine["id"], dorothy["id"]).doc
        assert self.jumpcloud.remove_member(group["id"], dorothy["id"]).status_code in (200, 204)
        assert [m["value"] for m in self.jumpcloud.get_group(group["id"]).doc["members"]] == [katherine["id"]]


class TestDeprovisionAndReprovision(JumpCloudSession):
    def test_deprovision_keeps_the_user_findable(self):
        katherine = self.create_katherine()
        assert self.jumpcloud.deprovision(katherine["id"]).status_code in (200, 204)
        found = self.jumpcloud.find_user("katherine.johnson@example.test").doc["Resources"]
        assert [(r["id"], r["active"]) for r in found] == [(katherine["id"], False)]
        assert Membership.objects.get(scim_user__scim_id=katherine["id"]).is_active is False

    def test_reprovision(self):
        katherine = self.create_katherine()
        self.jumpcloud.deprovision(katherine["id"])
        assert self.jumpcloud.reprovision(katherine["id"]).status_code in (200, 204)
        assert self.jumpcloud.get_user(katherine["id"]).doc["active"] is True


class TestDelete(JumpCloudSession):
    def test_delete_user_then_404(self):
        katherine = self.create_katherine()
        assert self.jumpcloud.delete_user(katherine["id"]).status_code == 204
        assert self.jumpcloud.get_user(katherine["id"]).status_code == 404
