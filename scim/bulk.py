"""Bulk operations (RFC 7644 section 3.7): several creates, replaces, patches and deletes in one
request, with `bulkId` references between them and `failOnErrors`.

Each operation runs in a savepoint of the request's transaction: a failed operation leaves
nothing behind, the ones before it stand (Bulk is not all-or-nothing in SCIM)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from integrations.models import Integration

from . import services
from .protocol.errors import ScimError, bad_request, invalid_syntax
from .protocol.schemas import BULK_REQUEST_URN, BULK_RESPONSE_URN

BULK_ID_REFERENCE = re.compile(r"^bulkId:(?P<id>.+)$")
PATH = re.compile(r"^/?(?P<type>Users|Groups)(?:/(?P<id>[^/]+))?/?$", re.IGNORECASE)


@dataclass(frozen=True)
class BulkResult:
    response: dict
    operations: int
    failures: int


def _key(source: dict, name: str):
    lowered = name.lower()
    return next((source[k] for k in source if isinstance(k, str) and k.lower() == lowered), None)


def _resolve_references(value, created: dict[str, str]):
    """Replace every "bulkId:x" string with the id of the resource created by operation x."""
    if isinstance(value, str):
        match = BULK_ID_REFERENCE.match(value)
        if match:
            bulk_id = match["id"]
            if bulk_id not in created:
                raise ScimError(409, f"bulkId '{bulk_id}' does not refer to a resource created earlier in this request.", "invalidValue")
            return created[bulk_id]
        return value
    if isinstance(value, list):
        return [_resolve_references(item, created) for item in value]
    if isinstance(value, dict):
        return {key: _resolve_references(item, created) for key, item in value.items()}
    return value


def _resolve_path(path: str, created: dict[str, str]) -> str:
    """`/Users/bulkId:u1` → `/Users/<id of the user created by operation u1>`."""
    head, _, last = path.rstrip("/").rpartition("/")
    if BULK_ID_REFERENCE.match(last):
        return f"{head}/{_resolve_references(last, created)}"
    return path


def run_bulk(*, integration: Integration, data, base_url: str, max_operations: int,
             render: Callable[[str, object], dict]) -> BulkResult:
    if not isinstance(data, dict):
        raise invalid_syntax("A bulk request must be a JSON object.")
    schemas = _key(data, "schemas")
    if schemas is not None and BULK_REQUEST_URN not in (schemas if isinstance(schemas, list) else [schemas]):
        raise invalid_syntax(f"A bulk request must use the {BULK_REQUEST_URN} schema.")
    operations = _key(data, "Operations")
    if not isinstance(operations, list):
        raise invalid_syntax("A bulk request needs an 'Operations' list.")
    if len(operations) > max_operations:
        raise ScimError(413, f"A bulk request may hold at most {max_operations} operations; this one has {len(operations)}.")
    fail_on_errors = _key(data, "failOnErrors")
    if fail_on_errors is not None and (not isinstance(fail_on_errors, int) or isinstance(fail_on_errors, bool) or fail_on_errors < 1):
        raise bad_request("failOnErrors must be a positive integer.")

    created: dict[str, str] = {}
    results, failures = [], 0
    for operation in operations:
        if fail_on_errors is not None and failures >= fail_on_errors:
            break
        outcome = _run_one(integration, operation, created, base_url, render)
        if int(outcome["status"]) >= 400:
            failures += 1
        results.append(outcome)
    return BulkResult(
        response={"schemas": [BULK_RESPONSE_URN], "Operations": results},
        operations=len(results),
        failures=failures,
    )


def _run_one(integration, operation, created, base_url, render) -> dict:
    method = str(_key(operation, "method") or "").upper() if isinstance(operation, dict) else ""
    bulk_id = _key(operation, "bulkId") if isinstance(operation, dict) else None
    result: dict = {"method": method or None}
    if bulk_id is not None:
        result["bulkId"] = bulk_id
    try:
        if not isinstance(operation, dict):
            raise invalid_syntax("Each bulk operation must be a JSON object.")
        path = _resolve_path(str(_key(operation, "path") or ""), created)
        match = PATH.match(path)
        if method not in ("POST", "PUT", "PATCH", "DELETE") or match is None:
            raise invalid_syntax(f"Unsupported bulk operation {method} {path!r}: use POST /Users or /Groups, or PUT/PATCH/DELETE on /Users/{{id}} or /Groups/{{id}}.")
        kind, resource_id = match["type"].capitalize(), match["id"]
        if (method == "POST") == (resource_id is not None):
            raise invalid_syntax(f"{method} {path}: POST targets /{kind}; PUT, PATCH and DELETE target /{kind}/{{id}}.")
        if method == "POST" and not bulk_id:
            raise invalid_syntax("A POST in a bulk request needs a bulkId.")
        payload = _resolve_references(_key(operation, "data"), created)
        version = _key(operation, "version")
        with transaction.atomic():
            resource = _dispatch(integration, kind, method, resource_id, payload, version)
        if method == "DELETE":
            result.update(status="204", location=f"{base_url}/{kind}/{resource_id}")
            return result
        document = render(kind, resource)
        if method == "POST":
            created[str(bulk_id)] = document["id"]
        result.update(
            status="201" if method == "POST" else "200",
            location=document["meta"]["location"],
            version=document["meta"]["version"],
        )
        return result
    except ScimError as error:
        result.update(status=str(error.status), response=error.to_scim())
        return result


def _dispatch(integration, kind, method, resource_id, payload, version):
    if kind == "Users":
        if method == "POST":
            return services.scim_user_create(integration=integration, data=payload).user
        if method == "DELETE":
            return services.scim_user_delete(integration=integration, scim_id=resource_id, if_match=version).user
        service = services.scim_user_replace if method == "PUT" else services.scim_user_patch
        return service(integration=integration, scim_id=resource_id, data=payload, if_match=version).user
    if method == "POST":
        return services.scim_group_create(integration=integration, data=payload).group
    if method == "DELETE":
        return services.scim_group_delete(integration=integration, scim_id=resource_id, if_match=version).group
    service = services.scim_group_replace if method == "PUT" else services.scim_group_patch
    return service(integration=integration, scim_id=resource_id, data=payload, if_match=version).group
