"""SCIM filter expressions and PATCH paths (RFC 7644 sections 3.4.2.2 and 3.5.2): parsing into a
small, immutable AST, plus evaluation of a filter against one in-memory value (used for value
paths inside a single resource, e.g. `emails[type eq "work"]` in PATCH).

Pure Python: no HTTP, no ORM. `scim.filtering` compiles the same AST into database queries.

The grammar is an LALR(1) grammar for `lark`, built once at import. The parser builds the AST
while it parses (an inline transformer), so no parse tree is kept and nothing recurses on the
depth of the input: a hostile filter costs at most `max_length` characters of lexing, and the
nesting limit is checked before parsing starts.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from lark import Lark, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import INVALID_FILTER, INVALID_PATH, ScimError, invalid_filter
from .schemas import BOOLEAN, DATETIME, DECIMAL, INTEGER, Attribute

COMPARE_OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")

MAX_LENGTH = 4096
# Parentheses and brackets nested deeper than this are refused. Real IdP filters nest one or two
# levels; the limit keeps every consumer of the AST (which recurses on nesting) far from Python's
# recursion limit.
MAX_DEPTH = 50


@dataclass(frozen=True)
class AttrPath:
    """An attribute as written: optional schema URN, attribute name, optional sub-attribute."""

    uri: str | None
    attr: str
    sub: str | None = None

    def __str__(self) -> str:
        base = f"{self.uri}:{self.attr}" if self.uri else self.attr
        return f"{base}.{self.sub}" if self.sub else base


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str  # one of COMPARE_OPERATORS, lower-case
    value: str | int | float | bool | None  # JSON literal: string, number, true/false, null

    def __str__(self) -> str:
        return format_filter(self)


@dataclass(frozen=True)
class Present:
    path: AttrPath

    def __str__(self) -> str:
        return format_filter(self)


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter

    def __str__(self) -> str:
        return format_filter(self)


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter

    def __str__(self) -> str:
        return format_filter(self)


@dataclass(frozen=True)
class Not:
    expr: Filter

    def __str__(self) -> str:
        return format_filter(self)


@dataclass(frozen=True)
class ValuePath:
    """`emails[type eq "work"]`: elements of multi-valued `path` matching `filter`, whose paths
    are relative to the element (sub-attributes)."""

    path: AttrPath
    filter: Filter

    def __str__(self) -> str:
        return format_filter(self)


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH `path`: `attr`, `attr.sub`, `urn:...:attr`, `attr[filter]`, `attr[filter].sub`."""

    attr: AttrPath  # never has `sub` when value_filter is set; the sub goes in `sub`
    value_filter: Filter | None = None
    sub: str | None = None

    def __str__(self) -> str:
        if self.value_filter is None:
            return str(self.attr)
        text = f"{self.attr}[{format_filter(self.value_filter)}]"
        return f"{text}.{self.sub}" if self.sub else text


