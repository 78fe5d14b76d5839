"""PATCH (RFC 7644 section 3.5.2) on canonical documents, "collect, then commit".

`parse_patch_request` checks the message; `apply_user_patch` / `apply_group_patch` apply every
operation, in order, to a deep copy of the document and return the result. Any failure raises
ScimError before the caller has anything to persist, so a PATCH is all or nothing (RFC 7644
section 3.5.2: "If one operation fails, the whole request fails").

Besides the RFC, this accepts the dialects identity providers really send (IDP-BEHAVIORS 3.3, 8):
- Entra's capitalised ops (`Add`/`Replace`/`Remove`) and `"True"`/`"False"` strings;
- path-less add/replace whose value keys are paths: `"name.givenName"`, URN-qualified names,
  whole extension objects (Okta deactivation, Entra's aadOptscim062020 flag);
- typed value paths that create the element when nothing matches (Entra's
  `emails[type eq "work"].value` on a user without a work email);
- `remove` with `path: "members"` plus a `value` list: remove only those (Entra, JumpCloud; a
  literal RFC reading empties the whole group);
- Entra's manager forms: a bare id string, or `[{"$ref": ..., "value": ...}]` on `path: "manager"`.

Group members never pass through a document: they come back as a MemberDelta that the service
applies as set operations (groups may have 100,000 members).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from . import filters
from .errors import (
    ScimError,
    bad_request,
    invalid_filter,
    invalid_path,
    invalid_syntax,
    mutability,
    no_target,
)
from .filters import And, Compare, Filter, Or, PatchPath
from .resources import (
    MAX_MULTI_VALUES,
    _get,
    _ordered_complex,
    canonical_schema_urn,
    coerce_value,
    is_read_only,
    parse_members,
    render_user,
    require_display_name,
    require_user_name,
    resolve_path,
    single_primary,
)
from .schemas import (
    ENTERPRISE_URN,
    GROUP,
    PATCH_OP_URN,
    READ_ONLY,
    USER,
    AttributeRef,
    ResourceType,
    UnknownAttribute,
)

ADD, REPLACE, REMOVE = "add", "replace", "remove"
OPS = (ADD, REPLACE, REMOVE)
MAX_OPERATIONS = 1000
# Comparisons one request may make applying PATCH operations: an operation on a multi-valued
# attribute visits each value the attribute has, evaluating its value filter's comparisons on
# each, and each value it brings. Bounded so that one request cannot hold a worker for seconds
# (1,000 operations on 1,000 emails took 30 s); real IdPs send a few operations on a few values.
MAX_PATCH_WORK = 20_000
_work: ContextVar[list[int]] = ContextVar("patch_work")

# Keys of a path-less value object that are never applied: readOnly attributes IdPs echo back
# (Okta sends `id`; Entra `meta`), message attributes, and the write-only password (Okta's password
# sync PATCH: accepted, never stored).
_IGNORED_VALUE_KEYS = frozenset({"schemas", "meta", "groups", "password"})


@dataclass(frozen=True)
class Operation:
    """One PATCH operation. `op` is lower case; `path` None means a path-less add/replace;
    `has_value` tells an absent `value` from an explicit null."""

    op: str
    path: PatchPath | None = None
    value: Any = None
    has_value: bool = False
    path_text: str | None = None


@dataclass
class MemberDelta:
    """Membership changes of one group PATCH, folded in order:

    - `replace_all`: discard the existing members first (replace `members`, or remove `members`
      without a value);
    - `add`: member ids to add, in request order, without duplicates;
    - `remove`: member ids to remove (from the existing set; never overlaps `add`);
    - `displays`: `display` values given for ids in `add`.

    The service applies: if replace_all, delete all; delete `remove`; insert `add` (ignoring
    ones already there)."""

    replace_all: bool = False
    add: list[str] = field(default_factory=list)
    remove: set[str] = field(default_factory=set)
    displays: dict[str, str] = field(default_factory=dict)

    def add_members(self, members: list[dict]) -> None:
        ids = {m["value"] for m in members}
        present = set(self.add)
        for member in members:
            if member["value"] not in present:
                self.add.append(member["value"])
                present.add(member["value"])
            if "display" in member:
                self.displays[member["value"]] = member["display"]
        self.remove -= ids

    def remove_members(self, ids: set[str]) -> None:
        self.remove |= ids
        self.add = [i for i in self.add if i not in ids]
        for member_id in ids:
            self.displays.pop(member_id, None)

    def replace_members(self, members: list[dict]) -> None:
        self.replace_all = True
        self.add, self.remove, self.displays = [], set(), {}
        self.add_members(members)


@dataclass
class GroupPatchResult:
    document: dict  # the group document, without members
    members: MemberDelta | None  # None when no operation touched members


# --------------------------------------------------------------------------------------------
# The request


def _find(body: dict, name: str) -> tuple[bool, Any]:
    """(present, value) of a member of a PATCH message, in any letter case (Entra/clients send
    `operations`, `Op`, `Path`, `Value`: RFC 7643 section 2.1 makes names case-insensitive)."""
    if name in body:
        return True, body[name]
    lowered = name.lower()
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == lowered:
            return True, value
    return False, None


def parse_patch_request(body: Any, *, max_operations: int = MAX_OPERATIONS) -> list[Operation]:
    """The operations of a PATCH body (RFC 7644 section 3.5.2). Raises ScimError 400 for any
    malformed body, never anything else."""
    if not isinstance(body, dict):
        raise invalid_syntax("A PATCH body must be a JSON object with schemas and Operations")
    schemas = _get(body, "schemas")
    if schemas is not None:
        if isinstance(schemas, str):
            schemas = [schemas]
        if not isinstance(schemas, list) or not any(
            isinstance(urn, str) and urn.lower() == PATCH_OP_URN.lower() for urn in schemas
        ):
            raise invalid_syntax(f"schemas must contain {PATCH_OP_URN}")
    present, operations = _find(body, "Operations")
    if not present:
        raise invalid_syntax("Operations is required")
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax("Operations must be a non-empty array")
    if len(operations) > max_operations:
        raise invalid_syntax(f"A PATCH request may carry at most {max_operations} operations")
    return [_parse_operation(item, index) for index, item in enumerate(operations)]


def _parse_operation(item: Any, index: int) -> Operation:
    where = f"Operations[{index}]"
    if not isinstance(item, dict):
        raise invalid_syntax(f"{where} must be an object with op, path and value")
    op = _get(item, "op")
    # Entra sends "Add"/"Replace"/"Remove"; Microsoft asks servers not to match op case-sensitively.
    if not isinstance(op, str) or op.lower() not in OPS:
        raise invalid_syntax(f'{where}.op must be "add", "remove" or "replace", not {op!r}')
    op = op.lower()
    path_text = _get(item, "path")
    if path_text is not None and not isinstance(path_text, str):
        raise invalid_path(f"{where}.path must be a string")
    path_text = path_text.strip() if path_text else None
    path = filters.parse_patch_path(path_text) if path_text else None
    has_value, value = _find(item, "value")
    if op in (ADD, REPLACE) and not has_value:
        raise bad_request(f"{where}: {op} needs a value")
    return Operation(op=op, path=path, value=value, has_value=has_value, path_text=path_text)


# --------------------------------------------------------------------------------------------
# Targets


@dataclass(frozen=True)
class _Target:
    ref: AttributeRef
    value_filter: Filter | None
    text: str


def _path_text(path: PatchPath) -> str:
    """The attribute part of a path (no filter), e.g. `emails.value` for `emails[...].value`."""
    text = str(path.attr)
    if path.sub:
        if path.attr.sub:
            raise invalid_path(f"{text}.{path.sub} is not an attribute path")
        text = f"{text}.{path.sub}"
    return text


def _shown(operation: Operation) -> str:
    return operation.path_text or str(operation.path.attr)


def _resolve_target(resource_type: ResourceType, path: PatchPath, shown: str) -> _Target:
    try:
        ref = resolve_path(resource_type, _path_text(path))
    except UnknownAttribute:
        raise invalid_path(f"{shown} is not an attribute of a {resource_type.id}") from None
    if path.value_filter is not None and not ref.attribute.multi_valued:
        raise invalid_path(f"{shown}: only multi-valued attributes take a [filter]")
    return _Target(ref, path.value_filter, shown)


def _whole_extension(resource_type: ResourceType, text: str | None):
    """The extension a path names as a whole (`urn:...:enterprise:2.0:User`), if any."""
    if not text or ":" not in text:
        return None
    schema = canonical_schema_urn(resource_type, text)
    return schema if schema in resource_type.extensions else None


def _plain_path_text(operation: Operation) -> str | None:
    path = operation.path
    if path is None or path.value_filter is not None or path.sub or path.attr.sub:
        return None
    return operation.path_text or str(path.attr)


def _check_id(value: Any, current_id: str) -> None:
    """Okta's path-less replace echoes the resource's own `id`: harmless. Any other id would be
    an attempt to change a readOnly attribute (RFC 7643 section 3.1)."""
    if value is not None and value != current_id:
        raise mutability("id is readOnly and cannot be changed")


# --------------------------------------------------------------------------------------------
# Applying one operation to one attribute (any resource type)


def _container(document: dict, ref: AttributeRef, *, create: bool) -> dict | None:
    if ref.uri is None:
        return document
    container = document.get(ref.uri)
    if not isinstance(container, dict):
        if not create:
            return None
        container = document[ref.uri] = {}
    return container


def _drop_empty(document: dict, ref: AttributeRef) -> None:
    container = _container(document, ref, create=False)
    if container is None:
        return
    name = ref.attribute.name
    if container.get(name) in ({}, [], None):
        container.pop(name, None)
    if ref.uri is not None and not container:
        document.pop(ref.uri, None)


def _is_manager(ref: AttributeRef) -> bool:
    return ref.uri == ENTERPRISE_URN and ref.attribute.name == "manager"


def _same(a: Any, b: Any, case_exact: bool) -> bool:
    if isinstance(a, str) and isinstance(b, str) and not case_exact:
        return a.casefold() == b.casefold()
    return a == b


def _charge(document: dict, target: _Target, value: Any) -> None:
    counter = _work.get(None)
    if counter is None or not target.ref.attribute.multi_valued:
        return
    # A value filter is evaluated on every value: a 250-term filter costs 250 times a plain path.
    weight = filters.comparison_count(target.value_filter) if target.value_filter is not None else 1
    counter[0] += len(_elements(document, target.ref, create=False) or ()) * max(weight, 1) + (
        len(value) if isinstance(value, list) else 1
    )
    if counter[0] > MAX_PATCH_WORK:
        raise bad_request(
            f"This request would make more than {MAX_PATCH_WORK} comparisons on values of multi-valued "
            "attributes; send it as several smaller requests."
        )


@contextmanager
def patch_work_budget():
    """One budget for the PATCH operations applied inside: a request's, or a Bulk request's
    operations together (sixty PATCHes under the limit each added up to a 30-second request)."""
    if _work.get(None) is not None:
        yield
        return
    token = _work.set([0])
    try:
        yield
    finally:
        _work.reset(token)


def _apply(document: dict, op: str, target: _Target, value: Any, *, has_value: bool = True) -> None:
    _charge(document, target, value)
    ref = target.ref
    if target.value_filter is not None:
        _apply_filtered(document, op, target, value)
    elif ref.attribute.multi_valued:
        _apply_multi(document, op, target, value, has_value=has_value)
    else:
        _apply_single(document, op, target, value)
    _drop_empty(document, ref)


def _apply_single(document: dict, op: str, target: _Target, value: Any) -> None:
    """Simple or complex single-valued attribute, or a sub-attribute of a complex one.

    add and replace are the same here: add on a single-valued attribute replaces it (RFC 7644
    3.5.2.1; Entra sends `Add` for `title`, `active`). On a complex attribute both merge the
    given sub-attributes and leave the others (RFC 7644 3.5.2.1 and 3.5.2.3). A null value
    unassigns (RFC 7643 2.5)."""
    ref = target.ref
    container = _container(document, ref, create=op != REMOVE)
    if container is None:
        return
    name = ref.attribute.name
    if op == REMOVE:
        if ref.sub_attribute is None:
            container.pop(name, None)
        elif isinstance(container.get(name), dict):
            container[name].pop(ref.sub_attribute.name, None)
        return
    coerced = coerce_value(ref, value, where=target.text)
    if ref.sub_attribute is not None:
        current = container.get(name)
        if _is_manager(ref) and isinstance(current, str) and current:
            current = {"value": current}  # a manager stored as a bare id before we wrapped them
        if not isinstance(current, dict):
            current = {}
        container[name] = current
        if coerced is None:
            current.pop(ref.sub_attribute.name, None)
        else:
            current[ref.sub_attribute.name] = coerced
            container[name] = _ordered_complex(ref.attribute, current)
    elif coerced is None:
        container.pop(name, None)
    elif ref.attribute.is_complex and not _is_manager(ref) and isinstance(container.get(name), dict):
        container[name] = _ordered_complex(ref.attribute, {**container[name], **coerced})
    else:
        # A manager is replaced whole: a new manager `value` with the old `$ref` would be wrong.
        container[name] = coerced


def _elements(document: dict, ref: AttributeRef, *, create: bool) -> list | None:
    container = _container(document, ref, create=create)
    if container is None:
        return None
    current = container.get(ref.attribute.name)
    if not isinstance(current, list):
        if not create:
            return None
        current = container[ref.attribute.name] = []
    return current


def _check_size(elements: list, target: _Target) -> None:
    if len(elements) > MAX_MULTI_VALUES:
        raise bad_request(f"{target.text} would have more than {MAX_MULTI_VALUES} values")


def _apply_multi(document: dict, op: str, target: _Target, value: Any, *, has_value: bool) -> None:
    """A whole multi-valued attribute (`emails`) or one sub-attribute of all its values
    (`emails.value`)."""
    ref = target.ref
    attribute = ref.attribute
    if ref.sub_attribute is not None:
        _apply_multi_sub(document, op, target, value)
        return
    if op == REMOVE:
        if has_value and value is not None:
            _remove_listed(document, target, value)
        else:
            # RFC 7644 3.5.2.2: remove without a filter removes all values.
            container = _container(document, ref, create=False)
            if container is not None:
                container.pop(attribute.name, None)
        return
    coerced = coerce_value(ref, value, where=target.text)
    if op == REPLACE:
        container = _container(document, ref, create=True)
        if coerced is None:
            container.pop(attribute.name, None)
        else:
            container[attribute.name] = coerced
        return
    if coerced is None:
        return
    # add appends; re-adding an identical value is not an error and adds nothing (JumpCloud
    # repeats its adds; RFC 7644 3.5.2.1 says duplicates SHOULD NOT be added).
    elements = _elements(document, ref, create=True)
    touched = []
    for item in coerced:
        existing = next((e for e in elements if e == item), None)
        if existing is None:
            elements.append(item)
            touched.append(item)
        else:
            touched.append(existing)
    _check_size(elements, target)
    single_primary(elements, touched)


def _remove_listed(document: dict, target: _Target, value: Any) -> None:
    """Entra's (and JumpCloud's) remove dialect: `{"op":"Remove","path":"members"|"emails",
    "value":[{"value": x}, ...]}` removes only the listed values, matched on `value` (or the
    whole element when it has none)."""
    ref = target.ref
    attribute = ref.attribute
    listed = value if isinstance(value, list) else [value]
    value_sub = attribute.sub("value")
    case_exact = value_sub.case_exact if value_sub else True
    wanted: list = []
    for index, item in enumerate(listed):
        if item is None:
            continue
        if isinstance(item, dict):
            wanted.append(coerce_value(ref, item, where=f"{target.text} value[{index}]", element=True))
        elif isinstance(item, str) and value_sub is not None:
            wanted.append({"value": item})
        else:
            raise bad_request(f"{target.text}: value[{index}] must be an object")
    elements = _elements(document, ref, create=False)
    if not elements:
        return

    def listed_match(element: Any) -> bool:
        for item in wanted:
            if not item:
                continue
            if "value" in item and isinstance(element, dict):
                if _same(element.get("value"), item["value"], case_exact):
                    return True
            elif element == item:
                return True
        return False

    elements[:] = [e for e in elements if not listed_match(e)]


def _apply_multi_sub(document: dict, op: str, target: _Target, value: Any) -> None:
    """`emails.value` without a filter: every value of the attribute (RFC 7644 3.5.2: the path
    selects all of them). add/replace on an empty attribute creates one value."""
    ref = target.ref
    sub = ref.sub_attribute
    if op == REMOVE:
        elements = _elements(document, ref, create=False)
        if elements is not None:
            elements[:] = _without_sub(elements, sub.name)
        return
    coerced = coerce_value(ref, value, where=target.text)
    elements = _elements(document, ref, create=coerced is not None)
    if elements is None:
        return
    if coerced is None:
        elements[:] = _without_sub(elements, sub.name)
        return
    if not elements:
        elements.append({sub.name: coerced})
    for element in elements:
        if isinstance(element, dict):
            element[sub.name] = coerced
    single_primary(elements)
    elements[:] = [_ordered_complex(ref.attribute, e) if isinstance(e, dict) else e for e in elements]


def _without_sub(elements: list, sub_name: str) -> list:
    """Elements minus one sub-attribute. Removing `value` removes the element: an email or phone
    without its value is nothing (Entra's `Remove emails[type eq "work"].value`)."""
    kept = []
    for element in elements:
        if isinstance(element, dict):
            element.pop(sub_name, None)
            if sub_name == "value" or not element:
                continue
        kept.append(element)
    return kept


def _equality_seed(value_filter: Filter, target: _Target) -> dict | None:
    """The sub-attributes a filter pins with `eq` (`type eq "work" and primary eq true`), or None
    when the filter is anything else: the element a no-match upsert creates."""
    attribute = target.ref.attribute
    seed: dict = {}
    for term in filters.operands(value_filter, And):
        if not (
            isinstance(term, Compare)
            and term.op == "eq"
            and term.path.uri is None
            and term.path.sub is None
            and term.value is not None
        ):
            return None
        sub = attribute.sub(term.path.attr)
        if sub is None or sub.mutability == READ_ONLY:
            return None
        try:
            seed[sub.name] = coerce_value(sub, term.value, where=f"{target.text} filter")
        except ScimError:
            return None
    return seed


def _is_type_eq(value_filter: Filter) -> bool:
    return (
        isinstance(value_filter, Compare)
        and value_filter.op == "eq"
        and value_filter.path.uri is None
        and value_filter.path.sub is None
        and value_filter.path.attr.lower() == "type"
        and isinstance(value_filter.value, str)
    )


def _apply_filtered(document: dict, op: str, target: _Target, value: Any) -> None:
    """`emails[type eq "work"]` and `emails[type eq "work"].value` (RFC 7644 3.5.2, valuePath).

    No match: remove is a no-op; add creates the element the filter describes (RFC 7644 3.5.2.1
    allows adding); replace creates it only for a plain `type eq "x"` filter, which Entra uses
    as if `emails[type eq "work"].value` were a scalar (cases users/B12, IDP-BEHAVIORS 3.3) -
    any other unmatched replace is 400 noTarget as the RFC says (3.5.2.3)."""
    ref = target.ref
    attribute = ref.attribute
    sub = ref.sub_attribute
    elements = _elements(document, ref, create=op != REMOVE)
    if elements is None:
        elements = []  # remove on an attribute with no values: nothing to do
    matched = [
        e for e in elements if isinstance(e, dict) and filters.matches(target.value_filter, e, attribute)
    ]
    if op == REMOVE:
        if sub is None:
            elements[:] = [e for e in elements if not any(e is m for m in matched)]
        else:
            for element in matched:
                element.pop(sub.name, None)
            elements[:] = [
                e for e in elements if not (any(e is m for m in matched) and (sub.name == "value" or not e))
            ]
        return
    if sub is not None:
        coerced = coerce_value(ref, value, where=target.text)
    else:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        coerced = coerce_value(ref, value, where=target.text, element=True)
    touched: list = []
    if matched:
        for element in matched:
            if sub is not None:
                if coerced is None:
                    element.pop(sub.name, None)
                else:
                    element[sub.name] = coerced
            elif coerced is None:
                element.clear()
            elif op == ADD:
                element.update(coerced)
            else:
                # Replace the whole value, keeping what the filter pinned (`type`), so the
                # element still matches the path that was used to write it.
                seed = _equality_seed(target.value_filter, target) or {}
                element.clear()
                element.update({**seed, **coerced})
            touched.append(element)
        elements[:] = [e for e in elements if e != {}]
    elif coerced is not None:
        upsert = op == ADD or _is_type_eq(target.value_filter)
        seed = _equality_seed(target.value_filter, target) if upsert else None
        if seed is None:
            raise no_target(f"{target.text} matches no value")
        created = {**seed, sub.name: coerced} if sub is not None else {**seed, **coerced}
        elements.append(created)
        touched.append(created)
    elements[:] = [_ordered_complex(attribute, e) if isinstance(e, dict) else e for e in elements]
    _check_size(elements, target)
    # Setting `primary: true` through a path makes that value the primary one.
    single_primary(elements, [e for e in elements if any(e == t for t in touched)])


# --------------------------------------------------------------------------------------------
# Users


def apply_user_patch(document: dict, operations: list[Operation], *, current_id: str) -> dict:
    """The canonical user document after `operations` (see resources.parse_user for the format).
    `document` is not modified. Raises ScimError (400 invalidPath, invalidValue, mutability,
    noTarget, invalidFilter) and then nothing has changed."""
    with patch_work_budget():
        return _apply_user_operations(copy.deepcopy(document), operations, current_id)


def _apply_user_operations(result: dict, operations: list[Operation], current_id: str) -> dict:
    for operation in operations:
        if operation.path is None:
            _apply_pathless(result, USER, operation, current_id)
            continue
        extension = _whole_extension(USER, _plain_path_text(operation))
        if extension is not None:
            _apply_extension_object(result, operation, extension, current_id)
            continue
        target = _resolve_target(USER, operation.path, _shown(operation))
        if target.ref.attribute.name == "password" and target.ref.uri is None:
            continue  # write-only; Okta's password sync is accepted and dropped
        if is_read_only(target.ref):
            raise mutability(f"{target.text} is readOnly and cannot be modified")
        _apply(result, operation.op, target, operation.value, has_value=operation.has_value)
    require_user_name(result)
    return render_user(result)


def _apply_extension_object(document: dict, operation: Operation, extension, current_id: str) -> None:
    """`path: "urn:...:enterprise:2.0:User"`: remove drops the extension; add/replace apply each
    key of the value object as an attribute of the extension."""
    if operation.op == REMOVE:
        document.pop(extension.id, None)
        return
    if operation.value is None:
        document.pop(extension.id, None)
        return
    if not isinstance(operation.value, dict):
        raise bad_request(f"{extension.id} must be an object")
    prefixed = {
        f"{extension.id}:{key}": item for key, item in operation.value.items() if isinstance(key, str)
    }
    _apply_value_object(document, USER, operation.op, prefixed, current_id)


def _apply_pathless(
    document: dict, resource_type: ResourceType, operation: Operation, current_id: str
) -> None:
    if operation.op == REMOVE:
        raise no_target("remove needs a path (RFC 7644 section 3.5.2.2)")
    if not isinstance(operation.value, dict):
        raise bad_request(f"{operation.op} without a path needs an object value")
    _apply_value_object(document, resource_type, operation.op, operation.value, current_id)


def _apply_value_object(
    document: dict, resource_type: ResourceType, op: str, value: dict, current_id: str
) -> None:
    """A path-less add/replace (RFC 7644 3.5.2.1, 3.5.2.3): each key is a path. Keys may be
    dotted (`name.givenName`) or URN-qualified, as Entra's aadOptscim062020 dialect sends them,
    or a whole extension object. Unknown keys are ignored like unknown attributes in a POST;
    readOnly keys IdPs echo (`id`, `meta`) are ignored."""
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered in _IGNORED_VALUE_KEYS:
            continue
        if lowered == "id":
            _check_id(item, current_id)
            continue
        schema = canonical_schema_urn(resource_type, key) if ":" in key else None
        if schema is not None:
            if schema is not resource_type.schema and item is None:
                document.pop(schema.id, None)
                continue
            if not isinstance(item, dict):
                raise bad_request(f"{schema.id} must be an object")
            prefixed = {f"{schema.id}:{k}": v for k, v in item.items() if isinstance(k, str)}
            _apply_value_object(document, resource_type, op, prefixed, current_id)
            continue
        target = _value_key_target(resource_type, key)
        if target is None or is_read_only(target.ref) or target.ref.attribute.name == "password":
            continue
        _apply(document, op, target, item)


def _value_key_target(resource_type: ResourceType, key: str) -> _Target | None:
    """The target a key of a path-less value object names; None for an unknown attribute (ignored,
    like an unknown attribute in a POST). A malformed `[filter]` key is still an error."""
    path = filters.parse_patch_path(key) if "[" in key else None
    try:
        ref = resolve_path(resource_type, _path_text(path) if path else key)
    except UnknownAttribute:
        return None
    if path is not None and path.value_filter is not None and not ref.attribute.multi_valued:
        raise invalid_path(f"{key}: only multi-valued attributes take a [filter]")
    return _Target(ref, path.value_filter if path else None, key)


# --------------------------------------------------------------------------------------------
# Groups


def apply_group_patch(document: dict, operations: list[Operation], *, current_id: str) -> GroupPatchResult:
    """The group document (without members) after `operations`, and the folded member changes.
    `document` is not modified. Raises ScimError, and then nothing has changed."""
    with patch_work_budget():
        return _apply_group_operations(copy.deepcopy(document), operations, current_id)


def _apply_group_operations(result: dict, operations: list[Operation], current_id: str) -> GroupPatchResult:
    result.pop("members", None)
    delta: MemberDelta | None = None
    for operation in operations:
        if operation.path is None:
            if operation.op == REMOVE:
                raise no_target("remove needs a path (RFC 7644 section 3.5.2.2)")
            if not isinstance(operation.value, dict):
                raise bad_request(f"{operation.op} without a path needs an object value")
            delta = _apply_group_value_object(result, operation.op, operation.value, current_id, delta)
            continue
        target = _resolve_target(GROUP, operation.path, _shown(operation))
        if is_read_only(target.ref):
            raise mutability(f"{target.text} is readOnly and cannot be modified")
        if target.ref.attribute.name == "members":
            delta = _fold_members(delta, operation, target)
        else:
            _apply(result, operation.op, target, operation.value, has_value=operation.has_value)
    require_display_name(result)
    return GroupPatchResult(document=_ordered_group(result), members=delta)


def _ordered_group(document: dict) -> dict:
    ordered = {name: document[name] for name in ("displayName", "externalId") if name in document}
    ordered.update((k, v) for k, v in document.items() if k not in ordered and k != "members")
    return ordered


def _apply_group_value_object(
    document: dict, op: str, value: dict, current_id: str, delta: MemberDelta | None
) -> MemberDelta | None:
    """Okta renames a group with `{"op":"replace","value":{"id": <its id>, "displayName": ...}}`
    on every membership push; `{"members": [...]}` works like a `members` path."""
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered in _IGNORED_VALUE_KEYS:
            continue
        if lowered == "id":
            _check_id(item, current_id)
            continue
        schema = canonical_schema_urn(GROUP, key) if ":" in key else None
        if schema is not None:
            if not isinstance(item, dict):
                raise bad_request(f"{schema.id} must be an object")
            prefixed = {f"{schema.id}:{k}": v for k, v in item.items() if isinstance(k, str)}
            delta = _apply_group_value_object(document, op, prefixed, current_id, delta)
            continue
        target = _value_key_target(GROUP, key)
        if target is None or is_read_only(target.ref):
            continue
        if target.ref.attribute.name == "members":
            if target.ref.sub_attribute is None and target.value_filter is None:
                delta = _fold_members(delta, Operation(op, None, item, True, key), target)
            continue
        _apply(document, op, target, item)
    return delta


def _fold_members(delta: MemberDelta | None, operation: Operation, target: _Target) -> MemberDelta:
    """Fold one `members` operation into the delta (see MemberDelta)."""
    delta = delta or MemberDelta()
    if target.ref.sub_attribute is not None:
        raise invalid_path(f"{target.text}: members are added or removed whole, by value")
    if target.value_filter is not None:
        if operation.op != REMOVE:
            raise invalid_path(
                f"{target.text}: a members filter is only supported with remove; add members by value"
            )
        delta.remove_members(_member_filter_ids(target.value_filter))
        return delta
    if operation.op == ADD:
        delta.add_members(parse_members(operation.value, where=f"{target.text} value"))
    elif operation.op == REPLACE:
        # Okta's "Push now" sends the full list, `[]` for an empty group (case groups/B10).
        delta.replace_members(parse_members(operation.value, where=f"{target.text} value"))
    elif operation.has_value and operation.value is not None:
        # Entra's default and JumpCloud's remove: only the listed members go. A literal RFC
        # reading (no filter = all values) would empty the group (cases groups/B07).
        members = parse_members(operation.value, where=f"{target.text} value")
        delta.remove_members({m["value"] for m in members})
    else:
        delta.replace_members([])
    return delta


_MEMBER_FILTER_HELP = 'members filters in a PATCH path support value eq "<id>", optionally joined with or'


def _member_filter_ids(value_filter: Filter) -> set[str]:
    """`members[value eq "a"]`, `members[value eq "a" or value eq "b"]` → {"a", "b"}. Anything
    else would need the member list in memory (or be ambiguous), so it is refused."""
    ids = set()
    # `operands` flattens the chain: an IdP removing hundreds of members in one `or` filter must
    # not hit the recursion limit.
    for term in filters.operands(value_filter, Or):
        if not (
            isinstance(term, Compare)
            and term.op == "eq"
            and term.path.uri is None
            and term.path.sub is None
            and term.path.attr.lower() == "value"
            and isinstance(term.value, str)
        ):
            raise invalid_filter(_MEMBER_FILTER_HELP)
        ids.add(term.value)
    return ids


__all__ = [
    "MAX_OPERATIONS",
    "GroupPatchResult",
    "MemberDelta",
    "Operation",
    "apply_group_patch",
    "apply_user_patch",
    "parse_patch_request",
]
