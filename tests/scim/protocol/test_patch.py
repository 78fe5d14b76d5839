"""PATCH (RFC 7644 section 3.5.2) on canonical documents, with the exact request shapes of Okta,
Entra (both dialects), OneLogin and JumpCloud from /work/shared/cases and IDP-BEHAVIORS.md."""

from __future__ import annotations

import copy

import pytest

from scim.protocol.errors import ScimError
from scim.protocol.patch import (
    GroupPatchResult,
    MemberDelta,
    Operation,
    apply_group_patch,
    apply_user_patch,
    parse_patch_request,
)
from scim.protocol.schemas import ENTERPRISE_URN, PATCH_OP_URN, USER_URN

USER_ID = "2819c223-7f76-453a-919d-413861904646"
GROUP_ID = "e9e30dba-f08f-4109-8486-d5c6a331660a"
ENT = ENTERPRISE_URN

ADA = {
    "externalId": "ada.lovelace",
    "userName": "ada.lovelace@example.test",
    "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
    "displayName": "Ada Lovelace",
    "title": "Analyst",
    "active": True,
    "emails": [{"value": "ada.lovelace@example.test", "type": "work", "primary": True}],
    ENT: {"employeeNumber": "100042", "department": "Analytical Engines"},
}
TEAM = {"displayName": "Analysts", "externalId": "8aa1a0c0"}


def body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


def patch_user(document: dict, *operations: dict) -> dict:
    before = copy.deepcopy(document)
    result = apply_user_patch(document, parse_patch_request(body(*operations)), current_id=USER_ID)
    assert document == before, "the caller's document must never be modified"
    return result


def patch_group(document: dict, *operations: dict) -> GroupPatchResult:
    before = copy.deepcopy(document)
    result = apply_group_patch(document, parse_patch_request(body(*operations)), current_id=GROUP_ID)
    assert document == before, "the caller's document must never be modified"
    return result


def error_of(call, *args, **kwargs) -> ScimError:
    with pytest.raises(ScimError) as info:
        call(*args, **kwargs)
    assert info.value.status == 400
    return info.value


def user_error(*operations: dict, document: dict = ADA) -> ScimError:
    before = copy.deepcopy(document)
    error = error_of(patch_user, document, *operations)
    assert document == before
    return error


def group_error(*operations: dict, document: dict = TEAM) -> ScimError:
    return error_of(patch_group, document, *operations)


def with_changes(document: dict, **changes) -> dict:
    result = copy.deepcopy(document)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


# === parse_patch_request =========================================================================


def test_op_names_are_matched_in_any_case():
    operations = parse_patch_request(
        body(
            {"op": "Add", "path": "title", "value": "x"},
            {"op": "REPLACE", "path": "title", "value": "y"},
            {"op": "Remove", "path": "title"},
        )
    )
    assert [operation.op for operation in operations] == ["add", "replace", "remove"]


@pytest.mark.parametrize("op", ["Delete", "update", "", None, 3, ["add"]])
def test_unknown_op_words_are_invalid_syntax(op):
    # cases/users/B04: "Delete" must still be refused.
    error = error_of(parse_patch_request, body({"op": op, "path": "nickName"}))
    assert error.scim_type == "invalidSyntax"
    assert "op must be" in error.detail


def test_operations_key_and_member_names_are_case_insensitive():
    # cases/users/B26: a client sends `operations`; others `Op`, `Path`, `Value`.
    operations = parse_patch_request(
        {
            "schemas": [PATCH_OP_URN],
            "operations": [{"Op": "replace", "Path": "displayName", "Value": "Alex P."}],
        }
    )
    assert len(operations) == 1
    assert (operations[0].op, operations[0].path_text, operations[0].value) == (
        "replace",
        "displayName",
        "Alex P.",
    )


@pytest.mark.parametrize(
    "request_body,detail",
    [
        ({"schemas": [PATCH_OP_URN], "Operations": "not-a-list"}, "Operations must be a non-empty array"),
        ({"schemas": [PATCH_OP_URN], "Operations": []}, "Operations must be a non-empty array"),
        ({"schemas": [PATCH_OP_URN]}, "Operations is required"),
        ({"schemas": [USER_URN], "Operations": [{"op": "add", "value": {}}]}, "schemas must contain"),
        ({"schemas": "nonsense", "Operations": [{"op": "add", "value": {}}]}, "schemas must contain"),
        ({"Operations": ["add"]}, "Operations[0] must be an object"),
        ([{"op": "add"}], "must be a JSON object"),
        ("Operations", "must be a JSON object"),
        (None, "must be a JSON object"),
    ],
)
def test_malformed_bodies_are_invalid_syntax(request_body, detail):
    # cases/users/B26: malformed bodies get 400, never 500.
    error = error_of(parse_patch_request, request_body)
    assert error.scim_type == "invalidSyntax"
    assert detail in error.detail


def test_missing_schemas_is_tolerated():
    operations = parse_patch_request({"Operations": [{"op": "replace", "value": {"active": False}}]})
    assert operations == [Operation("replace", None, {"active": False}, True, None)]


