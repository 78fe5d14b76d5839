"""SCIM filters and sortBy as database queries (RFC 7644 sections 3.4.2.2 and 3.4.2.3).

`user_filter_q` / `group_filter_q` compile a parsed filter into one `Q` for the tenant-scoped
queryset, so a list request is one SQL query whatever the filter: nothing is ever evaluated in
Python over rows. The same SQL runs on SQLite and PostgreSQL:

* Every comparison is two-valued. A comparison on a missing value (SQL NULL) is FALSE, never
  UNKNOWN, so `not (title eq "x")` and `title ne "x"` match a user without a title, as a reader of
  the filter expects; SQL's three-valued logic would silently drop them.
* caseExact=false compares `LOWER(column)` with `LOWER(value)`: the database lowers both sides, so
  they agree even for characters whose case only one engine knows about.
* co/sw/ew use STRPOS/SUBSTR, not LIKE: no wildcard in the value can widen a match, and SQLite's
  LIKE (case-insensitive for ASCII) cannot make a caseExact attribute match in the wrong case.
* gt/ge/lt/le and sorting on strings use code-point order (`COLLATE "C"` / `BINARY`), whatever
  collation the PostgreSQL database was created with.

Storage: the attributes every lookup needs are columns; other single-valued attributes are keys of
`ScimUser.attributes` (the enterprise extension under its URN); multi-valued attributes are
`ScimUserValue` rows, one per element; `groups` and `members` come from team memberships.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.fields.json import compile_json_path
from django.db.models.functions import Length, Lower, StrIndex, Substr
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
)

from organizations.models import TeamMembership

from .models import ScimUserValue
from .protocol.errors import ScimError, bad_request, invalid_filter
from .protocol.filters import (
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    comparison_operand,
    is_present,
    matches,
    operands,
    parse_patch_path,
)
from .protocol.schemas import (
    BOOLEAN,
    COMPLEX,
    DATETIME,
    GROUP,
    NEVER,
    URN_ALIASES,
    USER,
    Attribute,
    AttributeRef,
    ResourceType,
    UnknownAttribute,
    resolve_attribute,
)
from .storage import JSON_ONLY_VALUES

# Conditions that survive negation: an empty Q() is dropped by the ORM, so `~Q()` would match
# everything where `not (meta.resourceType eq "Group")` on /Users must match everything and
# `meta.resourceType eq "Group"` nothing.
_TRUE = Q(pk__isnull=False)
_FALSE = Q(pk__isnull=True)


class _CodePointOrder(Func):
    """`expr COLLATE "C"` on PostgreSQL, `COLLATE BINARY` (SQLite's default) elsewhere: strings
    ordered by code point on both engines, independent of the database's locale."""

    arity = 1
    template = '%(expressions)s COLLATE "C"'

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="%(expressions)s COLLATE BINARY", **extra_context)


class _SortKey(Func):
    """A sortBy expression. RFC 7644 section 3.4.2.3: resources without a value sort last when
    ascending and first when descending, i.e. missing values count as the greatest. PostgreSQL
    and SQLite default to opposite NULL orderings, so the key says it explicitly."""

    arity = 1
    template = "%(expressions)s"

    def asc(self, **kwargs):
        kwargs.setdefault("nulls_last", True)
        return super().asc(**kwargs)

    def desc(self, **kwargs):
        kwargs.setdefault("nulls_first", True)
        return super().desc(**kwargs)


_NO_CONSTANT = object()


@dataclass(frozen=True)
class _Leaf:
    """Where one attribute's value lives: an expression on the queryset's model, or a constant
    that is the same for every resource (meta.resourceType)."""

    attribute: Attribute
    expression: Callable[[], object] | None = None
    constant: object = _NO_CONSTANT
    json: bool = False  # a key of a JSON document: an object or array may sit there


class _JsonText(Func):
    """The JSON value at `keys` inside `field` as text: strings unquoted, and SQL NULL where a key
    is missing or holds JSON null, on both engines. (Django's KeyTextTransform gives the string
    'null' for a JSON null on SQLite, which would make `title pr` true for `"title": null`.)"""

    output_field = TextField()

    def __init__(self, field: str, keys: list[str]):
        super().__init__(F(field))
        self.keys = tuple(keys)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"({column} #>> %s)", (*params, list(self.keys))

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        # JSON_EXTRACT gives numbers as numbers; CAST makes `employeeNumber eq 42` compare text.
        return f"CAST(JSON_EXTRACT({column}, %s) AS TEXT)", (*params, compile_json_path(self.keys))


def _not_null(expression) -> Q:
    return Q(IsNull(expression, False))


