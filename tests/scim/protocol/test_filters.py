"""The filter and PATCH-path parser (RFC 7644 sections 3.4.2.2 and 3.5.2) and in-memory matching."""

from __future__ import annotations

import time

import pytest

from scim.protocol.errors import INVALID_FILTER, INVALID_PATH, ScimError
from scim.protocol.filters import (
    MAX_DEPTH,
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    format_filter,
    matches,
    operands,
    parse_filter,
    parse_patch_path,
)
from scim.protocol.schemas import ENTERPRISE_URN, META, USER_SCHEMA, USER_URN

EMAILS = USER_SCHEMA.attribute("emails")
PHOTOS = USER_SCHEMA.attribute("photos")


def path(name: str, sub: str | None = None, uri: str | None = None) -> AttrPath:
    return AttrPath(uri, name, sub)


def eq(name: str, value, sub: str | None = None) -> Compare:
    return Compare(path(name, sub), "eq", value)


def filter_error(text: str, **kwargs) -> ScimError:
    with pytest.raises(ScimError) as caught:
        parse_filter(text, **kwargs)
    assert (caught.value.status, caught.value.scim_type) == (400, INVALID_FILTER)
    return caught.value


# --- Parsing: shapes -----------------------------------------------------------------------------


def test_simple_comparison():
    assert parse_filter('userName eq "bjensen"') == Compare(path("userName"), "eq", "bjensen")


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_every_comparison_operator(op):
    assert parse_filter(f'title {op} "x"') == Compare(path("title"), op, "x")


@pytest.mark.parametrize("op", ["EQ", "Eq", "eQ", "NE", "Co", "SW", "eW", "GT", "Ge", "LT", "lE"])
def test_operators_are_case_insensitive(op):
    assert parse_filter(f'title {op} "x"') == Compare(path("title"), op.lower(), "x")


def test_present():
    assert parse_filter("title pr") == Present(path("title"))
    assert parse_filter("title PR") == Present(path("title"))


def test_keywords_are_case_insensitive():
    assert parse_filter("a pr AND b pr Or NOT (c pr)") == Or(
        And(Present(path("a")), Present(path("b"))), Not(Present(path("c")))
    )


def test_and_binds_tighter_than_or():
    assert parse_filter("a pr or b pr and c pr") == Or(
        Present(path("a")), And(Present(path("b")), Present(path("c")))
    )
    assert parse_filter("a pr and b pr or c pr") == Or(
        And(Present(path("a")), Present(path("b"))), Present(path("c"))
    )


def test_parentheses_override_precedence():
    assert parse_filter("(a pr or b pr) and c pr") == And(
        Or(Present(path("a")), Present(path("b"))), Present(path("c"))
    )


def test_not_binds_tightest():
    assert parse_filter("not (a pr) and b pr") == And(Not(Present(path("a"))), Present(path("b")))


def test_chains_are_left_associative():
    a, b, c = (Present(path(n)) for n in "abc")
    assert parse_filter("a pr and b pr and c pr") == And(And(a, b), c)
    assert parse_filter("a pr or b pr or c pr") == Or(Or(a, b), c)


def test_rfc_examples():
    # RFC 7644 section 3.4.2.2, the example filters.
    examples = [
        'userName eq "bjensen"',
        'name.familyName co "O\'Malley"',
        'userName sw "J"',
        'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
        "title pr",
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        'meta.lastModified ge "2011-05-13T04:42:34Z"',
        'meta.lastModified lt "2011-05-13T04:42:34Z"',
        'meta.lastModified le "2011-05-13T04:42:34Z"',
        'title pr and userType eq "Employee"',
        'title pr or userType eq "Intern"',
        'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        'userType eq "Employee" and (emails.type eq "work")',
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    ]
    for text in examples:
        assert parse_filter(format_filter(parse_filter(text))) == parse_filter(text)


def test_sub_attribute():
    assert parse_filter('name.givenName eq "Barbara"') == Compare(path("name", "givenName"), "eq", "Barbara")


def test_urn_qualified_core_attribute():
    assert parse_filter(f'{USER_URN}:userName eq "x"') == Compare(AttrPath(USER_URN, "userName"), "eq", "x")


def test_urn_qualified_extension_attribute_with_sub_attribute():
    # The URN has a dot of its own ("2.0"): the attribute starts after the last colon.
    parsed = parse_filter(f'{ENTERPRISE_URN}:manager.value eq "26118915"')
    assert parsed == Compare(AttrPath(ENTERPRISE_URN, "manager", "value"), "eq", "26118915")


def test_ref_sub_attribute():
    assert parse_filter("members.$ref pr") == Present(path("members", "$ref"))
    assert parse_filter('members[$ref eq "x"]') == ValuePath(path("members"), eq("$ref", "x"))