def test_more_operations_than_allowed_is_refused():
    operations = [{"op": "replace", "path": "title", "value": str(i)} for i in range(3)]
    assert len(parse_patch_request(body(*operations), max_operations=3)) == 3
    error = error_of(parse_patch_request, body(*operations), max_operations=2)
    assert error.scim_type == "invalidSyntax"
    assert "at most 2 operations" in error.detail


@pytest.mark.parametrize("path", [7, ["title"], {"attr": "title"}])
def test_a_path_that_is_not_a_string_is_invalid_path(path):
    assert error_of(parse_patch_request, body({"op": "remove", "path": path})).scim_type == "invalidPath"


@pytest.mark.parametrize("path", ['emails[type eq "work"', "emails[type zz 1]", "name..givenName", "a b"])
def test_unparsable_paths_are_invalid_path(path):
    assert error_of(parse_patch_request, body({"op": "remove", "path": path})).scim_type == "invalidPath"


@pytest.mark.parametrize("op", ["add", "replace"])
def test_add_and_replace_need_a_value(op):
    error = error_of(parse_patch_request, body({"op": op, "path": "title"}))
    assert "needs a value" in error.detail


def test_empty_path_means_no_path():
    (operation,) = parse_patch_request(body({"op": "replace", "path": "", "value": {"active": False}}))
    assert operation.path is None


# === Users: the IdPs' own requests ===============================================================


def test_okta_pathless_replace_deactivates_and_reactivates():
    deactivated = patch_user(ADA, {"op": "replace", "value": {"active": False}})
    assert deactivated == with_changes(ADA, active=False)
    assert patch_user(deactivated, {"op": "replace", "value": {"active": True}}) == ADA


def test_okta_password_sync_is_accepted_and_dropped():
    assert patch_user(ADA, {"op": "replace", "value": {"password": "Sample-Passw0rd-42"}}) == ADA
    assert patch_user(ADA, {"op": "replace", "path": "password", "value": "x"}) == ADA


@pytest.mark.parametrize(
    "text,expected", [("False", False), ("True", True), ("false", False), ("TRUE", True)]
)
def test_entra_replace_active_with_a_string_boolean(text, expected):
    # cases/users/B01: Entra's default dialect sends "False"/"True".
    result = patch_user(ADA, {"op": "Replace", "path": "active", "value": text})
    assert result == with_changes(ADA, active=expected)


def test_entra_pathless_active_string_false():
    assert patch_user(ADA, {"op": "replace", "value": {"active": "False"}})["active"] is False


@pytest.mark.parametrize("value", ["no", "0", 0, "", ["False"]])
def test_other_values_for_a_boolean_are_invalid_value(value):
    error = user_error({"op": "replace", "path": "active", "value": value})
    assert error.scim_type == "invalidValue"
    assert "active must be a boolean" in error.detail


def test_entra_capitalised_replace_and_remove():
    # cases/users/B04.
    document = with_changes(ADA, nickName="ally")
    result = patch_user(
        document,
        {"op": "Replace", "path": "displayName", "value": "Alex D."},
        {"op": "Remove", "path": "nickName"},
    )
    assert result == with_changes(ADA, displayName="Alex D.")


def test_entra_default_dialect_batch():
    # cases/idp/entra.json update_replace_default_dialect, and cases/users/B11.
    result = patch_user(
        ADA,
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada.king@example.test"},
        {"op": "Replace", "path": "name.familyName", "value": "King"},
        {"op": "Replace", "path": "displayName", "value": "Ada King"},
        {"op": "Replace", "path": f"{ENT}:employeeNumber", "value": "100043"},
    )
    assert result == {
        "externalId": "ada.lovelace",
        "userName": "ada.lovelace@example.test",
        "name": {"formatted": "Ada Lovelace", "familyName": "King", "givenName": "Ada"},
        "displayName": "Ada King",
        "title": "Analyst",
        "active": True,
        "emails": [{"value": "ada.king@example.test", "type": "work", "primary": True}],
        ENT: {"employeeNumber": "100043", "department": "Analytical Engines"},
    }


def test_entra_add_on_single_values_and_upsert_of_a_typed_phone():
    # cases/idp/entra.json add_single_values: Add replaces single values; the mobile number is new.
    result = patch_user(
        ADA,
        {"op": "Add", "path": "title", "value": "Countess of Lovelace"},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+44 20 7946 0000"},
        {"op": "Add", "path": f"{ENT}:department", "value": "Difference Engines"},
    )
    assert result == with_changes(
        ADA,
        title="Countess of Lovelace",
        phoneNumbers=[{"value": "+44 20 7946 0000", "type": "mobile"}],
        **{ENT: {"employeeNumber": "100042", "department": "Difference Engines"}},
    )


def test_entra_manager_as_a_bare_string_becomes_an_object():
    # cases/idp/entra.json set_manager.
    result = patch_user(
        ADA, {"op": "Add", "path": f"{ENT}:manager", "value": "26118915-6090-4610-87e4-49d8ca9f808d"}
    )
    assert result[ENT] == {
        "employeeNumber": "100042",
        "department": "Analytical Engines",
        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"},
    }


