"""Properties of the pure document layer under random input:

- any JSON body, and any list of operations, ends in a result or a ScimError, never another
  exception (a 500 in front of an IdP retries forever or quarantines the app);
- a failing PATCH leaves the caller's document unchanged, and so does a succeeding one (the
  result is a new document: "collect, then commit");
- a successful user PATCH yields a canonical document: rendering it again changes nothing, it still
  has a userName, and a PUT of it (Okta's GET-modify-PUT) parses back to the same document.
"""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scim.protocol.errors import ScimError
from scim.protocol.patch import apply_group_patch, apply_user_patch, parse_patch_request
from scim.protocol.resources import parse_group, parse_user, render_user, schemas_for_user
from scim.protocol.schemas import ENTERPRISE_URN, PATCH_OP_URN

ENT = ENTERPRISE_URN
USER_ID = "u-1"
GROUP_ID = "g-1"

USER = {
    "externalId": "ext-1",
    "userName": "ada@example.test",
    "name": {"familyName": "Lovelace", "givenName": "Ada"},
    "displayName": "Ada",
    "active": True,
    "emails": [
        {"value": "ada@example.test", "type": "work", "primary": True},
        {"value": "ada@home.test", "type": "home"},
    ],
    "phoneNumbers": [{"value": "+44 1", "type": "mobile"}],
    ENT: {"employeeNumber": "1", "manager": {"value": "m-1"}},
}
GROUP = {"displayName": "Analysts", "externalId": "g-ext"}

USER_PATHS = [
    "userName",
    "displayName",
    "nickName",
    "title",
    "active",
    "externalId",
    "password",
    "id",
    "meta",
    "meta.created",
    "groups",
    "name",
    "name.givenName",
    "name.familyName",
    "emails",
    "emails.value",
    "emails.primary",
    'emails[type eq "work"]',
    'emails[type eq "work"].value',
    'emails[type eq "home"].primary',
    'emails[value co "ada"]',
    'emails[type eq "work" and primary eq true].value',
    'emails[type eq "x" or primary pr]',
    'phoneNumbers[type eq "mobile"].value',
    'addresses[type eq "work"].streetAddress',
    "addresses",
    "roles",
    "x509Certificates",
    f"{ENT}:employeeNumber",
    f"{ENT}:manager",
    f"{ENT}:manager.value",
    f"{ENT}:manager.displayName",
    ENT,
    "manager",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "unknownAttribute",
    "name.unknown",
    "",
    "emails[",
    "a b",
]
GROUP_PATHS = [
    "displayName",
    "externalId",
    "id",
    "meta",
    "members",
    "members.value",
    'members[value eq "u-1"]',
    'members[value eq "u-1" or value eq "u-2"]',
    'members[display eq "x"]',
    'members[value eq "u-1"].display',
    "nonsense",
    "",
]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars | st.sampled_from(["True", "false", "u-1", "work", "x@example.test"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
user_keys = st.sampled_from(
    USER_PATHS + ["Active", "EMAILS", "schemas", f"{ENT}:department", "Name.GivenName"]
)
member_values = st.lists(
    st.fixed_dictionaries(
        {"value": st.sampled_from(["u-1", "u-2", "u-3"])}, optional={"display": st.text(max_size=5)}
    )
    | json_values,
    max_size=4,
)


def operation(paths: list[str], keys, values) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace", "remove", "Add", "Replace", "Remove", "REMOVE", "delete"])},
        optional={
            "path": st.sampled_from(paths) | st.none(),
            "value": values | st.dictionaries(keys, values, max_size=4),
        },
    )


# Values shaped like what IdPs send, so that many random PATCHes succeed and the properties are
# checked on real results, not only on refusals.
plausible_scalars = (
    st.sampled_from(["True", "false", "work", "home", "x@example.test", "Ada", "u-1"]) | st.booleans()
)
plausible_elements = st.dictionaries(
    st.sampled_from(["value", "type", "primary", "display", "givenName", "Value", "$ref"]),
    plausible_scalars,
    max_size=3,
)
plausible_values = plausible_scalars | plausible_elements | st.lists(plausible_elements, max_size=3)


def plausible_operation(paths: list[str], keys, values) -> st.SearchStrategy:
    pathed = st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "replace", "remove", "Add", "Replace", "Remove"]), "value": values},
        optional={"path": st.sampled_from([p for p in paths if p])},
    )
    pathless = st.fixed_dictionaries(
        {
            "op": st.sampled_from(["add", "replace", "Replace"]),
            "value": st.dictionaries(keys, values, max_size=3),
        }
    )
    return pathed | pathless