def _present_q(leaf: _Leaf) -> Q:
    if leaf.constant is not _NO_CONSTANT:
        return _TRUE if is_present(leaf.constant) else _FALSE
    expression = leaf.expression()
    condition = _not_null(expression)
    if leaf.attribute.type in (BOOLEAN, DATETIME):
        return condition
    condition &= ~Q(Exact(expression, Value("")))
    if leaf.json:
        # An empty object or array stored for a complex attribute (`"name": {}`) is not a value.
        condition &= ~Q(Exact(expression, Value("{}"))) & ~Q(Exact(expression, Value("[]")))
    return condition


def _constant_q(leaf: _Leaf, op: str, value, path: str) -> Q:
    container = Attribute("constant", COMPLEX, sub_attributes=(leaf.attribute,))
    element = {leaf.attribute.name: leaf.constant} if leaf.constant is not None else {}
    compare = Compare(AttrPath(None, leaf.attribute.name), op, value)
    if value is not None:
        comparison_operand(leaf.attribute, op, value, path)  # same errors as for a column
    return _TRUE if matches(compare, element, container) else _FALSE


def _leaf_q(leaf: _Leaf, op: str, value, path: str) -> Q:
    """`leaf op value` as a two-valued condition (see the module docstring)."""
    if op == "pr":
        return _present_q(leaf)
    if value is None:
        # RFC 7644 section 3.4.2.2 has null as "unassigned": `eq null` is "not present".
        if op not in ("eq", "ne"):
            raise invalid_filter(f'"{path} {op} null": only eq and ne compare with null')
        present = _present_q(leaf)
        return ~present if op == "eq" else present
    if leaf.constant is not _NO_CONSTANT:
        return _constant_q(leaf, op, value, path)
    if op == "ne":
        # The complement of eq, so that a resource lacking the attribute matches.
        return ~_leaf_q(leaf, "eq", value, path)
    operand = comparison_operand(leaf.attribute, op, value, path)
    expression = leaf.expression()
    guard = _not_null(expression)
    kind = leaf.attribute.type
    if kind == BOOLEAN:
        if leaf.json:
            raise invalid_filter(f'"{path}" cannot be used in a filter')
        return guard & Q(Exact(expression, Value(operand)))
    if kind == DATETIME:
        if leaf.json:
            raise invalid_filter(f'"{path}" cannot be used in a filter')
        return guard & Q(_ordering(op)(expression, Value(operand, output_field=DateTimeField())))
    lhs, rhs = expression, Value(operand, output_field=TextField())
    if not leaf.attribute.case_exact:
        lhs, rhs = Lower(lhs), Lower(rhs)
    if op in ("co", "sw", "ew") and operand == "":
        return guard
    if op == "eq":
        return guard & Q(Exact(lhs, rhs))
    if op == "co":
        return guard & Q(GreaterThan(StrIndex(lhs, rhs), 0))
    if op == "sw":
        return guard & Q(Exact(Substr(lhs, 1, len(operand)), rhs))
    if op == "ew":
        # SUBSTR with a start before the string differs between engines; the length check makes
        # that case FALSE on both.
        return (
            guard
            & Q(GreaterThanOrEqual(Length(lhs), len(operand)))
            & Q(Exact(Substr(lhs, Length(lhs) - len(operand) + 1), rhs))
        )
    return guard & Q(_ordering(op)(_CodePointOrder(lhs), rhs))


def _ordering(op: str):
    return {
        "eq": Exact,
        "gt": GreaterThan,
        "ge": GreaterThanOrEqual,
        "lt": LessThan,
        "le": LessThanOrEqual,
    }[op]


def _resolve(resource_type: ResourceType, path: AttrPath) -> AttributeRef:
    uri = path.uri
    if uri is not None and uri.lower() in URN_ALIASES:
        # Pre-RFC URNs (OneLogin): read as the RFC URN they stand for.
        uri = URN_ALIASES[uri.lower()] or resource_type.schema.id
    relative = f"{path.attr}.{path.sub}" if path.sub else path.attr
    try:
        ref = resolve_attribute(resource_type, f"{uri}:{relative}" if uri else relative)
    except UnknownAttribute:
        ref = None
        if uri is None:
            # Entra ID's legacy manager check sends `manager eq "..."` without the enterprise URN;
            # a name only an extension defines is unambiguous.
            for extension in resource_type.extensions:
                try:
                    ref = resolve_attribute(resource_type, f"{extension.id}:{relative}")
                    break
                except UnknownAttribute:
                    continue
        if ref is None:
            raise invalid_filter(
                f'Unknown attribute "{path}" in filter for {resource_type.id} resources'
            ) from None
    if ref.attribute.returned == NEVER or ref.leaf.returned == NEVER:
        raise invalid_filter(f'"{path}" is never returned and cannot be used in a filter')
    return ref