def test_entra_legacy_manager_path_with_a_ref_list():
    # ENTRA-TUT example 5: unqualified `manager` path and an array value.
    result = patch_user(
        ADA, {"op": "Replace", "path": "manager", "value": [{"$ref": "http://x/Users/m1", "value": "m1"}]}
    )
    assert result[ENT]["manager"] == {"value": "m1", "$ref": "http://x/Users/m1"}


def test_a_new_manager_replaces_the_whole_manager_object():
    document = with_changes(ADA, **{ENT: {"manager": {"value": "m1", "$ref": "http://x/Users/m1"}}})
    result = patch_user(document, {"op": "add", "path": f"{ENT}:manager", "value": "m2"})
    assert result[ENT] == {"manager": {"value": "m2"}}


def test_manager_value_sub_path():
    result = patch_user(ADA, {"op": "replace", "path": f"{ENT}:manager.value", "value": "m3"})
    assert result[ENT]["manager"] == {"value": "m3"}
    assert "manager" not in patch_user(result, {"op": "remove", "path": f"{ENT}:manager.value"})[ENT]
    assert "manager" not in patch_user(result, {"op": "remove", "path": f"{ENT}:manager"})[ENT]


def test_entra_flag_pathless_replace_with_dotted_and_urn_keys():
    # cases/idp/entra.json flag_pathless_replace (aadOptscim062020 dialect).
    document = patch_user(ADA, {"op": "Replace", "path": "name.givenName", "value": "A."})
    result = patch_user(
        document,
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ada.lovelace@example.test"},
        {
            "op": "replace",
            "value": {
                "displayName": "Ada Lovelace",
                "name.givenName": "Augusta Ada",
                "name.familyName": "Lovelace",
                f"{ENT}:employeeNumber": "100044",
            },
        },
    )
    assert result == {
        "externalId": "ada.lovelace",
        "userName": "ada.lovelace@example.test",
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Augusta Ada"},
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "active": True,
        "emails": [{"value": "ada.lovelace@example.test", "type": "work", "primary": True}],
        ENT: {"employeeNumber": "100044", "department": "Analytical Engines"},
    }


def test_pathless_whole_extension_object_sets_only_the_given_attributes():
    result = patch_user(ADA, {"op": "replace", "value": {ENT: {"department": "Engines", "costCenter": "7"}}})
    assert result[ENT] == {"employeeNumber": "100042", "costCenter": "7", "department": "Engines"}


def test_entra_resending_unchanged_values_returns_an_equal_document():
    # Entra re-PATCHes active=true on every cycle (SENTRY-16258); cases/idp/entra.json add_active_boolean.
    assert patch_user(ADA, {"op": "Add", "path": "active", "value": True}) == ADA
    assert patch_user(ADA, {"op": "Replace", "path": "active", "value": "True"}) == ADA
    assert patch_user(ADA, {"op": "add", "path": "emails", "value": ADA["emails"]}) == ADA


def test_jumpcloud_one_operation_per_attribute():
    # cases/idp/jumpcloud.json update_user_per_attribute.
    result = patch_user(
        ADA,
        {"op": "replace", "path": "name.givenName", "value": "Katherine G."},
        {"op": "replace", "path": "title", "value": "Research Mathematician"},
        {"op": "replace", "path": f"{ENT}:department", "value": "Analysis and Computation"},
    )
    assert result["name"] == {
        "formatted": "Ada Lovelace",
        "familyName": "Lovelace",
        "givenName": "Katherine G.",
    }
    assert result["title"] == "Research Mathematician"
    assert result[ENT] == {"employeeNumber": "100042", "department": "Analysis and Computation"}


# === Users: value paths ==========================================================================


@pytest.mark.parametrize("op", ["Add", "Replace"])
def test_entra_typed_email_path_creates_the_missing_email(op):
    # cases/users/B12: the user has no email yet.
    document = with_changes(ADA, emails=None)
    result = patch_user(
        document, {"op": op, "path": 'emails[type eq "work"].value', "value": "b12@example.test"}
    )
    assert result == with_changes(ADA, emails=[{"value": "b12@example.test", "type": "work"}])