# --- Grammar -------------------------------------------------------------------------------------
#
# RFC 7644 section 3.4.2.2 (ABNF in figure 1), with these deliberate differences:
# * operators, `and`/`or`/`not` and the literals true/false/null in any letter case; Okta and
#   OneLogin have been seen sending `Eq` and `True`;
# * any run of whitespace where the ABNF says SP, and none needed before `(`, `[` or a string;
# * `attr[filter].sub op value`, which Entra ID sends (`emails[type eq "work"].value eq "x"`),
#   read as `attr[filter and sub op value]`;
# * `(filter)` grouping is a FILTER of its own (the ABNF only has `not (...)` and `(...)` there).
#
# Keywords are regular expressions with a look-ahead so that an attribute whose name merely starts
# with one (`notes`, `prefix`, `orgUnit`) is read as a name. `not` outranks a name, so
# `not userName eq "x"` fails with 'expected "(" after "not"' rather than with something obscure.
# ATTRPATH takes the whole `[urn:...:]attr[.sub]`: the URN part ends at the last colon, which is
# the only reading of `urn:...:2.0:User:manager.value` that leaves an attribute name.
_GRAMMAR = r"""
?filter: or_expr
?or_expr: and_expr
        | or_expr _OR and_expr -> or_
?and_expr: unary
         | and_expr _AND unary -> and_
?unary: _NOT "(" or_expr ")" -> not_
      | "(" or_expr ")"
      | ATTRPATH PR -> present
      | ATTRPATH COMPARE value -> compare
      | ATTRPATH "[" or_expr "]" -> value_path
      | ATTRPATH "[" or_expr "]" SUBATTR PR -> value_path_present
      | ATTRPATH "[" or_expr "]" SUBATTR COMPARE value -> value_path_compare

value: STRING -> string
     | NUMBER -> number
     | TRUE -> true
     | FALSE -> false
     | NULL -> null

patch_path: ATTRPATH -> plain_path
          | ATTRPATH "[" or_expr "]" -> filtered_path
          | ATTRPATH "[" or_expr "]" SUBATTR -> filtered_path

_OR: /or(?![\w$])/i
_AND: /and(?![\w$])/i
_NOT.2: /not(?![\w$:.\-])/i
PR.2: /pr(?![\w$:.\-])/i
COMPARE.2: /(eq|ne|co|sw|ew|gt|ge|lt|le)(?![\w$:.\-])/i
TRUE.2: /true(?![\w$])/i
FALSE.2: /false(?![\w$])/i
NULL.2: /null(?![\w$])/i
ATTRPATH: /(?:urn:[a-z0-9][a-z0-9\-.:_]*:)?\$?[a-z][a-z0-9_\-]*(?:\.\$?[a-z][a-z0-9_\-]*)?/i
SUBATTR: /\.\$?[a-z][a-z0-9_\-]*/i
STRING: /"(?:[^"\\]|\\["\\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/
NUMBER: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/

%ignore /[ \t\r\n]+/
"""


def _attr_path(token) -> AttrPath:
    text = str(token)
    uri = None
    if text[:4].lower() == "urn:":
        cut = text.rindex(":")
        uri, text = text[:cut], text[cut + 1 :]
    attr, _, sub = text.partition(".")
    return AttrPath(uri, attr, sub or None)