user_operations = st.lists(
    plausible_operation(USER_PATHS, user_keys, plausible_values)
    | operation(USER_PATHS, user_keys, json_values),
    min_size=1,
    max_size=4,
)
group_keys = st.sampled_from(["displayName", "id", "members", "meta", "x"])
group_values = st.sampled_from(["Analysts", GROUP_ID, ""]) | member_values
group_operations = st.lists(
    plausible_operation(GROUP_PATHS, group_keys, group_values)
    | operation(GROUP_PATHS, group_keys, json_values | member_values),
    min_size=1,
    max_size=4,
)
fast = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def patch(operations: list) -> dict:
    return {"schemas": [PATCH_OP_URN], "Operations": operations}


@fast
@given(json_values)
def test_any_json_as_a_patch_body_is_a_result_or_scim_error(value):
    for candidate in (
        value,
        {"Operations": value},
        patch([value]) if isinstance(value, dict) else patch(value),
    ):
        try:
            parse_patch_request(candidate)
        except ScimError as error:
            assert error.status == 400


@fast
@given(json_values)
def test_any_json_as_a_resource_body_is_a_result_or_scim_error(value):
    for parse in (parse_user, parse_group):
        try:
            parse(value)
        except ScimError as error:
            assert error.status == 400


@fast
@given(st.dictionaries(user_keys, json_values, max_size=8))
def test_any_user_body_parses_to_a_canonical_document_or_scim_error(body):
    try:
        document = parse_user({"userName": "a", **body})
    except ScimError as error:
        assert error.status == 400
        return
    assert render_user(document) == document
    assert parse_user({"schemas": schemas_for_user(document), **document}) == document


@fast
@given(user_operations)
def test_random_user_patches_never_raise_anything_but_scim_error(operations):
    document = copy.deepcopy(USER)
    try:
        result = apply_user_patch(document, parse_patch_request(patch(operations)), current_id=USER_ID)
    except ScimError as error:
        assert error.status == 400
        assert document == USER, "a failing PATCH must leave the document untouched"
        return
    assert document == USER, "PATCH works on a copy"
    assert isinstance(result["userName"], str) and result["userName"]
    assert render_user(result) == result
    assert not {"id", "meta", "schemas", "groups", "password"} & set(result)
    # Okta's GET-modify-PUT round trip keeps every attribute.
    assert parse_user({"schemas": schemas_for_user(result), **result}) == result


@fast
@given(user_operations)
def test_applying_a_user_patch_twice_from_the_same_input_is_deterministic(operations):
    try:
        parsed = parse_patch_request(patch(operations))
        first = apply_user_patch(USER, parsed, current_id=USER_ID)
    except ScimError:
        return
    assert apply_user_patch(USER, parsed, current_id=USER_ID) == first


@fast
@given(group_operations)
def test_random_group_patches_never_raise_anything_but_scim_error(operations):
    document = copy.deepcopy(GROUP)
    try:
        result = apply_group_patch(document, parse_patch_request(patch(operations)), current_id=GROUP_ID)
    except ScimError as error:
        assert error.status == 400
        assert document == GROUP
        return
    assert document == GROUP
    assert "members" not in result.document
    assert isinstance(result.document["displayName"], str) and result.document["displayName"]
    delta = result.members
    if delta is not None:
        assert len(delta.add) == len(set(delta.add))
        assert not set(delta.add) & delta.remove
        assert set(delta.displays) <= set(delta.add)
        assert all(isinstance(member_id, str) and member_id for member_id in delta.add)


@fast
@given(st.text(max_size=40), st.sampled_from(["add", "replace", "remove"]), plausible_values)
def test_any_path_text_is_a_result_or_scim_error(path, op, value):
    document = copy.deepcopy(USER)
    try:
        operations = parse_patch_request(patch([{"op": op, "path": path, "value": value}]))
        apply_user_patch(document, operations, current_id=USER_ID)
        apply_group_patch(GROUP, operations, current_id=GROUP_ID)
    except ScimError as error:
        assert error.status == 400
    assert document == USER