def test_addresses_typed_path_creates_and_then_updates_the_street():
    document = patch_user(
        ADA, {"op": "Replace", "path": 'addresses[type eq "work"].streetAddress', "value": "1 Way"}
    )
    assert document["addresses"] == [{"streetAddress": "1 Way", "type": "work"}]
    document = patch_user(
        document, {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Leeds"}
    )
    assert document["addresses"] == [{"streetAddress": "1 Way", "locality": "Leeds", "type": "work"}]


def test_replace_with_another_filter_matching_nothing_is_no_target():
    error = user_error(
        {"op": "replace", "path": 'emails[value eq "nobody@example.test"].type', "value": "home"}
    )
    assert error.scim_type == "noTarget"
    error = user_error(
        {"op": "replace", "path": 'emails[type eq "home" and primary eq true].value', "value": "x"}
    )
    assert error.scim_type == "noTarget"


def test_add_with_an_equality_filter_creates_the_element_it_describes():
    result = patch_user(
        ADA,
        {
            "op": "add",
            "path": 'emails[type eq "home" and display eq "Home"].value',
            "value": "h@example.test",
        },
    )
    assert result["emails"][1] == {"value": "h@example.test", "display": "Home", "type": "home"}


def test_add_with_a_filter_that_describes_no_element_is_no_target():
    error = user_error({"op": "add", "path": 'emails[type eq "home" or type eq "other"].value', "value": "x"})
    assert error.scim_type == "noTarget"


def test_remove_with_a_filter_matching_nothing_is_a_no_op():
    assert patch_user(ADA, {"op": "remove", "path": 'emails[type eq "home"]'}) == ADA
    assert patch_user(ADA, {"op": "remove", "path": 'phoneNumbers[type eq "mobile"].value'}) == ADA


def test_remove_of_a_typed_value_removes_that_element():
    document = with_changes(
        ADA, emails=[{"value": "w@x", "type": "work", "primary": True}, {"value": "h@x", "type": "home"}]
    )
    assert patch_user(document, {"op": "Remove", "path": 'emails[type eq "work"].value'})["emails"] == [
        {"value": "h@x", "type": "home"}
    ]
    assert patch_user(document, {"op": "remove", "path": 'emails[type eq "home"]'})["emails"] == [
        {"value": "w@x", "type": "work", "primary": True}
    ]


def test_remove_of_a_sub_attribute_keeps_the_element():
    document = patch_user(ADA, {"op": "remove", "path": 'emails[type eq "work"].primary'})
    assert document["emails"] == [{"value": "ada.lovelace@example.test", "type": "work"}]


def test_replace_of_a_whole_filtered_element_keeps_what_the_filter_pinned():
    result = patch_user(ADA, {"op": "replace", "path": 'emails[type eq "work"]', "value": {"value": "new@x"}})
    assert result["emails"] == [{"value": "new@x", "type": "work"}]


def test_add_to_a_filtered_element_merges():
    result = patch_user(ADA, {"op": "add", "path": 'emails[type eq "work"]', "value": {"display": "Work"}})
    assert result["emails"] == [
        {"value": "ada.lovelace@example.test", "display": "Work", "type": "work", "primary": True}
    ]


def test_value_filter_matches_case_insensitively_per_schema():
    # `type` is caseExact false (RFC 7643 4.1.2), so "WORK" finds "work".
    result = patch_user(ADA, {"op": "replace", "path": 'emails[type eq "WORK"].value', "value": "x@x"})
    assert result["emails"] == [{"value": "x@x", "type": "work", "primary": True}]


def test_a_filter_on_a_single_valued_attribute_is_invalid_path():
    error = user_error({"op": "replace", "path": 'name[givenName eq "Ada"].familyName', "value": "x"})
    assert error.scim_type == "invalidPath"


def test_a_sub_attribute_of_every_value_without_a_filter():
    document = with_changes(ADA, emails=[{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}])
    result = patch_user(document, {"op": "replace", "path": "emails.display", "value": "mail"})
    assert result["emails"] == [
        {"value": "a@x", "display": "mail", "type": "work"},
        {"value": "b@x", "display": "mail", "type": "home"},
    ]
    assert patch_user(result, {"op": "remove", "path": "emails.display"})["emails"] == document["emails"]
    created = patch_user(
        with_changes(ADA, emails=None), {"op": "add", "path": "emails.value", "value": "c@x"}
    )
    assert created["emails"] == [{"value": "c@x"}]


# === Users: multi-valued attributes ==============================================================


def test_add_appends_without_duplicating_an_identical_value():
    # JumpCloud repeats its adds.
    home = {"value": "home@example.test", "type": "home"}
    once = patch_user(ADA, {"op": "add", "path": "emails", "value": [home]})
    twice = patch_user(once, {"op": "add", "path": "emails", "value": [home]})
    assert once == twice == with_changes(ADA, emails=[*ADA["emails"], home])


def test_add_accepts_a_single_object_for_a_multi_valued_attribute():
    result = patch_user(ADA, {"op": "add", "path": "phoneNumbers", "value": {"value": "+1", "type": "work"}})
    assert result["phoneNumbers"] == [{"value": "+1", "type": "work"}]


def test_replace_of_a_multi_valued_attribute_with_a_list_replaces_all():
    result = patch_user(
        ADA, {"op": "replace", "path": "emails", "value": [{"value": "only@x", "type": "home"}]}
    )
    assert result["emails"] == [{"value": "only@x", "type": "home"}]


def test_pathless_replace_of_a_multi_valued_attribute_replaces_all():
    result = patch_user(ADA, {"op": "replace", "value": {"emails": [{"value": "only@x"}]}})
    assert result["emails"] == [{"value": "only@x"}]


@pytest.mark.parametrize(
    "operation", [{"op": "remove", "path": "emails"}, {"op": "replace", "path": "emails", "value": []}]
)
def test_removing_a_whole_multi_valued_attribute_clears_it(operation):
    assert patch_user(ADA, operation) == with_changes(ADA, emails=None)


def test_entra_remove_with_a_value_list_on_emails_removes_only_listed():
    document = with_changes(ADA, emails=[{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}])
    result = patch_user(document, {"op": "Remove", "path": "emails", "value": [{"value": "A@X"}]})
    assert result["emails"] == [{"value": "b@x", "type": "home"}]


def test_setting_a_new_primary_clears_the_old_one():
    home = {"value": "home@example.test", "type": "home", "primary": True}
    result = patch_user(ADA, {"op": "add", "path": "emails", "value": [home]})
    assert result["emails"] == [
        {"value": "ada.lovelace@example.test", "type": "work", "primary": False},
        {"value": "home@example.test", "type": "home", "primary": True},
    ]
    back = patch_user(result, {"op": "replace", "path": 'emails[type eq "work"].primary', "value": "True"})
    assert back["emails"] == [
        {"value": "ada.lovelace@example.test", "type": "work", "primary": True},
        {"value": "home@example.test", "type": "home", "primary": False},
    ]


def test_a_replaced_list_with_several_primaries_keeps_the_first():
    result = patch_user(
        ADA,
        {
            "op": "replace",
            "path": "emails",
            "value": [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}],
        },
    )
    assert result["emails"] == [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": False}]


# === Users: complex and simple attributes ========================================================


def test_replace_of_a_complex_attribute_keeps_unspecified_sub_attributes():
    # RFC 7644 3.5.2.3: "Sub-attributes that are not specified in the value parameter are left unchanged."
    result = patch_user(ADA, {"op": "replace", "path": "name", "value": {"givenName": "Augusta"}})
    assert result["name"] == {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Augusta"}
    result = patch_user(ADA, {"op": "replace", "value": {"name": {"GivenName": "Augusta"}}})
    assert result["name"] == {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Augusta"}


def test_add_of_a_sub_attribute_creates_the_complex_attribute():
    result = patch_user(
        with_changes(ADA, name=None), {"op": "add", "path": "name.middleName", "value": "Augusta"}
    )
    assert result["name"] == {"middleName": "Augusta"}


def test_removing_the_last_sub_attribute_removes_the_complex_attribute():
    document = with_changes(ADA, name={"givenName": "Ada"})
    assert "name" not in patch_user(document, {"op": "remove", "path": "name.givenName"})
    assert "name" not in patch_user(ADA, {"op": "remove", "path": "name"})


def test_null_value_unassigns():
    assert "title" not in patch_user(ADA, {"op": "replace", "path": "title", "value": None})
    assert "title" not in patch_user(ADA, {"op": "replace", "value": {"title": None}})


def test_core_urn_qualified_paths():
    result = patch_user(ADA, {"op": "replace", "path": f"{USER_URN}:displayName", "value": "A"})
    assert result["displayName"] == "A"
    result = patch_user(ADA, {"op": "replace", "path": f"{USER_URN}:name.givenName", "value": "B"})
    assert result["name"]["givenName"] == "B"


def test_pre_rfc_extension_urn_path():
    result = patch_user(
        ADA,
        {"op": "replace", "path": "urn:scim:schemas:extension:enterprise:2.0:User:department", "value": "X"},
    )
    assert result[ENT]["department"] == "X"


def test_whole_extension_path():
    result = patch_user(ADA, {"op": "add", "path": ENT, "value": {"costCenter": "9"}})
    assert result[ENT] == {"employeeNumber": "100042", "costCenter": "9", "department": "Analytical Engines"}
    assert patch_user(ADA, {"op": "remove", "path": ENT}) == with_changes(ADA, **{ENT: None})


def test_removing_the_last_extension_attribute_removes_the_extension():
    document = with_changes(ADA, **{ENT: {"department": "X"}})
    assert ENT not in patch_user(document, {"op": "remove", "path": f"{ENT}:department"})


def test_attribute_names_in_paths_are_case_insensitive():
    result = patch_user(ADA, {"op": "replace", "path": "DisplayName", "value": "A"})
    assert result["displayName"] == "A"
    result = patch_user(ADA, {"op": "replace", "path": 'Emails[Type eq "work"].Value', "value": "b@x"})
    assert result["emails"][0]["value"] == "b@x"


# === Users: errors ===============================================================================


@pytest.mark.parametrize(
    "path", ["id", "meta", "meta.created", "groups", 'groups[value eq "g"]', f"{ENT}:manager.displayName"]
)
def test_pathed_operations_on_read_only_attributes_are_mutability_errors(path):
    error = user_error({"op": "replace", "path": path, "value": "x"})
    assert error.scim_type == "mutability"
    assert path.split("[")[0] in error.detail


def test_pathless_read_only_keys_are_ignored():
    value = {
        "id": USER_ID,
        "meta": {"resourceType": "User"},
        "schemas": [USER_URN],
        "groups": [],
        "title": "T",
    }
    assert patch_user(ADA, {"op": "replace", "value": value}) == with_changes(ADA, title="T")


def test_pathless_id_of_another_resource_is_a_mutability_error():
    error = user_error({"op": "replace", "value": {"id": "someone-else", "title": "T"}})
    assert error.scim_type == "mutability"


def test_unknown_paths_are_invalid_path_naming_them():
    error = user_error({"op": "replace", "path": "favouriteColour", "value": "blue"})
    assert error.scim_type == "invalidPath"
    assert "favouriteColour" in error.detail
    assert user_error({"op": "remove", "path": "name.nickname"}).scim_type == "invalidPath"
    assert (
        user_error({"op": "remove", "path": "urn:example:custom:2.0:User:badge"}).scim_type == "invalidPath"
    )


def test_unknown_keys_in_a_pathless_value_are_ignored():
    value = {
        "favouriteColour": "blue",
        "urn:example:custom:2.0:User:badge": "7",
        "name.nickname": "x",
        "title": "T",
    }
    assert patch_user(ADA, {"op": "replace", "value": value}) == with_changes(ADA, title="T")


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "userName"},
        {"op": "replace", "path": "userName", "value": ""},
        {"op": "replace", "path": "userName", "value": None},
        {"op": "replace", "value": {"userName": None}},
    ],
)
def test_removing_the_required_username_is_invalid_value(operation):
    error = user_error(operation)
    assert error.scim_type == "invalidValue"
    assert "userName is required" in error.detail