class _Scope:
    """Compiles the leaves of a filter for one kind of row (a resource, or one element of a
    multi-valued attribute inside an EXISTS)."""

    def compile(self, node: Filter) -> Q:
        if isinstance(node, And):
            return Q(*(self.compile(item) for item in operands(node, And)))
        if isinstance(node, Or):
            return Q(*(self.compile(item) for item in operands(node, Or)), _connector=Q.OR)
        if isinstance(node, Not):
            return ~self.compile(node.expr)
        if isinstance(node, ValuePath):
            return self.value_path(node)
        if isinstance(node, Present):
            return self.condition(node.path, "pr", None)
        return self.condition(node.path, node.op, node.value)

    def condition(self, path: AttrPath, op: str, value) -> Q:
        raise NotImplementedError

    def value_path(self, node: ValuePath) -> Q:
        raise invalid_filter(f'value filters cannot be nested: "{node.path}[...]"')


@dataclass(frozen=True)
class _Elements:
    """A multi-valued attribute stored as rows: the rows of the outer resource, and where each
    sub-attribute is on such a row."""

    rows: Callable[[], QuerySet]
    columns: dict  # lower-case sub-attribute name -> field/expression factory, or a constant
    data_field: str | None = None  # JSON column holding the sub-attributes without a column
    order: tuple[str, ...] = ("pk",)  # which element counts as "the" value when sorting


class _ElementScope(_Scope):
    def __init__(self, attribute: Attribute, elements: _Elements, parent: str):
        self.attribute = attribute
        self.elements = elements
        self.parent = parent

    def leaf(self, sub_name: str, path: str) -> _Leaf:
        sub = self.attribute.sub(sub_name)
        if sub is None:
            raise invalid_filter(
                f'Unknown attribute "{path}" in filter: {self.parent} has no sub-attribute "{sub_name}"'
            )
        if sub.returned == NEVER:
            raise invalid_filter(f'"{path}" is never returned and cannot be used in a filter')
        location = self.elements.columns.get(sub.name.lower(), _NO_CONSTANT)
        if isinstance(location, str):
            return _Leaf(sub, lambda: F(location))
        if location is None:
            raise invalid_filter(f'"{path}" cannot be used in a filter')
        if location is not _NO_CONSTANT:
            return _Leaf(sub, constant=location[0])
        if self.elements.data_field is None:
            raise invalid_filter(f'"{path}" cannot be used in a filter')
        field = self.elements.data_field
        return _Leaf(sub, lambda: _JsonText(field, [sub.name]), json=True)

    def condition(self, path: AttrPath, op: str, value) -> Q:
        if path.uri is not None or path.sub is not None:
            raise invalid_filter(
                f'Inside "{self.parent}[...]" name a sub-attribute of {self.parent}, not "{path}"'
            )
        return _leaf_q(
            self.leaf(path.attr, f"{self.parent}.{path.attr}"), op, value, f"{self.parent}.{path.attr}"
        )

    def exists(self, condition: Q) -> Q:
        return Q(Exists(self.elements.rows().filter(condition)))


