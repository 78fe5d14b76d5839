"""Request bodies → canonical documents: the exact shapes Okta, Entra, OneLogin and JumpCloud send
(/work/shared/cases, IDP-BEHAVIORS.md), and every validation rule of scim.protocol.resources."""

from __future__ import annotations

import pytest

from scim.protocol.errors import ScimError
from scim.protocol.resources import (
    MAX_MULTI_VALUES,
    MAX_STRING_LENGTH,
    SCIM_1_DETAIL,
    coerce_value,
    parse_group,
    parse_user,
    render_user,
    schemas_for_user,
)
from scim.protocol.schemas import (
    BOOLEAN,
    DATETIME,
    DECIMAL,
    ENTERPRISE_URN,
    GROUP_URN,
    INTEGER,
    USER,
    USER_URN,
    Attribute,
    resolve_attribute,
)

ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def scim_error(call, *args, **kwargs) -> ScimError:
    with pytest.raises(ScimError) as info:
        call(*args, **kwargs)
    return info.value


def assert_invalid_value(call, *args, contains: str) -> None:
    error = scim_error(call, *args)
    assert (error.status, error.scim_type) == (400, "invalidValue")
    assert contains in error.detail


# --- Real IdP create/update bodies ----------------------------------------------------------------


def test_okta_create_drops_password_and_groups():
    body = {
        "schemas": [USER_URN],
        "userName": "ada.lovelace@example.test",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": True, "value": "ada.lovelace@example.test", "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": "00u1ab2cd3EF4gh5i6j7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    assert parse_user(body) == {
        "userName": "ada.lovelace@example.test",
        "name": {"familyName": "Lovelace", "givenName": "Ada"},
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "active": True,
        "emails": [{"value": "ada.lovelace@example.test", "type": "work", "primary": True}],
        "externalId": "00u1ab2cd3EF4gh5i6j7",
    }


def test_okta_profile_push_put_ignores_id_meta_and_groups():
    body = {
        "schemas": [USER_URN],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "ada.lovelace@example.test",
        "name": {"givenName": "Ada", "middleName": "Augusta", "familyName": "King"},
        "emails": [
            {
                "primary": True,
                "value": "ada.lovelace@example.test",
                "type": "work",
                "display": "ada.lovelace@example.test",
            }
        ],
        "displayName": "Ada King",
        "locale": "en-US",
        "externalId": "00u1ab2cd3EF4gh5i6j7",
        "active": True,
        "groups": [],
        "meta": {"resourceType": "User"},
    }
    document = parse_user(body)
    assert set(document) == {"userName", "name", "emails", "displayName", "locale", "externalId", "active"}
    assert document["emails"] == [
        {
            "value": "ada.lovelace@example.test",
            "display": "ada.lovelace@example.test",
            "type": "work",
            "primary": True,
        }
    ]


def test_entra_create_treats_nulls_as_unassigned_and_ignores_meta():
    body = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": "ada.lovelace",
        "userName": "ada.lovelace@example.test",
        "active": True,
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "emails": [{"primary": True, "type": "work", "value": "ada.lovelace@example.test"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "addresses": None,
        "phoneNumbers": None,
        "preferredLanguage": None,
        "roles": [],
        ENTERPRISE_URN: {"employeeNumber": "100042", "department": "Analytical Engines", "manager": None},
    }
    assert parse_user(body) == {
        "userName": "ada.lovelace@example.test",
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "active": True,
        "emails": [{"value": "ada.lovelace@example.test", "type": "work", "primary": True}],
        "externalId": "ada.lovelace",
        ENTERPRISE_URN: {"employeeNumber": "100042", "department": "Analytical Engines"},
    }


def test_entra_post_active_string_true_becomes_boolean():
    # cases/users/B02: the Entra service POSTs "active": "True".
    document = parse_user({"schemas": [USER_URN], "userName": "b02@example.test", "active": "True"})
    assert document["active"] is True


def test_onelogin_template_active_string_and_id_null():
    body = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "id": None,
        "userName": "alan.turing@example.test",
        "name": {"familyName": "Turing", "givenName": "Alan", "formatted": "Alan Turing"},
        "emails": [{"value": "alan.turing@example.test", "type": "work", "primary": True}],
        "active": "true",
        ENTERPRISE_URN: {"department": "Computing"},
    }
    document = parse_user(body)
    assert document["active"] is True
    assert "id" not in document
    assert document[ENTERPRISE_URN] == {"department": "Computing"}


def test_onelogin_put_without_active_leaves_active_absent():
    # The service keeps the stored value: OneLogin's PUT template omits `active` (IDP-BEHAVIORS 7.12).
    body = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "id": None,
        "userName": "grace.hopper@example.test",
        "title": "Commodore",
        "meta": {"resourceType": "User"},
        ENTERPRISE_URN: {
            "department": "Naval Computing",
            "manager": {"value": "E-0001", "displayName": "Howard Aiken"},
        },
    }
    document = parse_user(body)
    assert "active" not in document
    # manager.displayName is readOnly (RFC 7643 4.3): ignored; the external HR id is kept verbatim.
    assert document[ENTERPRISE_URN] == {"department": "Naval Computing", "manager": {"value": "E-0001"}}