class _Builder(Transformer):
    """Callbacks run by the LALR parser as it reduces each rule: the AST is built in one pass."""

    def string(self, children):
        (token,) = children
        value = json.loads(str(token), strict=False)
        if "\x00" in value:
            raise _LiteralError(token, "a string may not contain the NUL character (\\u0000)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _LiteralError(token, "a \\u escape is an unpaired UTF-16 surrogate") from None
        return value

    def number(self, children):
        (token,) = children
        text = str(token)
        if not any(c in text for c in ".eE"):
            return int(text)
        value = float(text)
        if not math.isfinite(value):
            raise _LiteralError(token, f"the number {text} is out of range")
        return value

    def true(self, children):
        return True

    def false(self, children):
        return False

    def null(self, children):
        return None

    def or_(self, children):
        return Or(children[0], children[1])

    def and_(self, children):
        return And(children[0], children[1])

    def not_(self, children):
        return Not(children[0])

    def present(self, children):
        return Present(_attr_path(children[0]))

    def compare(self, children):
        path, op, value = children
        return Compare(_attr_path(path), str(op).lower(), value)

    def value_path(self, children):
        path, inner = children
        return _value_path(path, inner)

    def value_path_present(self, children):
        path, inner, sub, _ = children
        return _value_path(path, And(inner, Present(AttrPath(None, str(sub)[1:]))))

    def value_path_compare(self, children):
        path, inner, sub, op, value = children
        return _value_path(path, And(inner, Compare(AttrPath(None, str(sub)[1:]), str(op).lower(), value)))

    def plain_path(self, children):
        return PatchPath(_attr_path(children[0]))

    def filtered_path(self, children):
        path, inner, *sub = children
        value_path = _value_path(path, inner)
        return PatchPath(value_path.path, value_path.filter, str(sub[0])[1:] if sub else None)


class _LiteralError(Exception):
    """A token the grammar accepts but whose value is unusable; turned into a positioned error."""

    def __init__(self, token, reason: str):
        super().__init__(reason)
        self.token = token
        self.reason = reason


def _value_path(token, inner: Filter) -> ValuePath:
    path = _attr_path(token)
    if path.sub:
        # `name.givenName[...]`: the RFC only filters the elements of a multi-valued attribute.
        raise _LiteralError(
            token,
            f'"{path}" cannot be followed by "[": a value filter applies to an attribute, not a sub-attribute',
        )
    for node in _walk(inner):
        if isinstance(node, ValuePath):
            # RFC 7644 valFilter has no valuePath: filters do not nest brackets.
            raise _LiteralError(token, f'value filters cannot be nested inside "{path}[...]"')
    return ValuePath(path, inner)


_PARSER = Lark(
    _GRAMMAR,
    parser="lalr",
    lexer="contextual",
    start=["filter", "patch_path"],
    transformer=_Builder(),
    maybe_placeholders=False,
)

# --- Errors with a position ------------------------------------------------------------------------

_OPERATOR_WORDS = "an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)"
_EXPECTED_WORDS = {
    "COMPARE": _OPERATOR_WORDS,
    "PR": _OPERATOR_WORDS,
    "STRING": 'a value ("a string", a number, true, false or null)',
    "NUMBER": 'a value ("a string", a number, true, false or null)',
    "TRUE": 'a value ("a string", a number, true, false or null)',
    "FALSE": 'a value ("a string", a number, true, false or null)',
    "NULL": 'a value ("a string", a number, true, false or null)',
    "ATTRPATH": "an attribute name",
    "_NOT": '"not"',
    "LPAR": '"("',
    "RPAR": '")"',
    "LSQB": '"["',
    "RSQB": '"]"',
    "_AND": '"and"',
    "_OR": '"or"',
    "SUBATTR": '".subAttribute"',
    "$END": "the end",
}


def _describe_expected(names) -> str:
    words: list[str] = []
    for name in sorted(names, key=lambda n: list(_EXPECTED_WORDS).index(n) if n in _EXPECTED_WORDS else 99):
        word = _EXPECTED_WORDS.get(name, name)
        if word not in words:
            words.append(word)
    if len(words) <= 1:
        return words[0] if words else "something else"
    return ", ".join(words[:-1]) + " or " + words[-1]


def _excerpt(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LAST_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*"|[^\s()\[\]]+|[()\[\]])\s*$')


def _quoted(token: str) -> str:
    """A token as the message shows it: a string literal already has its quotes."""
    token = _excerpt(token)
    return token if token.startswith('"') else f'"{token}"'


def _previous(text: str, pos: int) -> str:
    match = _LAST_TOKEN.search(text[:pos])
    return f" after {_quoted(match.group(1))}" if match else ""


def _syntax_error(error: UnexpectedInput, text: str, what: str, scim_type: str) -> ScimError:
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        pos = error.token.start_pos
        found = f"found {_quoted(str(error.token))}"
        expected = _describe_expected(error.expected)
    elif isinstance(error, UnexpectedCharacters):
        pos = error.pos_in_stream
        if text[pos] == '"':
            return ScimError(
                400,
                f"Invalid {what} at position {pos + 1}: a string that is not closed by a quote or has an "
                "invalid escape (only JSON escapes are allowed)",
                scim_type,
            )
        found = f"found {text[pos]!r}"
        expected = _describe_expected(error.allowed or ())
    else:  # the end came too early
        pos = len(text.rstrip())
        found = f"the {what} ends"
        names = getattr(error, "expected", None) or ()
        expected = _describe_expected(names)
    return ScimError(
        400,
        f"Invalid {what} at position {pos + 1}: expected {expected}{_previous(text, pos)}, {found}",
        scim_type,
    )


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"?|[()\[\]]')


def _check_limits(text: str, max_length: int, what: str, scim_type: str) -> None:
    if len(text) > max_length:
        raise ScimError(
            400, f"The {what} is {len(text)} characters long; the limit is {max_length}", scim_type
        )
    depth = 0
    for match in _BRACKETS.finditer(text):
        char = match.group()
        if char in "([":
            depth += 1
            if depth > MAX_DEPTH:
                raise ScimError(
                    400,
                    f"Invalid {what} at position {match.start() + 1}: nested more than {MAX_DEPTH} levels deep",
                    scim_type,
                )
        elif char in ")]":
            depth -= 1


def _parse(text: str, start: str, max_length: int, what: str, scim_type: str):
    if not isinstance(text, str):
        raise ScimError(400, f"The {what} must be a string", scim_type)
    _check_limits(text, max_length, what, scim_type)
    if not text.strip():
        raise ScimError(400, f"The {what} is empty", scim_type)
    try:
        return _PARSER.parse(text, start=start)
    except _LiteralError as error:
        token = error.token
        raise ScimError(
            400, f"Invalid {what} at position {token.start_pos + 1}: {error.reason}", scim_type
        ) from None
    except (UnexpectedToken, UnexpectedCharacters, UnexpectedEOF) as error:
        raise _syntax_error(error, text, what, scim_type) from None


# The filter nearly every IdP request carries: one attribute, one operator, one string
# (`userName eq "alice@example.test"`, sent before each create). Lark takes ~0.07 ms for it, a
# regular expression a sixth of that. The pattern is the grammar's own terminals in the order the
# grammar allows them; whitespace is required after the attribute because the lexer's ATTRPATH
# would otherwise run on into the operator. Anything unusual (a keyword as the name, an escape
# that fails, a literal that isn't a string) falls through to the full parser, which gives the
# same answer or the positioned error; a test checks both parsers agree on generated filters.
_SIMPLE_COMPARE = re.compile(
    r"[ \t\r\n]*"
    r"((?:urn:[a-z0-9][a-z0-9\-.:_]*:)?\$?[a-z][a-z0-9_\-]*(?:\.\$?[a-z][a-z0-9_\-]*)?)"
    r"[ \t\r\n]+(eq|ne|co|sw|ew|gt|ge|lt|le)[ \t\r\n]*"
    r'("(?:[^"\\\x00]|\\["\\/bfnrt])*")[ \t\r\n]*',
    re.IGNORECASE,
)


def _parse_simple_compare(text: str) -> Compare | None:
    match = _SIMPLE_COMPARE.fullmatch(text)
    if match is None:
        return None
    path, op, literal = match.groups()
    if path.lower() == "not":  # the grammar reads `not` as the keyword, then wants "("
        return None
    try:
        literal.encode("utf-8")  # a lone surrogate: the full parser names it
    except UnicodeEncodeError:
        return None
    return Compare(_attr_path(path), op.lower(), json.loads(literal, strict=False))


@lru_cache(maxsize=512)
def _parse_filter_cached(text: str, max_length: int) -> Filter:
    if len(text) <= max_length:
        simple = _parse_simple_compare(text)
        if simple is not None:
            return simple
    return _parse(text, "filter", max_length, "filter", INVALID_FILTER)


def parse_filter(text: str, max_length: int = MAX_LENGTH) -> Filter:
    """Parse a `filter` query parameter (or SearchRequest member) into the AST.

    Raises ScimError 400 invalidFilter, naming the 1-based character position of the problem.
    The AST is immutable, so the same filter text (IdPs repeat `userName eq ...` lookups) is
    parsed once and shared."""
    if not isinstance(text, str):
        raise invalid_filter("The filter must be a string")
    return _parse_filter_cached(text, max_length)


def parse_patch_path(text: str, max_length: int = MAX_LENGTH) -> PatchPath:
    """Parse a PATCH operation's `path` (RFC 7644 section 3.5.2). Raises ScimError 400 invalidPath."""
    if not isinstance(text, str):
        raise ScimError(400, "The path must be a string", INVALID_PATH)
    return _parse_patch_path_cached(text, max_length)


@lru_cache(maxsize=256)
def _parse_patch_path_cached(text: str, max_length: int) -> PatchPath:
    return _parse(text, "patch_path", max_length, "path", INVALID_PATH)


# --- Walking and formatting ------------------------------------------------------------------------


def operands(node: Filter, kind: type[And] | type[Or]) -> list[Filter]:
    """The operands of a chain of `kind` (And or Or), flattened, left to right.

    `a or b or c ...` parses as a left-leaning tree as deep as the chain is long; an IdP looking
    up a few hundred ids in one filter would take a recursive walker past Python's recursion
    limit, so every consumer flattens chains with this loop instead."""
    result: list[Filter] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            stack.append(current.right)
            stack.append(current.left)
        else:
            result.append(current)
    return result


def _walk(node: Filter):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, And | Or):
            stack.extend((current.right, current.left))
        elif isinstance(current, Not):
            stack.append(current.expr)
        elif isinstance(current, ValuePath):
            stack.append(current.filter)


def comparison_count(node: Filter) -> int:
    """How many comparisons evaluating `node` on one value makes."""
    return sum(1 for item in _walk(node) if isinstance(item, Compare | Present))


@dataclass(frozen=True)
class Slot:
    """Stands for the n-th string literal of a filter in its shape (see `parameterize`)."""

    index: int


# Filters with more comparisons than this are not worth a shape of their own.
MAX_SHAPE_LEAVES = 16


def parameterize(node: Filter) -> tuple[Filter, tuple[str, ...]] | None:
    """The filter's shape and its string literals: every non-empty string value replaced by a
    `Slot`, in order. Two filters that differ only in those strings have equal shapes, so a
    database query compiled for one shape serves both (`scim.statements`). Empty strings,
    numbers, booleans and null stay in the shape: compilers treat them differently. None for a
    filter too large to be worth it."""
    if comparison_count(node) > MAX_SHAPE_LEAVES:
        return None
    values: list[str] = []

    def shape(item: Filter) -> Filter:
        if isinstance(item, Compare):
            if isinstance(item.value, str) and item.value:
                values.append(item.value)
                return Compare(item.path, item.op, Slot(len(values) - 1))
            return item
        if isinstance(item, And | Or):
            return type(item)(shape(item.left), shape(item.right))
        if isinstance(item, Not):
            return Not(shape(item.expr))
        if isinstance(item, ValuePath):
            return ValuePath(item.path, shape(item.filter))
        return item

    return shape(node), tuple(values)


def shape_key(shape: Filter) -> tuple:
    """A cache key for `shape` that tells apart literals Python holds equal: `true`, `1` and
    `1.0` compare and hash alike, yet a filter compiles differently for each (a boolean attribute
    refuses a number; `"1"` and `"1.0"` are different strings)."""
    if isinstance(shape, Compare):
        value = shape.value
        return ("compare", shape.path, shape.op, type(value).__name__, value)
    if isinstance(shape, And | Or):
        return (type(shape).__name__, shape_key(shape.left), shape_key(shape.right))
    if isinstance(shape, Not):
        return ("not", shape_key(shape.expr))
    if isinstance(shape, ValuePath):
        return ("valuepath", shape.path, shape_key(shape.filter))
    return ("leaf", type(shape).__name__, shape)


def with_values(shape: Filter, values) -> Filter:
    """The filter of `shape` with its slots filled from `values` (the inverse of `parameterize`)."""
    if isinstance(shape, Compare):
        return (
            Compare(shape.path, shape.op, values[shape.value.index])
            if isinstance(shape.value, Slot)
            else shape
        )
    if isinstance(shape, And | Or):
        return type(shape)(with_values(shape.left, values), with_values(shape.right, values))
    if isinstance(shape, Not):
        return Not(with_values(shape.expr, values))
    if isinstance(shape, ValuePath):
        return ValuePath(shape.path, with_values(shape.filter, values))
    return shape


def _literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def format_filter(node: Filter) -> str:
    """The filter as text that `parse_filter` reads back into an equal AST."""
    if isinstance(node, Compare):
        return f"{node.path} {node.op} {_literal(node.value)}"
    if isinstance(node, Present):
        return f"{node.path} pr"
    if isinstance(node, Not):
        return f"not ({format_filter(node.expr)})"
    if isinstance(node, ValuePath):
        return f"{node.path}[{format_filter(node.filter)}]"
    kind = type(node)
    # Walk down the left spine (the parser's own associativity) without recursing; a right
    # operand of the same or a looser kind was written in parentheses.
    spine: list[Filter] = []
    current: Filter = node
    while isinstance(current, kind):
        spine.append(current.right)
        current = current.left
    spine.append(current)
    spine.reverse()
    parts = []
    for index, operand in enumerate(spine):
        text = format_filter(operand)
        needs_parens = isinstance(operand, Or) if kind is And else False
        if index > 0 and isinstance(operand, kind):
            needs_parens = True
        parts.append(f"({text})" if needs_parens else text)
    return f" {'and' if kind is And else 'or'} ".join(parts)


# --- Evaluation against one in-memory value ----------------------------------------------------


def parse_datetime(value) -> datetime | None:
    """An ISO 8601 / RFC 3339 timestamp (`Z` or an offset; no offset means UTC), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_boolean(value) -> bool | None:
    """true/false, also as the strings "true"/"false" in any case (OneLogin sends "False")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def comparison_operand(attribute: Attribute, op: str, value, path: str):
    """The filter literal `value` as the type of `attribute`, for operator `op` (never "pr", never
    a null value). Raises invalidFilter for a comparison the attribute's type has no meaning for.

    Shared by `matches` and the database compiler so that both read a filter the same way."""
    kind = attribute.type
    if kind == BOOLEAN:
        if op not in ("eq", "ne"):
            raise invalid_filter(f'"{path}" is a boolean: only eq, ne and pr apply, not {op}')
        parsed = parse_boolean(value)
        if parsed is None:
            raise invalid_filter(
                f'"{path}" is a boolean: compare it with true or false, not {_literal(value)}'
            )
        return parsed
    if kind == DATETIME:
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f'"{path}" is a dateTime: {op} does not apply to it')
        parsed = parse_datetime(value)
        if parsed is None:
            raise invalid_filter(f'"{path}" is a dateTime: {_literal(value)} is not an ISO 8601 timestamp')
        return parsed
    if kind in (INTEGER, DECIMAL):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_filter(f'"{path}" is a number: {_literal(value)} is not one')
        if op in ("co", "sw", "ew"):
            raise invalid_filter(f'"{path}" is a number: {op} does not apply to it')
        return value
    if isinstance(value, bool):
        raise invalid_filter(
            f'"{path}" is a string: compare it with a "quoted string", not {_literal(value)}'
        )
    if isinstance(value, int | float):
        # Some IdPs send unquoted employee numbers; the attribute is a string, so compare as one.
        return json.dumps(value)
    return value