def test_value_path():
    assert parse_filter('emails[type eq "work" and value co "@example.com"]') == ValuePath(
        path("emails"), And(eq("type", "work"), Compare(path("value"), "co", "@example.com"))
    )


def test_value_path_followed_by_sub_attribute_comparison_as_entra_sends_it():
    assert parse_filter('emails[type eq "work"].value eq "ada@example.test"') == ValuePath(
        path("emails"), And(eq("type", "work"), eq("value", "ada@example.test"))
    )
    assert parse_filter('emails[type eq "work"].value pr') == ValuePath(
        path("emails"), And(eq("type", "work"), Present(path("value")))
    )


def test_value_path_inside_logic():
    assert parse_filter('userType eq "Employee" and emails[type eq "work"] or not (ims pr)') == Or(
        And(eq("userType", "Employee"), ValuePath(path("emails"), eq("type", "work"))),
        Not(Present(path("ims"))),
    )


@pytest.mark.parametrize("name", ["notes", "prefix", "orgUnit", "andrew", "eqx", "nullable", "true1", "pr2"])
def test_names_starting_with_a_keyword_are_names(name):
    assert parse_filter(f'{name} eq "x"') == eq(name, "x")


def test_attribute_names_with_digits_hyphens_underscores():
    assert parse_filter('x509Certificates.value eq "x"') == eq("x509Certificates", "x", "value")
    assert parse_filter("my-attr_2 pr") == Present(path("my-attr_2"))


def test_whitespace_is_flexible():
    assert parse_filter('  userName   eq\t"x"  ') == eq("userName", "x")
    assert parse_filter("not(a pr)and(b pr)") == And(Not(Present(path("a"))), Present(path("b")))
    assert parse_filter('emails[ type eq "work" ]') == ValuePath(path("emails"), eq("type", "work"))


# --- Parsing: literals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"plain"', "plain"),
        ('""', ""),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"a\/b"', "a/b"),
        (r'"\b\f\n\r\t"', "\b\f\n\r\t"),
        (r'"\u00e9t\u00C9"', "étÉ"),
        (r'"\ud83d\ude00"', "😀"),
        ('"ünïcödé 😀"', "ünïcödé 😀"),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        ("true", True),
        ("false", False),
        ("null", None),
        ("True", True),
        ("FALSE", False),
        ("Null", None),
    ],
)
def test_json_literals(literal, value):
    parsed = parse_filter(f"x eq {literal}")
    assert parsed.value == value
    assert type(parsed.value) is type(value)


@pytest.mark.parametrize(
    "value",
    [
        " and ",
        " or ",
        "not (",
        ")",
        "]",
        "[",
        '"',
        "x eq y",
        'a" or b pr or c eq "',
        "pr",
        "\\",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    ],
)
def test_a_string_may_contain_anything(value):
    import json

    assert parse_filter(f"title eq {json.dumps(value)}") == eq("title", value)


# --- Parsing: errors -----------------------------------------------------------------------------


def test_error_names_the_position_and_what_was_expected():
    error = filter_error('userName "bjensen"')
    assert error.detail == (
        "Invalid filter at position 10: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) "
        'or "[" after "userName", found "bjensen"'
    )


def test_error_at_the_end():
    error = filter_error("userName eq")
    assert error.detail.startswith("Invalid filter at position 12: expected a value")
    assert 'after "eq", the filter ends' in error.detail


def test_error_for_an_unknown_operator():
    error = filter_error('userName is "x"')
    assert error.detail.startswith("Invalid filter at position 10: expected an operator")
    assert 'found "is"' in error.detail


def test_error_for_unterminated_string():
    error = filter_error('userName eq "bjensen')
    assert error.detail.startswith("Invalid filter at position 13: a string that is not closed")


def test_error_for_invalid_escape():
    assert "position 13" in filter_error(r'userName eq "a\qb"').detail


def test_error_for_single_quotes():
    assert "position 13" in filter_error("userName eq 'bjensen'").detail


def test_error_for_missing_operand_after_and():
    error = filter_error('userName eq "x" and')
    assert error.detail.startswith("Invalid filter at position 20: expected an attribute name")


def test_error_for_unbalanced_parentheses():
    assert "expected" in filter_error('(userName eq "x"').detail
    assert 'found ")"' in filter_error('userName eq "x")').detail


def test_not_needs_parentheses():
    error = filter_error('not userName eq "x"')
    assert error.detail == 'Invalid filter at position 5: expected "(" after "not", found "userName"'