def test_onelogin_legacy_urns_are_accepted_as_rfc_urns():
    # cases/groups/B33: OneLogin's PUT names pre-RFC URNs.
    body = {
        "schemas": ["urn:scim:schemas:core:2.0", "urn:scim:schemas:extension:enterprise:2.0"],
        "userName": "b33.alex@example.test",
        "name": {"givenName": "Alex", "familyName": "Onelogin"},
        "active": True,
    }
    assert parse_user(body)["name"] == {"familyName": "Onelogin", "givenName": "Alex"}


def test_legacy_extension_key_is_read_as_the_enterprise_extension():
    body = {
        "schemas": ["urn:scim:schemas:core:2.0:User"],
        "userName": "a",
        "urn:scim:schemas:extension:enterprise:2.0:User": {"department": "X"},
    }
    assert parse_user(body)[ENTERPRISE_URN] == {"department": "X"}


def test_microsoft_pascal_case_names_are_matched_and_output_canonical():
    # cases/users/B26: Microsoft's validator sends UserName, Active, DisplayName, Primary.
    body = {
        "schemas": [USER_URN],
        "UserName": "b26.alex@example.test",
        "Active": True,
        "DisplayName": "Alex Pascal",
        "name": {"GivenName": "Alex", "FamilyName": "Pascal"},
        "emails": [{"Primary": True, "type": "work", "value": "b26.alex@example.test"}],
    }
    assert parse_user(body) == {
        "userName": "b26.alex@example.test",
        "name": {"familyName": "Pascal", "givenName": "Alex"},
        "displayName": "Alex Pascal",
        "active": True,
        "emails": [{"value": "b26.alex@example.test", "type": "work", "primary": True}],
    }


def test_entra_enterprise_pascal_case_department_and_manager():
    body = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "userName": "a",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {
            "Department": "R&D",
            "Manager": {"Value": "m1"},
        },
    }
    assert parse_user(body)[ENTERPRISE_URN] == {"department": "R&D", "manager": {"value": "m1"}}


def test_extension_attributes_as_top_level_urn_qualified_keys():
    body = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "userName": "a",
        f"{ENTERPRISE_URN}:employeeNumber": "1",
        f"{ENTERPRISE_URN}:manager": "m1",
        f"{ENTERPRISE_URN}:manager.value": "m2",
    }
    assert parse_user(body)[ENTERPRISE_URN] == {"employeeNumber": "1", "manager": {"value": "m2"}}


def test_core_urn_qualified_keys_are_core_attributes():
    body = {"schemas": [USER_URN], f"{USER_URN}:userName": "a", f"{USER_URN}:name.givenName": "Ada"}
    assert parse_user(body) == {"userName": "a", "name": {"givenName": "Ada"}}


