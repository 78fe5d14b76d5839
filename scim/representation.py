"""Stored SCIM resources → the JSON documents clients see."""

from __future__ import annotations

import hashlib
import json

from .models import ScimGroup, ScimUser
from .protocol.schemas import ENTERPRISE_URN, GROUP_URN, USER_URN


def _timestamp(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def etag(version: int | str) -> str:
    return f'W/"{version}"'


def user_version(user: ScimUser, groups: list[tuple[str, str]] | None = None) -> str:
    """A user's version as its ETag names it. `groups` is part of a user's representation, but
    other resources change it (a group's members, a group's name), not the user's own version:
    so the version also names the groups, and a client caching a user by its ETag sees them
    change (RFC 7232: a new representation, a new tag). `groups` None: those read with the user
    (`group_refs`)."""
    if groups is None:
        groups = [tuple(ref) for ref in getattr(user, "group_refs", None) or []]
    if not groups:
        return str(user.version)
    canonical = json.dumps(sorted([str(gid), str(name)] for gid, name in groups))
    return f"{user.version}.{hashlib.blake2s(canonical.encode(), digest_size=4).hexdigest()}"


def user_document(user: ScimUser) -> dict:
    """The canonical document PATCH and PUT work on: everything the IdP owns, no id/meta."""
    document = {"userName": user.user_name}
    if user.external_id is not None:
        document["externalId"] = user.external_id
    if user.display_name:
        document["displayName"] = user.display_name
    if user.active is not None:
        document["active"] = user.active
    document.update(user.attributes)
    return document


def user_resource(user: ScimUser, *, base_url: str, groups: list[tuple[str, str]] | None = None) -> dict:
    schemas = [USER_URN]
    if ENTERPRISE_URN in user.attributes:
        schemas.append(ENTERPRISE_URN)
    location = f"{base_url}/Users/{user.scim_id}"
    resource = {"schemas": schemas, "id": user.scim_id}
    resource.update(user_document(user))
    if groups:
        resource["groups"] = [
            {"value": gid, "display": name, "$ref": f"{base_url}/Groups/{gid}", "type": "direct"}
            for gid, name in groups
        ]
    resource["meta"] = {
        "resourceType": "User",
        "created": _timestamp(user.created),
        "lastModified": _timestamp(user.last_modified),
        "location": location,
        "version": etag(user_version(user, groups)),
    }
    return resource


def group_document(group: ScimGroup) -> dict:
    document = {"displayName": group.display_name}
    if group.external_id is not None:
        document["externalId"] = group.external_id
    return document


def group_resource(group: ScimGroup, *, base_url: str, members: list[tuple[str, str]] | None = None) -> dict:
    """`members` None means "not loaded" (excludedAttributes=members): the key is left out.
    A member's `display` is echoed only when the IdP sent one (it is the IdP's label)."""
    resource = {"schemas": [GROUP_URN], "id": group.scim_id}
    resource.update(group_document(group))
    if members is not None:
        resource["members"] = [
            {
                "value": uid,
                **({"display": name} if name else {}),
                "$ref": f"{base_url}/Users/{uid}",
                "type": "User",
            }
            for uid, name in members
        ]
    resource["meta"] = {
        "resourceType": "Group",
        "created": _timestamp(group.created),
        "lastModified": _timestamp(group.last_modified),
        "location": f"{base_url}/Groups/{group.scim_id}",
        "version": etag(group.version),
    }
    return resource