@pytest.mark.parametrize(
    "operation,detail",
    [
        ({"op": "replace", "path": "userName", "value": 42}, "userName must be a string"),
        ({"op": "replace", "path": "name", "value": "Ada"}, "name must be an object"),
        ({"op": "replace", "path": "emails", "value": "a@x"}, "emails must be an array"),
        ({"op": "replace", "path": 'emails[type eq "work"].value', "value": 7}, "must be a string"),
        ({"op": "replace", "value": {"name.givenName": ["x"]}}, "name.givenName must be a string"),
        ({"op": "replace", "value": {ENT: "x"}}, "must be an object"),
    ],
)
def test_wrong_types_are_invalid_value_naming_the_attribute(operation, detail):
    error = user_error(operation)
    assert error.scim_type == "invalidValue"
    assert detail in error.detail


def test_remove_without_a_path_is_no_target():
    assert user_error({"op": "remove", "value": {"title": "Analyst"}}).scim_type == "noTarget"


@pytest.mark.parametrize("value", ["active", ["active"], 5, True])
def test_pathless_add_or_replace_needs_an_object(value):
    assert user_error({"op": "replace", "value": value}).scim_type == "invalidValue"


def test_a_failing_operation_leaves_the_document_untouched():
    # RFC 7644 3.5.2: all or nothing. The first two operations succeed on the working copy.
    document = copy.deepcopy(ADA)
    error = user_error(
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "add", "path": "emails", "value": [{"value": "x@x"}]},
        {"op": "replace", "path": "nonsense", "value": 1},
        document=document,
    )
    assert error.scim_type == "invalidPath"
    assert document == ADA


