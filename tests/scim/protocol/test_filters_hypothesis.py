"""Properties of the filter parser, matcher and query compiler over generated input: whatever an
IdP (or an attacker) sends, the answer is a filter or a 400 invalidFilter, never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scim.protocol.errors import INVALID_FILTER, INVALID_PATH, ScimError
from scim.protocol.filters import (
    COMPARE_OPERATORS,
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    format_filter,
    matches,
    parse_filter,
    parse_patch_path,
)
from scim.protocol.schemas import ENTERPRISE_URN, USER_SCHEMA, USER_URN

# Text made of the grammar's own pieces reaches much deeper into the parser than random unicode.
FILTER_PIECES = st.lists(
    st.sampled_from(
        [
            "userName",
            "emails",
            "name.givenName",
            f"{ENTERPRISE_URN}:manager.value",
            "$ref",
            ".value",
            " eq ",
            " ne ",
            " co ",
            " pr",
            " gt ",
            " and ",
            " or ",
            "not ",
            "not (",
            "(",
            ")",
            "[",
            "]",
            '"x"',
            '"',
            "\\",
            '\\"',
            "\\u00e9",
            "\\ud800",
            "true",
            "null",
            "1",
            "-1.5e3",
            "1e999",
            " ",
            ":",
            "urn:",
            ".",
            "\x00",
        ]
    ),
    max_size=25,
).map("".join)


@given(st.one_of(st.text(max_size=300), FILTER_PIECES))
@settings(max_examples=600, deadline=None)
def test_any_text_parses_or_is_invalid_filter(text):
    try:
        parsed = parse_filter(text)
    except ScimError as error:
        assert (error.status, error.scim_type) == (400, INVALID_FILTER)
        assert error.detail
    else:
        assert parse_filter(format_filter(parsed)) == parsed


@given(st.one_of(st.text(max_size=200), FILTER_PIECES))
@settings(max_examples=400, deadline=None)
def test_any_text_is_a_patch_path_or_invalid_path(text):
    try:
        parse_patch_path(text)
    except ScimError as error:
        assert (error.status, error.scim_type) == (400, INVALID_PATH)


# `not` followed by a space reads as the operator; no schema has an attribute of that name.
NAME = st.from_regex(r"\A\$?[A-Za-z][A-Za-z0-9_-]{0,12}\Z").filter(lambda name: name.lower() != "not")
URI = st.sampled_from([None, None, None, USER_URN, ENTERPRISE_URN, "urn:example:x-1.0:Thing"])
STRINGS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
VALUES = st.one_of(
    STRINGS,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


@st.composite
def attr_paths(draw, relative: bool = False) -> AttrPath:
    if relative:
        return AttrPath(None, draw(NAME))
    return AttrPath(draw(URI), draw(NAME), draw(st.one_of(st.none(), NAME)))


def leaves(relative: bool = False):
    return st.one_of(
        st.builds(Present, attr_paths(relative)),
        st.builds(Compare, attr_paths(relative), st.sampled_from(COMPARE_OPERATORS), VALUES),
    )


def filters(relative: bool = False):
    base = leaves(relative)
    if not relative:
        value_paths = st.builds(
            ValuePath,
            st.builds(AttrPath, URI, NAME, st.none()),
            filters(relative=True),
        )
        base = st.one_of(base, value_paths)
    return st.recursive(
        base,
        lambda inner: st.one_of(
            st.builds(And, inner, inner),
            st.builds(Or, inner, inner),
            st.builds(Not, inner),
        ),
        max_leaves=12,
    )


@given(filters())
@settings(max_examples=500, deadline=None)
def test_format_then_parse_is_the_identity(ast):
    assert parse_filter(format_filter(ast), max_length=100_000) == ast


ELEMENTS = st.dictionaries(
    st.sampled_from(["value", "type", "primary", "display", "Value", "TYPE", "extra"]),
    st.one_of(
        VALUES, st.lists(STRINGS, max_size=2), st.dictionaries(st.text(max_size=3), STRINGS, max_size=2)
    ),
    max_size=5,
)


@given(filters(relative=True), ELEMENTS, st.sampled_from([None, USER_SCHEMA.attribute("emails")]))
@settings(max_examples=500, deadline=None)
def test_matches_answers_or_says_invalid_filter(ast, element, attribute):
    try:
        result = matches(ast, element, attribute)
    except ScimError as error:
        assert (error.status, error.scim_type) == (400, INVALID_FILTER)
    else:
        assert isinstance(result, bool)


@given(filters(relative=True), ELEMENTS)
@settings(max_examples=300, deadline=None)
def test_not_is_the_complement_in_memory(ast, element):
    try:
        positive = matches(ast, element)
    except ScimError:
        assume(False)
    assert matches(Not(ast), element) is (not positive)


# --- The query compiler, against a real database ----------------------------------------------

USER_PATHS = [
    "userName",
    "displayName",
    "externalId",
    "id",
    "active",
    "title",
    "nickName",
    "name.givenName",
    "name",
    "meta.created",
    "meta.lastModified",
    "meta.resourceType",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "addresses.locality",
    "groups",
    "groups.display",
    "password",
    "nope",
    f"{ENTERPRISE_URN}:manager.value",
    f"{ENTERPRISE_URN}:department",
    "manager",
]
DB_VALUES = st.one_of(
    STRINGS,
    st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01", "true", "False", "a%_\\", "Ada"]),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
)


def _user_path(text: str) -> AttrPath:
    uri, _, rest = text.rpartition(":")
    attr, _, sub = rest.partition(".")
    return AttrPath(uri or None, attr, sub or None)


def user_leaves(relative: bool = False):
    if relative:
        paths = st.sampled_from(["value", "type", "primary", "display", "locality", "nope"]).map(
            lambda n: AttrPath(None, n)
        )
    else:
        paths = st.sampled_from(USER_PATHS).map(_user_path)
    return st.one_of(
        st.builds(Present, paths),
        st.builds(Compare, paths, st.sampled_from(COMPARE_OPERATORS), DB_VALUES),
    )


def user_filters():
    value_paths = st.builds(
        ValuePath,
        st.sampled_from(["emails", "addresses", "groups", "name", "title"]).map(lambda n: AttrPath(None, n)),
        st.recursive(
            user_leaves(True),
            lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Not, inner)),
            max_leaves=4,
        ),
    )
    return st.recursive(
        st.one_of(user_leaves(), value_paths),
        lambda inner: st.one_of(
            st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)
        ),
        max_leaves=8,
    )


@pytest.fixture
def people(integration):
    from tests.factories import make_scim_group, make_scim_user

    ada = make_scim_user(
        integration,
        "ada@example.test",
        display_name="Ada",
        external_id="ada",
        attributes={
            "title": "Analyst",
            "name": {"givenName": "Ada"},
            "emails": [{"value": "ada@example.test", "type": "work", "primary": True}],
            "addresses": [{"locality": "London"}],
            ENTERPRISE_URN: {"manager": {"value": "m-1"}, "department": "R&D"},
        },
    )
    plain = make_scim_user(integration, "plain", active=False)
    make_scim_group(integration, "Analysts", members=[ada])
    return integration.organization, {ada.pk, plain.pk}


@given(ast=user_filters())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_compiled_filters_run_and_not_is_the_complement(people, ast):
    """Any filter either compiles to SQL the database accepts, or is a 400 invalidFilter; and a
    resource matches `not (f)` exactly when it does not match `f` (no NULL falls through)."""
    from scim.filtering import user_filter_q
    from scim.models import ScimUser

    organization, everyone = people
    try:
        condition = user_filter_q(ast)
    except ScimError as error:
        assert (error.status, error.scim_type) == (400, INVALID_FILTER)
        return
    queryset = ScimUser.objects.filter(organization=organization, deleted_at__isnull=True)
    positive = set(queryset.filter(condition).values_list("pk", flat=True))
    negative = set(queryset.filter(user_filter_q(Not(ast))).values_list("pk", flat=True))
    assert positive | negative == everyone
    assert not positive & negative


# --- The one-comparison fast path agrees with the grammar ------------------------------------------

_NAMES = st.sampled_from(
    [
        "userName",
        "not",
        "NOT",
        "and",
        "or",
        "pr",
        "eq",
        "true",
        "null",
        "not.x",
        "a-b",
        "$ref",
        "name.givenName",
        "emails.value",
        f"{ENTERPRISE_URN}:manager.value",
        f"{USER_URN}:userName",
        "urn:x:y",
        "9lives",
        "userName-eq",
        "x.y.z",
    ]
)
_SPACE = st.sampled_from(["", " ", "  ", "\t", "\r\n", "\u00a0", "\f"])
_OPERATORS = st.sampled_from([*COMPARE_OPERATORS, "EQ", "Eq", "pr", "eqq", "e q"])
_LITERALS = st.one_of(
    st.text(max_size=20).map(lambda value: json.dumps(value, ensure_ascii=False)),
    st.text(max_size=20).map(lambda value: json.dumps(value)),
    st.lists(
        st.sampled_from(
            ['"', "\\", '\\"', "\\n", "\\/", "\\u00e9", "\\ud800", "\\x", "a", "\x00", "\ud800", "é"]
        ),
        max_size=6,
    ).map(lambda parts: '"' + "".join(parts) + '"'),
    st.sampled_from(["true", "1", "null", '"unclosed', "'single'"]),
)


@given(_SPACE, _NAMES, _SPACE, _OPERATORS, _SPACE, _LITERALS, _SPACE)
@settings(max_examples=1500, deadline=None)
def test_the_fast_path_for_one_comparison_reads_what_the_grammar_reads(s1, name, s2, op, s3, literal, s4):
    from scim.protocol import filters

    text = f"{s1}{name}{s2}{op}{s3}{literal}{s4}"
    fast = filters._parse_simple_compare(text)
    try:
        full = filters._parse(text, "filter", filters.MAX_LENGTH, "filter", INVALID_FILTER)
    except ScimError:
        assert fast is None, f"the fast path accepted {text!r}, which the grammar refuses"
    else:
        assert fast is None or fast == full, f"{text!r}: fast {fast!r}, grammar {full!r}"
    if fast is None and name == "userName" and s2 and op in COMPARE_OPERATORS and literal == '"x"':
        pytest.fail(f"the everyday filter {text!r} missed the fast path")


def test_the_fast_path_serves_what_idps_send():
    from scim.protocol import filters

    for text in [
        'userName eq "alice@example.test"',
        'externalId eq "00u1abcd"',
        'displayName eq "Engineering \\"Core\\""',
        'emails.value Eq "a@b.test"',
    ]:
        assert filters._parse_simple_compare(text) == filters._parse(
            text, "filter", filters.MAX_LENGTH, "filter", INVALID_FILTER
        )