def is_present(value) -> bool:
    """RFC 7644 `pr`: the attribute has a non-empty value (not null, "", [] or {})."""
    return value is not None and value != "" and value != [] and value != {}


def _get(container, name: str):
    if not isinstance(container, dict):
        return None
    if name in container:
        return container[name]
    lowered = name.lower()
    return next((v for k, v in container.items() if isinstance(k, str) and k.lower() == lowered), None)


def _values(element: dict, path: AttrPath) -> list:
    """Every value `path` reaches in `element`, multi-valued attributes flattened."""
    current = _get(element, path.uri) if path.uri else element
    current = _get(current, path.attr)
    if path.sub is not None:
        items = current if isinstance(current, list) else [current]
        current = [_get(item, path.sub) for item in items]
    values = current if isinstance(current, list) else [current]
    return [v for v in values if v is not None]


def _leaf(attribute: Attribute | None, path: AttrPath) -> Attribute | None:
    if attribute is None:
        return None
    leaf = attribute.sub(path.attr)
    if leaf is not None and path.sub is not None:
        leaf = leaf.sub(path.sub)
    return leaf


def _compare_one(op: str, actual, expected, leaf: Attribute | None, path: str) -> bool:
    if leaf is None:
        # No schema: read the element's own JSON type.
        if isinstance(actual, bool):
            if op not in ("eq", "ne"):
                return False
            expected = parse_boolean(expected)
            return expected is not None and actual == expected
        if isinstance(actual, int | float):
            if isinstance(expected, bool) or not isinstance(expected, int | float):
                return False
            return _ordered(op, actual, expected)
        if not isinstance(actual, str) or isinstance(expected, bool):
            return False
        leaf = Attribute(path)
    expected = comparison_operand(leaf, op, expected, path)
    if leaf.type == BOOLEAN:
        actual = parse_boolean(actual)
        return actual is not None and actual == expected
    if leaf.type == DATETIME:
        actual = parse_datetime(actual)
        return actual is not None and _ordered(op, actual, expected)
    if leaf.type in (INTEGER, DECIMAL):
        return (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and _ordered(op, actual, expected)
        )
    if isinstance(actual, bool) or not isinstance(actual, str | int | float):
        return False
    actual = actual if isinstance(actual, str) else json.dumps(actual)
    if not leaf.case_exact:
        actual, expected = actual.lower(), expected.lower()
    if op == "co":
        return expected in actual
    if op == "sw":
        return actual.startswith(expected)
    if op == "ew":
        return actual.endswith(expected)
    return _ordered(op, actual, expected)


