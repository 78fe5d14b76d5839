"""`attributes` and `excludedAttributes` (RFC 7644 section 3.9 and 3.4.2.5), applied to a rendered
resource with the schema's `returned` characteristics: `always` attributes are always there,
`never` ones never, `request` ones only when asked for."""

from __future__ import annotations

from .errors import bad_request
from .resources import canonical_schema_urn, resolve_path
from .schemas import ALWAYS, NEVER, REQUEST, AttributeRef, ResourceType, UnknownAttribute


def parse_attribute_list(raw, *, where: str = "attributes") -> list[str]:
    """A list of attribute names: a comma-separated string (a query parameter) or a list of
    strings (a search request body, RFC 7644 section 3.4.3). Anything else is 400 invalidValue."""
    if raw is None:
        return []
    if isinstance(raw, list | tuple):
        if not all(isinstance(item, str) for item in raw):
            raise bad_request(f"{where} must be a list of attribute names (strings)")
        items = list(raw)
    elif isinstance(raw, str):
        items = raw.split(",")
    else:
        raise bad_request(f"{where} must be a list of attribute names or a comma-separated string")
    return [item.strip() for item in items if item and item.strip()]


def _key(resource: dict, name: str) -> str | None:
    lowered = name.lower()
    return next((key for key in resource if key.lower() == lowered), None)


def _resolve(resource_type: ResourceType, names: list[str]):
    """Attribute references for the names, read as filters and PATCH paths read them: a schema's
    URN alone stands for all of its attributes (`excludedAttributes=urn:...:enterprise:2.0:User`),
    and a name only an extension defines (`department`) is that extension's attribute."""
    refs = []
    for name in names:
        schema = canonical_schema_urn(resource_type, name) if ":" in name else None
        if schema is not None:
            uri = None if schema is resource_type.schema else schema.id
            refs.extend(AttributeRef(attribute, None, uri) for attribute in schema.attributes)
            continue
        try:
            refs.append(resolve_path(resource_type, name))
        except UnknownAttribute:
            # Unknown names are ignored, as for unknown attributes in a body: a client asking
            # for an attribute we don't have simply doesn't get it.
            continue
    return refs


def wants_attribute(resource_type: ResourceType, name: str, attributes=None, excluded=None) -> bool:
    """Whether a projected response will contain top-level attribute `name` (lets a selector skip
    loading it, e.g. group members under `excludedAttributes=members`)."""
    attributes = parse_attribute_list(attributes)
    excluded = parse_attribute_list(excluded, where="excludedAttributes")
    lowered = name.lower()
    if attributes:
        return any(ref.attribute.name.lower() == lowered for ref in _resolve(resource_type, attributes))
    return not any(
        ref.attribute.name.lower() == lowered and ref.sub_attribute is None
        for ref in _resolve(resource_type, excluded)
    )


def project(resource: dict, resource_type: ResourceType, attributes=None, excluded=None) -> dict:
    attributes = parse_attribute_list(attributes)
    excluded = parse_attribute_list(excluded, where="excludedAttributes")
    result = _drop_unrequested(resource, resource_type)
    if attributes:
        return _include_only(result, resource_type, _resolve(resource_type, attributes))
    if excluded:
        return _exclude(result, resource_type, _resolve(resource_type, excluded))
    return result


def _container(resource: dict, ref) -> tuple[dict | None, str | None]:
    if ref.uri:
        ext_key = _key(resource, ref.uri)
        if ext_key is None or not isinstance(resource[ext_key], dict):
            return None, None
        holder = resource[ext_key]
    else:
        holder = resource
    return holder, _key(holder, ref.attribute.name)


def _drop_unrequested(resource: dict, resource_type: ResourceType) -> dict:
    out = dict(resource)
    for schema in resource_type.schemas:
        for attr in schema.attributes:
            if attr.returned in (NEVER, REQUEST):
                holder = out if schema is resource_type.schema else out.get(schema.id)
                if isinstance(holder, dict):
                    key = _key(holder, attr.name)
                    if key is not None:
                        holder = dict(holder)
                        del holder[key]
                        if schema is resource_type.schema:
                            out = holder
                        else:
                            out[schema.id] = holder
    return out


def _include_only(resource: dict, resource_type: ResourceType, refs) -> dict:
    out: dict = {}
    for key in ("schemas", "id"):
        if key in resource:
            out[key] = resource[key]
    for schema in resource_type.schemas:  # `always` attributes stay
        for attr in schema.attributes:
            if attr.returned == ALWAYS and attr.name in resource:
                out[attr.name] = resource[attr.name]
    for ref in refs:
        holder, key = _container(resource, ref)
        if holder is None or key is None:
            continue
        value = holder[key]
        if ref.sub_attribute is not None:
            value = _pick_sub(value, ref.sub_attribute.name)
            if value in (None, [], {}):
                continue
        target = out.setdefault(ref.uri, {}) if ref.uri else out
        existing = target.get(key)
        target[key] = _merge(existing, value) if existing is not None else value
    return out


def _pick_sub(value, sub: str):
    if isinstance(value, list):
        picked = []
        for element in value:
            if isinstance(element, dict):
                key = _key(element, sub)
                if key is not None:
                    picked.append({key: element[key]})
        return picked
    if isinstance(value, dict):
        key = _key(value, sub)
        return {key: value[key]} if key is not None else None
    return None


def _merge(existing, value):
    if isinstance(existing, dict) and isinstance(value, dict):
        return {**existing, **value}
    if isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
        return [
            {**a, **b} if isinstance(a, dict) and isinstance(b, dict) else b
            for a, b in zip(existing, value, strict=True)
        ]
    return value


def _exclude(resource: dict, resource_type: ResourceType, refs) -> dict:
    out = dict(resource)
    for ref in refs:
        if ref.leaf.returned == ALWAYS or ref.attribute.returned == ALWAYS:
            continue
        if ref.uri:
            ext_key = _key(out, ref.uri)
            if ext_key is None or not isinstance(out[ext_key], dict):
                continue
            holder = dict(out[ext_key])
            out[ext_key] = holder
        else:
            holder = out
        key = _key(holder, ref.attribute.name)
        if key is None:
            continue
        if ref.sub_attribute is None:
            del holder[key]
        else:
            holder[key] = _without_sub(holder[key], ref.sub_attribute.name)
        if ref.uri and not holder:
            del out[_key(out, ref.uri)]
    return out


def _without_sub(value, sub: str):
    if isinstance(value, list):
        return [
            {k: v for k, v in e.items() if k.lower() != sub.lower()} if isinstance(e, dict) else e
            for e in value
        ]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() != sub.lower()}
    return value