def test_error_for_stray_character():
    error = filter_error('userName eq "x" & title pr')
    assert error.detail.startswith("Invalid filter at position 17:")
    assert "'&'" in error.detail


def test_empty_filter():
    assert filter_error("").detail == "The filter is empty"
    assert filter_error("   ").detail == "The filter is empty"


def test_value_paths_do_not_nest():
    assert "cannot be nested" in filter_error('emails[type eq "work" and ims[value pr]]').detail


def test_value_path_on_a_sub_attribute_is_refused():
    assert "not a sub-attribute" in filter_error("name.givenName[value pr]").detail


def test_nul_and_lone_surrogates_are_refused():
    assert "NUL" in filter_error(r'x eq "\u0000"').detail
    assert "surrogate" in filter_error(r'x eq "\ud800"').detail


def test_numbers_out_of_range_are_refused():
    assert "out of range" in filter_error("x eq 1e400").detail


def test_max_length():
    text = 'userName eq "' + "x" * 5000 + '"'
    assert filter_error(text).detail == f"The filter is {len(text)} characters long; the limit is 4096"
    assert parse_filter(text, max_length=10_000) == eq("userName", "x" * 5000)
    filter_error('userName eq "xx"', max_length=10)


def test_max_nesting_depth():
    ok = "(" * MAX_DEPTH + "a pr" + ")" * MAX_DEPTH
    assert parse_filter(ok) == Present(path("a"))
    error = filter_error("(" * (MAX_DEPTH + 1) + "a pr" + ")" * (MAX_DEPTH + 1))
    assert "nested more than 50 levels deep" in error.detail


def test_deep_nots_are_refused_not_a_recursion_error():
    filter_error("not (" * 1000 + "a pr" + ")" * 1000, max_length=100_000)


def test_parentheses_inside_strings_do_not_count_towards_depth():
    text = 'title eq "' + "(" * 200 + '"'
    assert parse_filter(text) == eq("title", "(" * 200)


def test_long_chains_are_fine_and_flatten_without_recursion():
    text = " or ".join(f'id eq "{n}"' for n in range(2000))
    parsed = parse_filter(text, max_length=len(text))
    assert [item.value for item in operands(parsed, Or)] == [str(n) for n in range(2000)]
    assert parse_filter(format_filter(parsed), max_length=len(text)) == parsed


def test_non_string_input():
    with pytest.raises(ScimError):
        parse_filter(None)  # type: ignore[arg-type]


# --- Formatting and caching ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "x"',
        "a pr or b pr and c pr",
        "(a pr or b pr) and c pr",
        "a pr and (b pr and c pr)",
        "a pr or (b pr or c pr)",
        "not (a pr or b pr)",
        'emails[type eq "work" and not (value co "\\"")]',
        f"{ENTERPRISE_URN}:manager.value ne null",
        "x gt -1.5e-07",
    ],
)
def test_format_roundtrips(text):
    parsed = parse_filter(text)
    assert parse_filter(format_filter(parsed)) == parsed
    assert str(parsed) == format_filter(parsed)


def test_repeated_filters_are_parsed_once():
    assert parse_filter('userName eq "cached"') is parse_filter('userName eq "cached"')


def test_parsing_is_fast():
    from scim.protocol import filters

    uncached = filters._parse_filter_cached.__wrapped__
    start = time.perf_counter()
    for _ in range(200):
        uncached('userName eq "bjensen@example.com"', 4096)
    per_parse = (time.perf_counter() - start) / 200
    # Typically ~30 µs; the bound leaves room for a slow CI machine.
    assert per_parse < 0.001


# --- PATCH paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", PatchPath(path("userName"))),
        ("name.familyName", PatchPath(path("name", "familyName"))),
        (f"{ENTERPRISE_URN}:manager", PatchPath(AttrPath(ENTERPRISE_URN, "manager"))),
        (f"{ENTERPRISE_URN}:manager.value", PatchPath(AttrPath(ENTERPRISE_URN, "manager", "value"))),
        (f"{USER_URN}:userName", PatchPath(AttrPath(USER_URN, "userName"))),
        ('emails[type eq "work"]', PatchPath(path("emails"), eq("type", "work"))),
        ('emails[type eq "work"].value', PatchPath(path("emails"), eq("type", "work"), "value")),
        (
            'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
            PatchPath(path("members"), eq("value", "2819c223-7f76-453a-919d-413861904646")),
        ),
        (
            'addresses[type eq "work" and primary eq true].streetAddress',
            PatchPath(path("addresses"), And(eq("type", "work"), eq("primary", True)), "streetAddress"),
        ),
        ("members.$ref", PatchPath(path("members", "$ref"))),
    ],
)
def test_patch_paths(text, expected):
    assert parse_patch_path(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "emails[",
        'emails[type eq "work"',
        'emails[type eq "work"].',
        "emails]",
        "a b",
        'userName eq "x"',
        "1abc",
    ],
)
def test_bad_patch_paths_are_invalid_path(text):
    with pytest.raises(ScimError) as caught:
        parse_patch_path(text)
    assert (caught.value.status, caught.value.scim_type) == (400, INVALID_PATH)