class _ResourceScope(_Scope):
    """The top level of a filter on /Users or /Groups."""

    def __init__(self, resource_type: ResourceType, columns: dict, constants: dict, multi: dict):
        self.resource_type = resource_type
        self.columns = columns  # dotted lower-case path -> model field
        self.constants = constants  # dotted lower-case path -> value the same for every resource
        self.multi = multi  # lower-case attribute name -> _Elements

    def elements(self, ref: AttributeRef) -> _ElementScope:
        elements = self.multi.get(ref.attribute.name.lower())
        if elements is None:
            raise invalid_filter(f'"{ref.dotted}" cannot be used in a filter')
        return _ElementScope(ref.attribute, elements, ref.attribute.name)

    def leaf(self, ref: AttributeRef, path: str) -> _Leaf:
        dotted = ref.dotted.lower()
        if dotted in self.columns:
            field = self.columns[dotted]
            return _Leaf(ref.leaf, lambda: F(field))
        if dotted in self.constants:
            return _Leaf(ref.leaf, constant=self.constants[dotted])
        if ref.uri is None and ref.attribute.name.lower() == "meta":
            if ref.sub_attribute is None:
                return _Leaf(ref.attribute, constant={"resourceType": self.resource_type.id})
            raise invalid_filter(f'"{path}" cannot be used in a filter')
        if self.resource_type is not USER:
            raise invalid_filter(f'"{path}" cannot be used in a filter')
        keys = [ref.uri] if ref.uri else []
        keys.append(ref.attribute.name)
        if ref.sub_attribute is not None:
            keys.append(ref.sub_attribute.name)
        return _Leaf(ref.leaf, lambda: _JsonText("attributes", keys), json=True)

    def condition(self, path: AttrPath, op: str, value) -> Q:
        ref = _resolve(self.resource_type, path)
        text = str(path)
        if ref.attribute.multi_valued:
            scope = self.elements(ref)
            sub = ref.sub_attribute
            if sub is None and op != "pr":
                # `emails eq "x"` compares the elements' value (RFC 7644 section 3.4.2.2 reads
                # a multi-valued attribute without a sub-attribute as its value).
                sub = ref.attribute.sub("value")
                if sub is None:
                    raise invalid_filter(f'"{text}" has no value: compare one of its sub-attributes')
            if op == "ne" or (op == "eq" and value is None):
                # "No element equals": a user without emails matches `emails.value ne "x"`.
                positive = ("eq", value) if op == "ne" else ("pr", None)
                return ~self.condition(path, *positive)
            if sub is None:
                return scope.exists(Q())
            return scope.exists(_leaf_q(scope.leaf(sub.name, text), op, value, text))
        if ref.sub_attribute is None and ref.attribute.is_complex and op != "pr":
            value_sub = ref.attribute.sub("value")
            if value_sub is None:
                raise invalid_filter(f'"{text}" is complex: compare one of its sub-attributes')
            # `manager eq "id"`: Entra ID's legacy manager check means manager.value.
            ref = AttributeRef(ref.attribute, value_sub, ref.uri)
        return _leaf_q(self.leaf(ref, text), op, value, text)

    def value_path(self, node: ValuePath) -> Q:
        if node.path.sub is not None:
            raise invalid_filter(f'"{node.path}[...]": a value filter applies to an attribute')
        ref = _resolve(self.resource_type, node.path)
        if ref.attribute.multi_valued:
            scope = self.elements(ref)
            # One EXISTS for the whole bracket: every condition inside holds for the same element.
            return scope.exists(scope.compile(node.filter))
        if ref.attribute.is_complex:
            # `name[givenName eq "x"]`: the sub-attributes of a single complex value.
            return _SubAttributeScope(self, node.path).compile(node.filter)
        raise invalid_filter(f'"{node.path}" is not complex: it cannot take a value filter')


class _SubAttributeScope(_Scope):
    def __init__(self, parent: _ResourceScope, path: AttrPath):
        self.parent = parent
        self.path = path

    def condition(self, path: AttrPath, op: str, value) -> Q:
        if path.uri is not None or path.sub is not None:
            raise invalid_filter(
                f'Inside "{self.path}[...]" name a sub-attribute of {self.path}, not "{path}"'
            )
        return self.parent.condition(AttrPath(self.path.uri, self.path.attr, path.attr), op, value)


_USER_VALUES = {
    name.lower(): _Elements(
        rows=lambda name=name: ScimUserValue.objects.filter(user=OuterRef("pk"), attribute=name),
        columns={"type": "type", "primary": "primary", "display": "display"}
        | ({} if name in JSON_ONLY_VALUES else {"value": "value"}),
        data_field="data",
        order=("-primary", "position", "pk"),
    )
    for name in ("emails", "phoneNumbers", "ims", "photos", "entitlements", "roles", "x509Certificates")
}
_USER_VALUES["addresses"] = _Elements(
    rows=lambda: ScimUserValue.objects.filter(user=OuterRef("pk"), attribute="addresses"),
    columns={"type": "type", "primary": "primary"},
    data_field="data",
    order=("-primary", "position", "pk"),
)
# A user's groups are the SCIM groups of the teams their membership is in. `type` is always
# "direct" (teams do not nest); `$ref` is a URL of the request, so not filterable.
_USER_VALUES["groups"] = _Elements(
    rows=lambda: TeamMembership.objects.filter(
        membership=OuterRef("membership"), team__scim_group__isnull=False
    ),
    columns={
        "value": "team__scim_group__scim_id",
        "display": "team__scim_group__display_name",
        "type": ("direct",),
        "primary": (None,),
        "$ref": None,
    },
)
_GROUP_MEMBERS = _Elements(
    # A soft-deleted user is gone from SCIM, so also from every group's members.
    rows=lambda: TeamMembership.objects.filter(
        team=OuterRef("team"),
        membership__scim_user__isnull=False,
        membership__scim_user__deleted_at__isnull=True,
    ),
    columns={
        "value": "membership__scim_user__scim_id",
        "display": "membership__scim_user__display_name",
        "type": ("User",),
        "$ref": None,
    },
)