def test_operations_apply_in_order():
    result = patch_user(
        ADA,
        {"op": "replace", "path": "title", "value": "One"},
        {"op": "remove", "path": "title"},
        {"op": "add", "path": "title", "value": "Two"},
    )
    assert result["title"] == "Two"


def test_operations_built_directly_are_accepted():
    operations = parse_patch_request(body({"op": "replace", "path": "title", "value": "X"}))
    assert apply_user_patch(ADA, operations, current_id=USER_ID)["title"] == "X"


# === Groups ======================================================================================


def test_okta_add_member_with_display():
    result = patch_group(
        TEAM, {"op": "add", "path": "members", "value": [{"value": "u1", "display": "ada@x"}]}
    )
    assert result == GroupPatchResult(TEAM, MemberDelta(add=["u1"], displays={"u1": "ada@x"}))


def test_entra_add_members_with_null_ref():
    result = patch_group(
        TEAM,
        {
            "op": "Add",
            "path": "members",
            "value": [{"$ref": None, "value": "u1"}, {"$ref": None, "value": "u2"}],
        },
    )
    assert result.members == MemberDelta(add=["u1", "u2"])
    assert result.document == TEAM


def test_pathless_add_of_members():
    result = patch_group(TEAM, {"op": "add", "value": {"members": [{"value": "u1"}]}})
    assert result.members == MemberDelta(add=["u1"])


def test_jumpcloud_repeated_add_is_de_duplicated():
    result = patch_group(
        TEAM,
        {"op": "add", "path": "members", "value": [{"value": "u2"}]},
        {"op": "add", "path": "members", "value": [{"value": "u2"}, {"value": "u2"}]},
    )
    assert result.members == MemberDelta(add=["u2"])


def test_okta_remove_member_by_value_filter():
    # cases/groups/B06.
    result = patch_group(TEAM, {"op": "remove", "path": 'members[value eq "u1"]'})
    assert result.members == MemberDelta(remove={"u1"})


def test_remove_members_by_an_or_filter():
    result = patch_group(
        TEAM, {"op": "remove", "path": 'members[value eq "a" or value eq "b" or Value EQ "c"]'}
    )
    assert result.members == MemberDelta(remove={"a", "b", "c"})


def test_remove_of_hundreds_of_members_in_one_or_filter():
    ids = [f"u{i}" for i in range(200)]
    path = "members[" + " or ".join(f'value eq "{i}"' for i in ids) + "]"
    assert patch_group(TEAM, {"op": "remove", "path": path}).members == MemberDelta(remove=set(ids))


@pytest.mark.parametrize(
    "path",
    [
        'members[display eq "Ada"]',
        'members[value ne "u1"]',
        'members[value eq "u1" and type eq "User"]',
        "members[value pr]",
        'members[value sw "u"]',
        "members[value eq 5]",
    ],
)
def test_a_members_filter_on_anything_but_value_eq_is_invalid_filter(path):
    error = group_error({"op": "remove", "path": path})
    assert error.scim_type == "invalidFilter"
    assert 'value eq "<id>"' in error.detail