def test_patch_path_error_names_the_position():
    with pytest.raises(ScimError) as caught:
        parse_patch_path('emails[type eq "work"')
    assert caught.value.detail.startswith("Invalid path at position 22: expected")


def test_patch_path_str_roundtrips():
    text = 'emails[type eq "work"].value'
    assert str(parse_patch_path(text)) == text


# --- matches -------------------------------------------------------------------------------------

WORK = {"value": "Ada@Example.test", "type": "work", "primary": True, "display": "Ada"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('type eq "work"', True),
        ('type eq "WORK"', True),
        ('TYPE eq "work"', True),
        ('value eq "ada@example.test"', True),
        ('value co "@EXAMPLE"', True),
        ('value sw "ada"', True),
        ('value ew ".TEST"', True),
        ('value gt "a"', True),
        ('value lt "a"', False),
        ('type ne "work"', False),
        ('type ne "home"', True),
        ("primary eq true", True),
        ('primary eq "True"', True),
        ("primary ne false", True),
        ("primary eq false", False),
        ("value pr", True),
        ("missing pr", False),
        ('missing eq "x"', False),
        ('missing ne "x"', True),
        ('not (missing eq "x")', True),
        ("missing eq null", True),
        ("value eq null", False),
        ("value ne null", True),
        ('type eq "work" and primary eq true', True),
        ('type eq "home" or display eq "ada"', True),
        ('not (type eq "work")', False),
    ],
)
def test_matches_an_element(text, expected):
    assert matches(parse_filter(text), WORK, EMAILS) is expected


def test_matches_without_a_schema_is_case_insensitive():
    assert matches(parse_filter('value eq "ADA@EXAMPLE.TEST"'), WORK)
    assert matches(parse_filter("primary eq true"), WORK)
    assert not matches(parse_filter("primary eq 1"), WORK)


def test_matches_respects_case_exact():
    photo = {"value": "https://img.test/Ada.png", "type": "photo"}
    assert matches(parse_filter('value eq "https://img.test/Ada.png"'), photo, PHOTOS)
    assert not matches(parse_filter('value eq "https://img.test/ada.png"'), photo, PHOTOS)
    assert matches(parse_filter('type eq "PHOTO"'), photo, PHOTOS)


def test_matches_empty_values_are_not_present():
    assert not matches(parse_filter("value pr"), {"value": ""})
    assert not matches(parse_filter("value pr"), {"value": None})
    assert not matches(parse_filter("value pr"), {"value": []})


def test_matches_datetimes_by_instant():
    meta = {"created": "2024-06-01T02:00:00+02:00"}
    assert matches(parse_filter('created eq "2024-06-01T00:00:00Z"'), meta, META)
    assert matches(parse_filter('created lt "2024-06-01T00:00:01Z"'), meta, META)
    with pytest.raises(ScimError):
        matches(parse_filter('created gt "soon"'), meta, META)


def test_matches_refuses_ordering_booleans():
    with pytest.raises(ScimError) as caught:
        matches(parse_filter("primary gt true"), WORK, EMAILS)
    assert caught.value.scim_type == INVALID_FILTER


def test_matches_refuses_ordering_on_null():
    with pytest.raises(ScimError):
        matches(parse_filter("value gt null"), WORK, EMAILS)


def test_matches_a_value_path_against_a_resource():
    user = {"userName": "ada", "emails": [{"value": "a@x.test", "type": "home"}, WORK]}
    assert matches(parse_filter('emails[type eq "work" and primary eq true]'), user, None)
    assert not matches(parse_filter('emails[type eq "work" and value eq "a@x.test"]'), user)
    assert matches(parse_filter('emails.type eq "work" and emails.value eq "a@x.test"'), user)
    assert matches(parse_filter('userName eq "ADA"'), user)


def test_matches_long_chains_without_recursion():
    text = " or ".join(f'value eq "{n}"' for n in range(3000)) + ' or type eq "work"'
    assert matches(parse_filter(text, max_length=len(text)), WORK, EMAILS)


def test_matches_numbers():
    assert matches(parse_filter("n gt 2"), {"n": 3})
    assert not matches(parse_filter('n gt "2"'), {"n": 3})
    assert matches(parse_filter("n eq 3.0"), {"n": 3})