def _ordered(op: str, actual, expected) -> bool:
    if op in ("eq", "ne"):
        return actual == expected
    if op == "gt":
        return actual > expected
    if op == "ge":
        return actual >= expected
    if op == "lt":
        return actual < expected
    if op == "le":
        return actual <= expected
    return False


def matches(filter: Filter, element: dict, attribute: Attribute | None = None) -> bool:
    """Whether `element` (one value of a multi-valued attribute, e.g. one email) satisfies `filter`.

    Keys are looked up in any letter case. With `attribute` (the multi-valued attribute the
    element belongs to), each sub-attribute's type and caseExact decide the comparison; without
    it, strings compare case-insensitively. `ne` is the negation of `eq`, so an element lacking
    the attribute matches `ne` and `not (... eq ...)`, the same as in database queries."""
    if isinstance(filter, And):
        return all(matches(item, element, attribute) for item in operands(filter, And))
    if isinstance(filter, Or):
        return any(matches(item, element, attribute) for item in operands(filter, Or))
    if isinstance(filter, Not):
        return not matches(filter.expr, element, attribute)
    if isinstance(filter, Present):
        return any(is_present(value) for value in _values(element, filter.path))
    if isinstance(filter, ValuePath):
        items = _get(element, filter.path.attr)
        inner = attribute.sub(filter.path.attr) if attribute is not None else None
        if not isinstance(items, list):
            items = [items] if isinstance(items, dict) else []
        return any(isinstance(item, dict) and matches(filter.filter, item, inner) for item in items)
    values = _values(element, filter.path)
    path = str(filter.path)
    if filter.value is None:
        if filter.op not in ("eq", "ne"):
            raise invalid_filter(f'"{path} {filter.op} null": only eq and ne compare with null')
        # `eq null` asks "is it absent?" (RFC 7644 section 3.4.2.2: null means unassigned).
        present = any(is_present(value) for value in values)
        return present if filter.op == "ne" else not present
    leaf = _leaf(attribute, filter.path)
    if filter.op == "ne":
        return not any(_compare_one("eq", value, filter.value, leaf, path) for value in values)
    return any(_compare_one(filter.op, value, filter.value, leaf, path) for value in values)