_USER_SCOPE = _ResourceScope(
    USER,
    columns={
        "id": "scim_id",
        "username": "user_name",
        "externalid": "external_id",
        "displayname": "display_name",
        "active": "active",
        "meta.created": "created",
        "meta.lastmodified": "last_modified",
    },
    constants={"meta.resourcetype": "User"},
    multi=_USER_VALUES,
)
_GROUP_SCOPE = _ResourceScope(
    GROUP,
    columns={
        "id": "scim_id",
        "displayname": "display_name",
        "externalid": "external_id",
        "meta.created": "created",
        "meta.lastmodified": "last_modified",
    },
    constants={"meta.resourcetype": "Group"},
    multi={"members": _GROUP_MEMBERS},
)


def user_filter_q(filter: Filter) -> Q:
    """The condition on ScimUser rows equivalent to `filter`. Raises ScimError 400 invalidFilter
    for an unknown attribute or a comparison its type has no meaning for."""
    return _USER_SCOPE.compile(filter)


def group_filter_q(filter: Filter) -> Q:
    """The condition on ScimGroup rows equivalent to `filter` (see `user_filter_q`)."""
    return _GROUP_SCOPE.compile(filter)


# --- sortBy ------------------------------------------------------------------------------------


def _sort_key(expression, attribute: Attribute) -> _SortKey:
    if attribute.type not in (BOOLEAN, DATETIME):
        if not attribute.case_exact:
            expression = Lower(expression)
        expression = _CodePointOrder(expression)
    return _SortKey(expression)


def _complex_without_value(path: str, attribute: Attribute) -> ScimError:
    example = f"{attribute.name}.{attribute.sub_attributes[0].name}" if attribute.sub_attributes else ""
    return invalid_filter(
        f'"{path}" is complex and has no value of its own: use one of its sub-attributes'
        + (f", such as {example}" if example else "")
    )


def _sort_expression(scope: _ResourceScope, path: str) -> _SortKey | None:
    try:
        return _sort_key_for(scope, path)
    except ScimError as error:
        # sortBy is not a filter: its errors are invalidValue, with the words of the filter error.
        raise bad_request(f"sortBy: {error.detail}") from None


def _sort_key_for(scope: _ResourceScope, path: str) -> _SortKey | None:
    parsed = parse_patch_path(path)
    if parsed.value_filter is not None:
        raise invalid_filter(f'"{path}" is not an attribute path')
    ref = _resolve(scope.resource_type, parsed.attr)
    if ref.attribute.multi_valued:
        # RFC 7644 section 3.4.2.3: a multi-valued attribute sorts by its primary value, else
        # the first one.
        elements = scope.elements(ref)
        sub = ref.sub_attribute or ref.attribute.sub("value")
        if sub is None:
            raise _complex_without_value(path, ref.attribute)
        leaf = elements.leaf(sub.name, f"{ref.attribute.name}.{sub.name}")
        if leaf.constant is not _NO_CONSTANT:
            return None  # the same for every resource: the default order
        rows = elements.elements.rows().order_by(*elements.elements.order)
        return _sort_key(Subquery(rows.annotate(sort_value=leaf.expression()).values("sort_value")[:1]), sub)
    if ref.sub_attribute is None and ref.attribute.is_complex:
        value_sub = ref.attribute.sub("value")
        if value_sub is None:
            raise _complex_without_value(path, ref.attribute)
        ref = AttributeRef(ref.attribute, value_sub, ref.uri)
    leaf = scope.leaf(ref, path)
    if leaf.constant is not _NO_CONSTANT:
        return None  # the same for every resource: the default order
    return _sort_key(leaf.expression(), ref.leaf)


def user_sort_expression(path: str) -> _SortKey | None:
    """The ORM expression to order ScimUser rows by `sortBy` (use `.asc()` / `.desc()`: missing
    values sort last ascending, first descending, as RFC 7644 section 3.4.2.3 asks), or None for
    an attribute with the same value on every resource (meta.resourceType): the default order.
    Raises ScimError 400 invalidValue for a path that is not a sortable attribute."""
    return _sort_expression(_USER_SCOPE, path)


def group_sort_expression(path: str) -> _SortKey | None:
    """The ORM expression to order ScimGroup rows by `sortBy` (see `user_sort_expression`)."""
    return _sort_expression(_GROUP_SCOPE, path)