def test_jumpcloud_create_with_enterprise_extension():
    body = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "userName": "katherine.johnson@example.test",
        "name": {"givenName": "Katherine", "familyName": "Johnson"},
        "displayName": "Katherine Johnson",
        "title": "Mathematician",
        "emails": [{"value": "katherine.johnson@example.test", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+1 757 555 0142", "type": "work"}],
        "active": True,
        ENTERPRISE_URN: {"employeeNumber": "E-1953", "department": "Flight Research"},
    }
    assert parse_user(body) == {
        "userName": "katherine.johnson@example.test",
        "name": {"familyName": "Johnson", "givenName": "Katherine"},
        "displayName": "Katherine Johnson",
        "title": "Mathematician",
        "active": True,
        "emails": [{"value": "katherine.johnson@example.test", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+1 757 555 0142", "type": "work"}],
        ENTERPRISE_URN: {"employeeNumber": "E-1953", "department": "Flight Research"},
    }


# --- manager ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "manager",
    ["m1", ["m1"], {"value": "m1"}, [{"value": "m1"}], {"Value": "m1", "displayName": "Boss"}],
    ids=["bare-string", "string-in-array", "object", "object-in-array", "pascal-case-with-readonly-name"],
)
def test_entra_manager_forms_always_become_an_object(manager):
    body = {"userName": "a", ENTERPRISE_URN: {"manager": manager}}
    assert parse_user(body)[ENTERPRISE_URN] == {"manager": {"value": "m1"}}


def test_manager_keeps_ref():
    body = {"userName": "a", ENTERPRISE_URN: {"manager": [{"$ref": "../Users/m1", "value": "m1"}]}}
    assert parse_user(body)[ENTERPRISE_URN]["manager"] == {"value": "m1", "$ref": "../Users/m1"}


def test_empty_manager_id_is_unassigned():
    assert ENTERPRISE_URN not in parse_user({"userName": "a", ENTERPRISE_URN: {"manager": ""}})


def test_manager_as_two_element_array_is_refused():
    body = {"userName": "a", ENTERPRISE_URN: {"manager": ["m1", "m2"]}}
    assert_invalid_value(parse_user, body, contains="manager")


# --- Values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected", [("true", True), ("False", False), ("TRUE", True), ("fAlSe", False)]
)
def test_boolean_strings_in_any_case(text, expected):
    assert parse_user({"userName": "a", "active": text})["active"] is expected


@pytest.mark.parametrize("value", ["yes", "1", "", "on", 1, 0, [True], {"v": True}])
def test_other_boolean_values_are_refused(value):
    assert_invalid_value(parse_user, {"userName": "a", "active": value}, contains="active must be a boolean")


def test_primary_boolean_string_inside_multi_valued():
    document = parse_user({"userName": "a", "emails": [{"value": "a@x", "primary": "True"}]})
    assert document["emails"] == [{"value": "a@x", "primary": True}]


@pytest.mark.parametrize(
    "body,detail",
    [
        ({"userName": 42}, "userName must be a string"),
        ({"userName": "a", "displayName": ["Ada"]}, "displayName must be a string"),
        ({"userName": "a", "name": "Ada Lovelace"}, "name must be an object"),
        ({"userName": "a", "name": {"givenName": 7}}, "name.givenName must be a string"),
        ({"userName": "a", "emails": "a@example.test"}, "emails must be an array"),
        ({"userName": "a", "emails": [{"value": 5}]}, "emails[0].value must be a string"),
        ({"userName": "a", "emails": ["a@example.test"]}, "emails[0] must be an object"),
        ({"userName": "a", ENTERPRISE_URN: {"employeeNumber": 100042}}, "employeeNumber must be a string"),
        ({"userName": "a", ENTERPRISE_URN: "Analytical Engines"}, "must be an object"),
    ],
)
def test_wrong_types_are_refused_naming_the_attribute(body, detail):
    assert_invalid_value(parse_user, body, contains=detail)


@pytest.mark.parametrize(
    "body,detail",
    [
        ({"userName": "a", "name": {"givenName": {"first": "Ada"}}}, "name.givenName must be a string"),
        ({"userName": "a", "emails": [[{"value": "a@x"}]]}, "emails[0] must be an object"),
        ({"userName": "a", "emails": [{"value": {"value": "a@x"}}]}, "emails[0].value must be a string"),
        ({"userName": "a", "name": [[{"givenName": "Ada"}]]}, "name must be an object"),
    ],
)
def test_nesting_deeper_than_the_schema_is_refused(body, detail):
    assert_invalid_value(parse_user, body, contains=detail)


def test_single_object_for_a_multi_valued_attribute_is_wrapped():
    document = parse_user({"userName": "a", "emails": {"value": "a@example.test", "type": "work"}})
    assert document["emails"] == [{"value": "a@example.test", "type": "work"}]


def test_one_element_array_for_a_single_valued_complex_attribute_is_the_element():
    document = parse_user({"userName": "a", "name": [{"givenName": "Ada"}]})
    assert document["name"] == {"givenName": "Ada"}


def test_two_element_array_for_a_single_valued_complex_attribute_is_refused():
    assert_invalid_value(
        parse_user, {"userName": "a", "name": [{}, {}]}, contains="name takes a single value"
    )


def test_first_primary_wins_and_later_ones_become_false():
    document = parse_user(
        {
            "userName": "a",
            "emails": [
                {"value": "one@x", "primary": False},
                {"value": "two@x", "primary": True},
                {"value": "three@x", "primary": "true"},
            ],
        }
    )
    assert document["emails"] == [
        {"value": "one@x", "primary": False},
        {"value": "two@x", "primary": True},
        {"value": "three@x", "primary": False},
    ]


def test_values_are_kept_verbatim():
    body = {
        "userName": "Ada.Lovelace@Example.TEST",
        "emails": [{"value": "Ada.Lovelace@Example.TEST"}],
        "phoneNumbers": [{"value": "+44 (0)20 7946-0000", "type": "work"}],
        "displayName": "  Ada  ",
    }
    document = parse_user(body)
    assert document["userName"] == "Ada.Lovelace@Example.TEST"
    assert document["emails"][0]["value"] == "Ada.Lovelace@Example.TEST"
    assert document["phoneNumbers"][0]["value"] == "+44 (0)20 7946-0000"
    assert document["displayName"] == "  Ada  "


def test_empty_and_null_values_are_dropped():
    body = {
        "userName": "a",
        "name": {"givenName": None},
        "emails": [None, {}, {"value": None}],
        "roles": [],
        "nickName": None,
        ENTERPRISE_URN: {},
    }
    assert parse_user(body) == {"userName": "a"}


def test_unknown_attributes_and_sub_attributes_are_ignored():
    body = {
        "userName": "a",
        "favouriteColour": "blue",
        "name": {"givenName": "Ada", "nickname": "x"},
        "emails": [{"value": "a@x", "verified": True}],
    }
    assert parse_user(body) == {"userName": "a", "name": {"givenName": "Ada"}, "emails": [{"value": "a@x"}]}


@pytest.mark.parametrize("key", ["id", "meta", "groups", "password", "ID", "Meta", "Password"])
def test_read_only_and_write_only_attributes_are_never_stored(key):
    body = {"userName": "a", key: {"value": "x"} if key.lower() == "meta" else "x"}
    assert parse_user(body) == {"userName": "a"}


@pytest.mark.parametrize(
    "body", [{}, {"userName": ""}, {"userName": "   "}, {"userName": None}, {"displayName": "x"}]
)
def test_username_is_required(body):
    assert_invalid_value(parse_user, body, contains="userName is required")


def test_too_many_values_are_refused():
    emails = [{"value": f"{i}@x"} for i in range(MAX_MULTI_VALUES + 1)]
    assert_invalid_value(parse_user, {"userName": "a", "emails": emails}, contains="emails has more than")


def test_overlong_strings_are_refused():
    assert_invalid_value(
        parse_user, {"userName": "a" * (MAX_STRING_LENGTH + 1)}, contains="userName is longer"
    )


@pytest.mark.parametrize("body", [[], "user", None, 3])
def test_a_body_that_is_not_an_object_is_invalid_syntax(body):
    error = scim_error(parse_user, body)
    assert (error.status, error.scim_type) == (400, "invalidSyntax")


# --- coerce_value -------------------------------------------------------------------------------


def test_coerce_value_datetime_must_be_iso_8601():
    attribute = Attribute("when", DATETIME)
    assert coerce_value(attribute, "2024-05-01T10:00:00Z", where="when") == "2024-05-01T10:00:00Z"
    assert coerce_value(attribute, "2024-05-01T10:00:00+02:00", where="when") == "2024-05-01T10:00:00+02:00"
    for bad in ("yesterday", "2024-13-01", 1714557600):
        with pytest.raises(ScimError, match="when must be"):
            coerce_value(attribute, bad, where="when")


def test_coerce_value_numbers():
    assert coerce_value(Attribute("n", INTEGER), 3, where="n") == 3
    assert coerce_value(Attribute("d", DECIMAL), 2.5, where="d") == 2.5
    assert coerce_value(Attribute("d", DECIMAL), 2, where="d") == 2
    for attribute, bad in [
        (Attribute("n", INTEGER), True),
        (Attribute("n", INTEGER), 2.5),
        (Attribute("n", INTEGER), "3"),
        (Attribute("d", DECIMAL), float("nan")),
        (Attribute("d", DECIMAL), False),
    ]:
        with pytest.raises(ScimError, match=f"{attribute.name} must be"):
            coerce_value(attribute, bad, where=attribute.name)


def test_coerce_value_accepts_attribute_refs_for_sub_attributes():
    ref = resolve_attribute(USER, "emails.primary")
    assert coerce_value(ref, "FALSE", where="emails.primary") is False
    ref = resolve_attribute(USER, f"{ENTERPRISE_URN}:manager")
    assert coerce_value(ref, "m1", where="manager") == {"value": "m1"}
    assert coerce_value(Attribute("b", BOOLEAN), None, where="b") is None


# --- schemas policy -----------------------------------------------------------------------------


def test_missing_schemas_is_tolerated():
    assert parse_user({"userName": "a"}) == {"userName": "a"}


def test_schemas_matched_in_any_case():
    assert parse_user({"schemas": [USER_URN.upper()], "userName": "a"}) == {"userName": "a"}


def test_microsoft_adscim_urn_is_ignored():
    body = {
        "schemas": [USER_URN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"],
        "userName": "a",
    }
    assert parse_user(body) == {"userName": "a"}


def test_unknown_extension_is_tolerated_and_its_attributes_ignored():
    body = {
        "schemas": [USER_URN, "urn:example:custom:2.0:User"],
        "userName": "a",
        "urn:example:custom:2.0:User": {"badge": "7"},
        "urn:example:custom:2.0:User:floor": "3",
    }
    assert parse_user(body) == {"userName": "a"}


def test_scim_1_body_is_refused_with_a_pointed_message():
    error = scim_error(parse_user, {"schemas": ["urn:scim:schemas:core:1.0"], "userName": "a"})
    assert (error.status, error.scim_type, error.detail) == (400, "invalidValue", SCIM_1_DETAIL)


@pytest.mark.parametrize(
    "schemas",
    [["urn:example:unknown"], [GROUP_URN], [ENTERPRISE_URN], ["urn:scim:schemas:core:2.0:group"]],
    ids=["unknown", "group-schema", "extension-only", "legacy-group-alias"],
)
def test_body_without_the_user_schema_is_refused(schemas):
    assert_invalid_value(
        parse_user, {"schemas": schemas, "userName": "a"}, contains=f"schemas must include {USER_URN}"
    )


@pytest.mark.parametrize("schemas", [{"urn": USER_URN}, [1], 7])
def test_malformed_schemas_is_refused(schemas):
    assert_invalid_value(
        parse_user, {"schemas": schemas, "userName": "a"}, contains="schemas must be an array"
    )


# --- render_user / schemas_for_user ------------------------------------------------------------


def test_render_user_orders_keys_and_wraps_a_stored_manager_string():
    stored = {
        ENTERPRISE_URN: {"manager": "m1", "department": "X"},
        "emails": [{"primary": True, "value": "a@x"}],
        "active": False,
        "userName": "a",
        "id": "u1",
        "meta": {"created": "2024-01-01T00:00:00Z"},
        "groups": [{"value": "g1"}],
        "password": "secret",
        "nickName": None,
        "roles": [],
    }
    rendered = render_user(stored)
    assert rendered == {
        "userName": "a",
        "active": False,
        "emails": [{"value": "a@x", "primary": True}],
        ENTERPRISE_URN: {"department": "X", "manager": {"value": "m1"}},
    }
    assert list(rendered) == ["userName", "active", "emails", ENTERPRISE_URN]
    assert list(rendered["emails"][0]) == ["value", "primary"]


def test_canonical_documents_survive_a_round_trip_through_parse_user():
    # Okta GETs, edits and PUTs the whole user back (IDP-BEHAVIORS 2.3): nothing may be lost.
    document = parse_user(
        {
            "userName": "a",
            "name": {"givenName": "Ada"},
            "emails": [{"value": "a@x", "type": "work", "primary": True}],
            "x509Certificates": [{"value": "MIIB"}],
            ENTERPRISE_URN: {"manager": "m1", "costCenter": "42"},
        }
    )
    assert parse_user({"schemas": schemas_for_user(document), **render_user(document)}) == document


def test_schemas_for_user():
    assert schemas_for_user({"userName": "a"}) == [USER_URN]
    assert schemas_for_user({"userName": "a", ENTERPRISE_URN: {"department": "X"}}) == [
        USER_URN,
        ENTERPRISE_URN,
    ]
    assert schemas_for_user({"userName": "a", ENTERPRISE_URN: {}}) == [USER_URN]


# --- Groups -------------------------------------------------------------------------------------


def test_entra_group_create_ignores_adscim_urn_and_meta():
    body = {
        "schemas": [GROUP_URN, ADSCIM_GROUP],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "Analysts",
        "meta": {"resourceType": "Group"},
    }
    assert parse_group(body) == {
        "displayName": "Analysts",
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    }


def test_okta_group_create_with_empty_members_keeps_the_empty_list():
    body = {"schemas": [GROUP_URN], "displayName": "Analytical Engines", "members": []}
    assert parse_group(body) == {"displayName": "Analytical Engines", "members": []}


def test_group_members_keep_value_display_and_type_and_drop_ref():
    body = {
        "schemas": [GROUP_URN],
        "displayName": "Flight Research",
        "members": [
            {"value": "u1", "$ref": None},
            {"Value": "u2", "display": "Dorothy", "$ref": "https://x/Users/u2", "type": "User"},
            {"value": "u1", "display": "duplicate"},
        ],
    }
    assert parse_group(body) == {
        "displayName": "Flight Research",
        "members": [{"value": "u1"}, {"value": "u2", "display": "Dorothy", "type": "User"}],
    }


def test_group_without_members_key_has_no_members_key():
    assert parse_group({"displayName": "g"}) == {"displayName": "g"}


def test_group_with_null_members_asserts_no_members():
    # RFC 7643 section 2.5: null is "unassigned"; a PUT with it empties the group.
    assert parse_group({"displayName": "g", "members": None}) == {"displayName": "g", "members": []}


@pytest.mark.parametrize(
    "members,detail",
    [
        ([{"display": "Ada"}], "members[0].value is required"),
        ([{"value": 42}], "members[0].value must be a string"),
        ([{"value": ""}], "members[0].value is required"),
        (["u1"], "members[0] must be an object"),
        ("u1", "members must be an array"),
    ],
)
def test_group_member_without_a_string_value_is_refused(members, detail):
    assert_invalid_value(parse_group, {"displayName": "g", "members": members}, contains=detail)


@pytest.mark.parametrize("body", [{}, {"displayName": ""}, {"displayName": None}, {"externalId": "x"}])
def test_group_display_name_is_required(body):
    assert_invalid_value(parse_group, body, contains="displayName is required")


def test_group_names_matched_in_any_case_and_read_only_ignored():
    body = {"DisplayName": "g", "ExternalId": "e", "id": "x", "meta": {}, "unknown": 1}
    assert parse_group(body) == {"displayName": "g", "externalId": "e"}


def test_group_body_with_the_user_schema_is_refused():
    assert_invalid_value(parse_group, {"schemas": [USER_URN], "displayName": "g"}, contains=GROUP_URN)


def test_group_legacy_and_scim_1_urns():
    assert parse_group({"schemas": ["urn:scim:schemas:core:2.0"], "displayName": "g"}) == {"displayName": "g"}
    error = scim_error(parse_group, {"schemas": ["urn:scim:schemas:core:1.0"], "displayName": "g"})
    assert error.detail == SCIM_1_DETAIL
