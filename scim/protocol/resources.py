"""Request bodies → canonical resource documents (RFC 7643 sections 2, 4 and 8; RFC 7644 3.3, 3.5.1).

The canonical USER document is what the service stores and what PATCH operates on:

    {
        "externalId": "...",                      # as the IdP sent it; absent = not given
        "userName": "ada@example.test",          # required, as sent
        "displayName": "...", "active": True,    # absent = not given (the service decides)
        "name": {"givenName": "...", ...},
        "emails": [{"value": "...", "type": "work", "primary": True}, ...],
        ...                                       # every other readWrite core attribute
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "...", "department": "...", "manager": {"value": "..."},
        },
    }

- canonical attribute names (the schema's spelling) whatever letter case the client used;
- values verbatim: no case folding of emails, no phone normalisation (Entra compares what it sent);
- null means unassigned (RFC 7643 section 2.5), so nulls, empty objects and empty arrays are dropped;
- never `id`, `meta`, `schemas`, `groups` (readOnly, ignored on input: RFC 7644 section 3.5.1) nor
  `password` (accepted for Okta's placeholder, never stored or returned: RFC 7643 section 4.1.1);
- keys in schema order, so two equal documents also serialise identically.

The canonical GROUP document is `{"displayName", "externalId"?}` plus, from `parse_group` only,
`"members": [{"value", "display"?, "type"?}]`. Members are never part of a stored group document:
groups can be huge, and the service applies membership as set operations.

Pure Python: no HTTP, no ORM.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from .errors import ScimError, bad_request, invalid_syntax
from .schemas import (
    BOOLEAN,
    COMPLEX,
    DATETIME,
    DECIMAL,
    ENTERPRISE_URN,
    EXTERNAL_ID,
    GROUP,
    INTEGER,
    READ_ONLY,
    SCIM_1_URNS,
    TOLERATED_URNS,
    URN_ALIASES,
    USER,
    USER_URN,
    Attribute,
    AttributeRef,
    ResourceType,
    Schema,
    UnknownAttribute,
    resolve_attribute,
)

# Size guards: the schema bounds the depth (a string where a string belongs, one level of
# sub-attributes), these bound the breadth of what a single request can make us store.
MAX_STRING_LENGTH = 65_536
MAX_MULTI_VALUES = 1_000

# Never part of a stored user document. `password` is write-only and we keep none (Okta sends a
# placeholder on create and a PATCH on password sync).
USER_NEVER_STORED = frozenset({"id", "meta", "schemas", "groups", "password"})
GROUP_NEVER_STORED = frozenset({"id", "meta", "schemas"})

SCIM_1_DETAIL = "This is a SCIM 2.0 endpoint: choose the SCIM 2.0 connector"
USERNAME_REQUIRED = "userName is required"
DISPLAY_NAME_REQUIRED = "displayName is required"

# The enterprise `manager` is a reference to another user. Entra sends it as a bare id string on
# POST and PATCH, and fails to read it back unless it is an object (IDP-BEHAVIORS 3.3).
_MANAGER_URI = ENTERPRISE_URN.lower()


# --------------------------------------------------------------------------------------------
# Attribute paths


def _alias_prefixes(resource_type: ResourceType) -> list[tuple[str, str]]:
    """(lower-case alias, canonical URN) pairs, longest first so `urn:scim:schemas:core:2.0:user`
    wins over `urn:scim:schemas:core:2.0`."""
    pairs = [(alias, urn or resource_type.schema.id) for alias, urn in URN_ALIASES.items()]
    known = {schema.id.lower() for schema in resource_type.schemas}
    return sorted(((a, u) for a, u in pairs if u.lower() in known), key=lambda p: -len(p[0]))


def canonical_schema_urn(resource_type: ResourceType, urn: str) -> Schema | None:
    """The schema of `resource_type` that `urn` names, in any case or by a pre-RFC alias."""
    lowered = urn.lower()
    for alias, canonical in _alias_prefixes(resource_type):
        if lowered == alias:
            lowered = canonical.lower()
            break
    return next((s for s in resource_type.schemas if s.id.lower() == lowered), None)


def resolve_path(resource_type: ResourceType, text: str) -> AttributeRef:
    """`resolve_attribute` plus two IdP tolerances:

    - pre-RFC URN prefixes (OneLogin, case B33) are read as their RFC equivalents;
    - an unqualified name that only an extension defines (`manager`, `department`) resolves to the
      extension attribute: Entra's documented PATCH uses `"path": "manager"` (ENTRA-TUT example 5).

    Raises UnknownAttribute."""
    lowered = text.lower()
    for alias, canonical in _alias_prefixes(resource_type):
        if lowered.startswith(alias + ":"):
            text = canonical + text[len(alias) :]
            break
    try:
        return resolve_attribute(resource_type, text)
    except UnknownAttribute:
        if ":" in text:
            raise
        name, _, sub_name = text.partition(".")
        for extension in resource_type.extensions:
            attribute = extension.attribute(name)
            if attribute is not None:
                return resolve_attribute(resource_type, f"{extension.id}:{text}")
        raise


def is_read_only(ref: AttributeRef) -> bool:
    return ref.attribute.mutability == READ_ONLY or ref.leaf.mutability == READ_ONLY


# --------------------------------------------------------------------------------------------
# `schemas`


def check_schemas(body: dict, resource_type: ResourceType) -> None:
    """Our `schemas` policy for POST/PUT bodies (RFC 7643 section 3 requires the core schema).

    - missing (or empty) `schemas`: tolerated; some clients only send attributes;
    - the core schema, or a pre-RFC alias of it (OneLogin): accepted;
    - Microsoft's ADSCIM URNs (Entra groups) and other unknown URNs: ignored once the core schema
      is there, and so are the attributes they would carry;
    - only SCIM 1.1 URNs (OneLogin's v1.1 connector): refused with a message that names the fix;
    - only unknown URNs, or another resource type's schema: refused.
    """
    schemas = _get(body, "schemas")
    if schemas is None:
        return
    if isinstance(schemas, str):
        schemas = [schemas]
    if not isinstance(schemas, list) or not all(isinstance(urn, str) for urn in schemas):
        raise bad_request("schemas must be an array of schema URNs")
    core = resource_type.schema
    named_core = scim_1 = refused = False
    for urn in schemas:
        lowered = urn.lower()
        schema = canonical_schema_urn(resource_type, urn)
        if schema is core:
            named_core = True
        elif lowered in TOLERATED_URNS:
            continue
        elif lowered in SCIM_1_URNS:
            scim_1 = True
        else:
            # An extension without the core schema, another resource type's schema, or a URN we
            # don't know: acceptable next to the core schema, not instead of it.
            refused = True
    if named_core:
        return
    if scim_1:
        raise bad_request(SCIM_1_DETAIL)
    if refused:
        raise bad_request(f"schemas must include {core.id}")


def _get(body: dict, name: str) -> Any:
    """A message attribute (`schemas`, `Operations`, `op`...) in any letter case (RFC 7643 2.1)."""
    if name in body:
        return body[name]
    lowered = name.lower()
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None


# --------------------------------------------------------------------------------------------
# Values


def coerce_value(ref: AttributeRef | Attribute, value: Any, *, where: str, element: bool = False) -> Any:
    """Validate `value` for the attribute `ref` and return it in canonical form; None = unassigned.

    The one place both POST/PUT and PATCH check values, so they can never disagree:
    - strings (and references, binaries) must be JSON strings; integers and decimals numbers;
      dateTime an ISO 8601 string (kept as sent);
    - booleans: JSON booleans, or the strings "true"/"false" in any case, which Entra (default
      PATCH dialect and POST) and OneLogin templates send; anything else is refused;
    - complex: an object; sub-attribute names in any case, unknown or readOnly ones ignored; a
      one-element array is taken as its element (clients wrap single values);
    - multi-valued: an array; a single object is wrapped (IdPs do that); at most one
      `primary: true` per attribute (RFC 7643 2.4): the first one is kept and later ones are set
      to false, the IdP-friendly reading of a request that breaks the rule;
    - `manager` (enterprise): a bare id string becomes `{"value": id}`.
    With `element=True` and a multi-valued `ref`, `value` is one element of it.
    Raises ScimError 400 invalidValue naming `where`.
    """
    if isinstance(ref, AttributeRef):
        attribute, sub, uri = ref.attribute, ref.sub_attribute, ref.uri
    else:
        attribute, sub, uri = ref, None, None
    if sub is not None:
        if attribute.name == "manager" and sub.name == "value" and value == "":
            return None
        return _coerce_one(sub, value, where, uri=None)
    if attribute.multi_valued and not element:
        return _coerce_many(attribute, value, where)
    return _coerce_one(attribute, value, where, uri=uri, element=element)


def _is_manager(attribute: Attribute, uri: str | None) -> bool:
    return attribute.name == "manager" and (uri or "").lower() == _MANAGER_URI


def _coerce_one(
    attribute: Attribute, value: Any, where: str, *, uri: str | None, element: bool = False
) -> Any:
    if value is None:
        return None
    if attribute.type == COMPLEX:
        return _coerce_complex(attribute, value, where, uri=uri, element=element)
    if attribute.type == BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"  # templated values can carry stray spaces
        raise bad_request(f"{where} must be a boolean")
    if attribute.type == INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad_request(f"{where} must be an integer")
    if attribute.type == DECIMAL:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return value
        raise bad_request(f"{where} must be a number")
    if not isinstance(value, str):
        raise bad_request(f"{where} must be a string")
    if len(value) > MAX_STRING_LENGTH:
        raise bad_request(f"{where} is longer than {MAX_STRING_LENGTH} characters")
    if attribute.type == DATETIME:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise bad_request(f"{where} must be an ISO 8601 date and time") from None
    return value


def _coerce_complex(attribute: Attribute, value: Any, where: str, *, uri: str | None, element: bool) -> Any:
    manager = _is_manager(attribute, uri)
    if isinstance(value, list) and not element:
        # Entra's older manager form `[{"$ref": ..., "value": ...}]`, and clients that wrap any
        # single value in an array.
        if not value:
            return None
        if len(value) > 1:
            raise bad_request(f"{where} takes a single value, not an array")
        # element=True: unwrap one level only.
        return _coerce_complex(attribute, value[0], where, uri=uri, element=True)
    if manager and isinstance(value, str):
        return {"value": value} if value else None
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object")
    result: dict = {}
    for key, sub_value in value.items():
        sub = attribute.sub(key) if isinstance(key, str) else None
        # Unknown sub-attributes are ignored like unknown attributes; readOnly ones (the
        # manager's displayName OneLogin sends) are ignored per RFC 7644 section 3.5.1.
        if sub is None or sub.mutability == READ_ONLY:
            continue
        coerced = _coerce_one(sub, sub_value, f"{where}.{sub.name}", uri=None)
        if coerced is not None:
            result[sub.name] = coerced
    if manager and result.get("value") == "":
        del result["value"]
    return _ordered_complex(attribute, result) or None


def _coerce_many(attribute: Attribute, value: Any, where: str) -> list | None:
    if value is None:
        return None
    if isinstance(value, dict) and attribute.type == COMPLEX:
        value = [value]
    if not isinstance(value, list):
        raise bad_request(f"{where} must be an array")
    if len(value) > MAX_MULTI_VALUES:
        raise bad_request(f"{where} has more than {MAX_MULTI_VALUES} values")
    elements = []
    for index, item in enumerate(value):
        if isinstance(item, list):
            raise bad_request(f"{where}[{index}] must be an object")
        coerced = _coerce_one(attribute, item, f"{where}[{index}]", uri=None, element=True)
        if coerced is not None:
            elements.append(coerced)
    single_primary(elements)
    return elements or None


def single_primary(elements: list, preferred: list | None = None) -> None:
    """Keep at most one `primary: true` in a multi-valued attribute (RFC 7643 section 2.4).

    The winner is the first primary among `preferred` (the elements a PATCH operation just
    wrote: setting a new primary email demotes the old one), else the first primary overall.
    The losers get `primary: false` rather than losing the key, so the change is visible."""
    candidates = [e for e in (preferred or []) if isinstance(e, dict) and e.get("primary") is True]
    candidates += [e for e in elements if isinstance(e, dict) and e.get("primary") is True]
    if not candidates:
        return
    winner = candidates[0]
    for item in elements:
        if isinstance(item, dict) and item is not winner and item.get("primary") is True:
            item["primary"] = False


# --------------------------------------------------------------------------------------------
# Documents


def _ordered_complex(attribute: Attribute, value: dict) -> dict:
    ordered = {sub.name: value[sub.name] for sub in attribute.sub_attributes if sub.name in value}
    ordered.update((k, v) for k, v in value.items() if k not in ordered)
    return ordered


def _ordered_attributes(schema: Schema, values: dict, skip: frozenset) -> dict:
    out: dict = {}
    # externalId belongs to every resource (RFC 7643 section 3.1), not to the schema's list.
    common = (EXTERNAL_ID,) if schema in (USER.schema, GROUP.schema) else ()
    for attribute in (*common, *schema.attributes):
        if attribute.name in skip or attribute.name not in values:
            continue
        value = _ordered_value(attribute, values[attribute.name])
        if value is not None:
            out[attribute.name] = value
    return out


def _ordered_value(attribute: Attribute, value: Any) -> Any:
    if value is None or value == [] or value == {}:
        return None
    if attribute.type != COMPLEX:
        return value
    if attribute.multi_valued and isinstance(value, list):
        items = [_ordered_complex(attribute, v) if isinstance(v, dict) else v for v in value]
        items = [v for v in items if v not in (None, {})]
        return items or None
    if isinstance(value, dict):
        return _ordered_complex(attribute, {k: v for k, v in value.items() if v is not None}) or None
    return value


def render_user(document: dict) -> dict:
    """The user's attributes for a response or for storage: canonical key order, nothing empty,
    `manager` always an object (Entra can't read a bare string back: IDP-BEHAVIORS 3.3), never
    `id`/`meta`/`schemas`/`groups`/`password` (the service adds the first four)."""
    out = _ordered_attributes(USER.schema, document, USER_NEVER_STORED)
    for extension in USER.extensions:
        values = document.get(extension.id)
        if not isinstance(values, dict):
            continue
        values = dict(values)
        manager = values.get("manager")
        if extension.id == ENTERPRISE_URN and isinstance(manager, str):
            values["manager"] = {"value": manager} if manager else None
        rendered = _ordered_attributes(extension, values, frozenset())
        if rendered:
            out[extension.id] = rendered
    return out


def schemas_for_user(document: dict) -> list[str]:
    """`schemas` of a user resource: the core URN, plus each extension the document uses."""
    return [USER_URN] + [ext.id for ext in USER.extensions if document.get(ext.id)]


def _assign(document: dict, ref: AttributeRef, value: Any) -> None:
    """Set a coerced (non-None) value in a document being built: merge into a complex value that
    is already there, so `name` and `name.givenName` keys can both contribute."""
    container = document if ref.uri is None else document.setdefault(ref.uri, {})
    name = ref.attribute.name
    if ref.sub_attribute is not None:
        current = container.get(name)
        if not isinstance(current, dict):
            current = container[name] = {}
        current[ref.sub_attribute.name] = value
    elif (
        ref.attribute.is_complex and not ref.attribute.multi_valued and isinstance(container.get(name), dict)
    ):
        container[name].update(value)
    else:
        container[name] = value


def parse_user(body: Any) -> dict:
    """The canonical user document of a POST or PUT body (RFC 7644 sections 3.3 and 3.5.1).

    Attribute names match in any case (Entra sends `UserName`, `Active`, `Primary`); extension
    attributes may come in the extension object or as top-level URN-qualified keys; unknown
    attributes, unknown URNs' attributes and readOnly ones (`id` even when null, `meta`, `groups`)
    are ignored. `active` absent stays absent: OneLogin's PUT templates omit it and mean "unchanged",
    so the service decides. Raises ScimError 400."""
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object")
    check_schemas(body, USER)
    document: dict = {}
    for key, value in body.items():
        if not isinstance(key, str) or key.lower() in USER_NEVER_STORED or value is None:
            continue
        schema = canonical_schema_urn(USER, key) if ":" in key else None
        if schema is not None:
            _parse_extension_object(document, schema, value, where=schema.id)
            continue
        try:
            ref = resolve_path(USER, key)
        except UnknownAttribute:
            continue
        if is_read_only(ref) or ref.attribute.name in USER_NEVER_STORED or _is_element_path(ref):
            continue
        coerced = coerce_value(ref, value, where=ref.dotted)
        if coerced is not None:
            _assign(document, ref, coerced)
    require_user_name(document)
    return render_user(document)


def _parse_extension_object(document: dict, schema: Schema, value: Any, *, where: str) -> None:
    """`{"urn:...:enterprise:2.0:User": {...}}`, or the same with the core URN (a core attribute
    group some clients send): each key is an attribute of that schema."""
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object")
    for key, sub_value in value.items():
        if isinstance(key, str) and key.lower() not in USER_NEVER_STORED and sub_value is not None:
            _parse_ref_into(document, USER, f"{schema.id}:{key}", sub_value)


def _parse_ref_into(document: dict, resource_type: ResourceType, text: str, value: Any) -> None:
    try:
        ref = resolve_path(resource_type, text)
    except UnknownAttribute:
        return
    if is_read_only(ref) or _is_element_path(ref):
        return
    coerced = coerce_value(ref, value, where=ref.dotted)
    if coerced is not None:
        _assign(document, ref, coerced)


def _is_element_path(ref: AttributeRef) -> bool:
    """`emails.value` as a body key names no single value to set: ignored like an unknown key."""
    return ref.attribute.multi_valued and ref.sub_attribute is not None


def require_user_name(document: dict) -> None:
    """userName is the only required user attribute (RFC 7643 section 4.1.1)."""
    user_name = document.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise bad_request(USERNAME_REQUIRED)


def require_display_name(document: dict) -> None:
    """displayName is required for groups (RFC 7643 section 4.2); Entra matches groups on it."""
    display_name = document.get("displayName")
    if not isinstance(display_name, str) or not display_name.strip():
        raise bad_request(DISPLAY_NAME_REQUIRED)


# --------------------------------------------------------------------------------------------
# Groups


def parse_member(item: Any, *, where: str) -> dict:
    """One group member: `{"value": id, "display"?, "type"?}`.

    `$ref` is ignored (Entra sends `"$ref": null`; the service builds its own). Keys match in any
    case. A member without a string `value` cannot be resolved, so it is refused rather than
    silently dropped."""
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object with a value")
    member: dict = {}
    for key, sub_value in item.items():
        lowered = key.lower() if isinstance(key, str) else None
        if lowered in ("value", "display", "type") and sub_value is not None:
            if not isinstance(sub_value, str):
                raise bad_request(f"{where}.{lowered} must be a string")
            member[lowered] = sub_value
    if not member.get("value"):
        raise bad_request(f"{where}.value is required: the id of a user")
    return {name: member[name] for name in ("value", "display", "type") if name in member}


def parse_members(value: Any, *, where: str = "members") -> list[dict]:
    """A member list, de-duplicated by value (first occurrence kept). A single object is taken as
    a one-element list; null as empty."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise bad_request(f"{where} must be an array of members")
    members: dict[str, dict] = {}
    for index, item in enumerate(value):
        member = parse_member(item, where=f"{where}[{index}]")
        members.setdefault(member["value"], member)
    return list(members.values())


def parse_group(body: Any) -> dict:
    """The canonical group document of a POST or PUT body: `displayName` (required),
    `externalId`, and `members` when the body carries them (an empty list or null included, so a
    PUT can tell "no members" from "members not sent"). Entra adds its ADSCIM URN and `meta`; both are
    ignored. Raises ScimError 400."""
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object")
    check_schemas(body, GROUP)
    document: dict = {}
    members: list[dict] | None = None
    for key, value in body.items():
        if not isinstance(key, str) or key.lower() in GROUP_NEVER_STORED:
            continue
        try:
            ref = resolve_path(GROUP, key)
        except UnknownAttribute:
            continue
        if is_read_only(ref) or ref.sub_attribute is not None:
            continue
        if ref.attribute.name == "members":
            # `"members": null` asserts "no members" (RFC 7643 section 2.5: null is unassigned);
            # leaving the key out asserts nothing.
            members = parse_members(value)
        elif value is not None:
            coerced = coerce_value(ref, value, where=ref.attribute.name)
            if coerced is not None:
                document[ref.attribute.name] = coerced
    require_display_name(document)
    out = {name: document[name] for name in ("displayName", "externalId") if name in document}
    if members is not None:
        out["members"] = members
    return out


__all__ = [
    "DISPLAY_NAME_REQUIRED",
    "SCIM_1_DETAIL",
    "USERNAME_REQUIRED",
    "ScimError",
    "canonical_schema_urn",
    "check_schemas",
    "coerce_value",
    "parse_group",
    "parse_member",
    "parse_members",
    "parse_user",
    "render_user",
    "require_display_name",
    "require_user_name",
    "resolve_path",
    "schemas_for_user",
    "single_primary",
]