def test_entra_remove_members_with_value_list_removes_only_listed():
    # cases/groups/B07 and cases/idp/entra.json remove_member_default_dialect: NEVER empty the group.
    result = patch_group(TEAM, {"op": "Remove", "path": "members", "value": [{"value": "u1"}]})
    assert result.members == MemberDelta(replace_all=False, add=[], remove={"u1"})


def test_jumpcloud_remove_members_with_value_list_removes_only_listed():
    result = patch_group(
        TEAM, {"op": "remove", "path": "members", "value": [{"value": "u2"}, {"value": "u3"}]}
    )
    assert result.members == MemberDelta(remove={"u2", "u3"})


def test_remove_members_with_an_empty_value_list_removes_nothing():
    assert patch_group(TEAM, {"op": "remove", "path": "members", "value": []}).members == MemberDelta()


def test_remove_members_without_a_value_removes_all():
    # RFC 7644 3.5.2.2: remove without a filter removes every value.
    assert patch_group(TEAM, {"op": "remove", "path": "members"}).members == MemberDelta(replace_all=True)


def test_okta_push_now_replaces_members_with_an_empty_list():
    # cases/groups/B10.
    assert patch_group(TEAM, {"op": "replace", "path": "members", "value": []}).members == MemberDelta(
        replace_all=True
    )


def test_okta_full_membership_push():
    result = patch_group(
        TEAM,
        {
            "op": "replace",
            "path": "members",
            "value": [{"value": "u1", "display": "a"}, {"value": "u2", "display": "b"}],
        },
    )
    assert result.members == MemberDelta(replace_all=True, add=["u1", "u2"], displays={"u1": "a", "u2": "b"})


def test_okta_swap_member_with_remove_filter_then_add():
    # cases/idp/okta.json push_group_swap_member.
    result = patch_group(
        TEAM,
        {"op": "remove", "path": 'members[value eq "u1"]'},
        {"op": "add", "path": "members", "value": [{"value": "u2", "display": "grace@x"}]},
    )
    assert result.members == MemberDelta(add=["u2"], remove={"u1"}, displays={"u2": "grace@x"})


def test_okta_rename_with_its_own_id():
    # cases/groups/B05 and cases/idp/okta.json push_group_rename.
    result = patch_group(
        TEAM, {"op": "replace", "value": {"id": GROUP_ID, "displayName": "Difference Engines"}}
    )
    assert result == GroupPatchResult({"displayName": "Difference Engines", "externalId": "8aa1a0c0"}, None)


def test_okta_name_resync_on_every_membership_update_is_a_no_op():
    result = patch_group(TEAM, {"op": "replace", "value": {"id": GROUP_ID, "displayName": "Analysts"}})
    assert result == GroupPatchResult(TEAM, None)


def test_pathless_replace_with_another_id_is_a_mutability_error():
    error = group_error({"op": "replace", "value": {"id": "other-group", "displayName": "X"}})
    assert error.scim_type == "mutability"


def test_entra_replace_display_name():
    result = patch_group(TEAM, {"op": "Replace", "path": "displayName", "value": "Analysts (EMEA)"})
    assert result == GroupPatchResult({"displayName": "Analysts (EMEA)", "externalId": "8aa1a0c0"}, None)


def test_external_id_replace_and_remove():
    assert (
        patch_group(TEAM, {"op": "replace", "path": "externalId", "value": "e2"}).document["externalId"]
        == "e2"
    )
    assert patch_group(TEAM, {"op": "remove", "path": "externalId"}).document == {"displayName": "Analysts"}


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "displayName"},
        {"op": "replace", "path": "displayName", "value": ""},
        {"op": "replace", "value": {"displayName": None}},
    ],
)
def test_removing_the_group_display_name_is_invalid_value(operation):
    error = group_error(operation)
    assert (error.scim_type, error.detail) == ("invalidValue", "displayName is required")


@pytest.mark.parametrize(
    "value,detail",
    [
        ([{"display": "Ada"}], ".value is required"),
        ([{"value": 42}], ".value must be a string"),
        ([{"value": None}], ".value is required"),
        (["u1"], "must be an object"),
        ("u1", "must be an array of members"),
    ],
)
def test_a_member_without_a_string_value_is_invalid_value(value, detail):
    error = group_error({"op": "add", "path": "members", "value": value})
    assert error.scim_type == "invalidValue"
    assert detail in error.detail


@pytest.mark.parametrize("op", ["add", "replace"])
def test_a_members_filter_with_add_or_replace_is_invalid_path(op):
    assert (
        group_error({"op": op, "path": 'members[value eq "u1"]', "value": [{"value": "u1"}]}).scim_type
        == "invalidPath"
    )


def test_member_sub_attribute_paths_are_invalid_path():
    assert group_error({"op": "replace", "path": "members.value", "value": "u1"}).scim_type == "invalidPath"
    assert group_error(
        {"op": "replace", "path": 'members[value eq "u1"].display', "value": "x"}
    ).scim_type in (
        "invalidPath",
        "mutability",
    )


@pytest.mark.parametrize("path", ["id", "meta", "meta.lastModified"])
def test_group_read_only_paths_are_mutability_errors(path):
    assert group_error({"op": "replace", "path": path, "value": "x"}).scim_type == "mutability"


def test_group_unknown_path_is_invalid_path():
    assert group_error({"op": "replace", "path": "title", "value": "x"}).scim_type == "invalidPath"


def test_group_remove_without_path_is_no_target():
    assert group_error({"op": "remove"}).scim_type == "noTarget"


def test_group_patch_without_member_operations_has_no_delta():
    assert patch_group(TEAM, {"op": "replace", "path": "displayName", "value": "X"}).members is None


def test_group_document_never_carries_members():
    document = {**TEAM, "members": [{"value": "u0"}]}
    result = patch_group(document, {"op": "add", "path": "members", "value": [{"value": "u1"}]})
    assert result.document == TEAM
    assert result.members == MemberDelta(add=["u1"])


def test_group_failing_operation_reports_no_partial_result():
    document = copy.deepcopy(TEAM)
    group_error(
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "add", "path": "members", "value": [{"value": "u1"}]},
        {"op": "remove", "path": 'members[display eq "x"]'},
        document=document,
    )
    assert document == TEAM


# --- Folding member operations (MemberDelta) ----------------------------------------------------


def members_op(op: str, *ids: str, path: str = "members") -> dict:
    return {"op": op, "path": path, "value": [{"value": i} for i in ids]}


@pytest.mark.parametrize(
    "operations,expected",
    [
        ([members_op("add", "a", "b"), members_op("remove", "a")], MemberDelta(add=["b"], remove={"a"})),
        ([members_op("remove", "a"), members_op("add", "a")], MemberDelta(add=["a"])),
        (
            [members_op("add", "a"), members_op("replace", "b", "c")],
            MemberDelta(replace_all=True, add=["b", "c"]),
        ),
        (
            [members_op("replace", "b"), members_op("add", "c"), members_op("remove", "b")],
            MemberDelta(replace_all=True, add=["c"], remove={"b"}),
        ),
        (
            [members_op("add", "a"), {"op": "remove", "path": "members"}, members_op("add", "z")],
            MemberDelta(replace_all=True, add=["z"]),
        ),
        ([members_op("add", "c", "a", "b", "a")], MemberDelta(add=["c", "a", "b"])),
    ],
    ids=[
        "add-then-remove",
        "remove-then-add",
        "add-then-replace",
        "replace-add-remove",
        "remove-all",
        "order-kept",
    ],
)
def test_member_operations_fold_in_order(operations, expected):
    assert patch_group(TEAM, *operations).members == expected


def test_displays_follow_the_added_ids():
    result = patch_group(
        TEAM,
        {
            "op": "add",
            "path": "members",
            "value": [{"value": "a", "display": "A"}, {"value": "b", "display": "B"}],
        },
        {"op": "remove", "path": 'members[value eq "a"]'},
    )
    assert result.members == MemberDelta(add=["b"], remove={"a"}, displays={"b": "B"})


def test_a_patch_that_would_visit_too_many_values_is_refused_before_doing_the_work():
    # 1,000 value-path operations on 1,000 emails kept a worker busy for 30 s (adversarial run).
    from scim.protocol.patch import MAX_PATCH_WORK

    document = {
        "userName": "heavy@x.test",
        "emails": [{"value": f"e{i}@x.test", "type": f"t{i}"} for i in range(1000)],
    }
    path = 'emails[value co "@" and type co "t" and not (display eq "zz") and value ew "test"].display'
    operations = parse_patch_request(
        {
            "schemas": [PATCH_OP_URN],
            "Operations": [{"op": "replace", "path": path, "value": f"d{j}"} for j in range(1000)],
        }
    )
    with pytest.raises(ScimError) as caught:
        apply_user_patch(document, operations, current_id="u1")
    assert caught.value.status == 400 and str(MAX_PATCH_WORK) in caught.value.detail


def test_an_ordinary_idp_patch_is_far_inside_the_work_limit():
    document = {"userName": "ada@x.test", "emails": [{"value": "a@x.test", "type": "work", "primary": True}]}
    ops = [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": f"ada{j}@x.test"}
        for j in range(500)
    ]
    operations = parse_patch_request({"schemas": [PATCH_OP_URN], "Operations": ops})
    assert apply_user_patch(document, operations, current_id="u1")["emails"][0]["value"] == "ada499@x.test"


def test_a_value_filters_comparisons_count_against_the_limit():
    # 19 operations whose path holds a 250-term filter took 6-9 s on 1,000 emails (here 150 terms,
    # within the path length limit): each term is
    # evaluated on each value.
    document = {
        "userName": "heavy@x.test",
        "emails": [{"value": f"e{i}@x.test", "type": "work"} for i in range(1000)],
    }
    terms = " or ".join(f'value sw "a{i}"' for i in range(150))
    operations = parse_patch_request(
        {
            "schemas": [PATCH_OP_URN],
            "Operations": [{"op": "replace", "path": f"emails[not ({terms})].display", "value": "d"}] * 19,
        }
    )
    with pytest.raises(ScimError) as caught:
        apply_user_patch(document, operations, current_id="u1")
    assert caught.value.status == 400
