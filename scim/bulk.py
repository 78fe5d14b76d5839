"""Bulk operations (RFC 7644 section 3.7): several creates, replaces, patches and deletes in one
request, with `bulkId` references between them and `failOnErrors`.

Each operation runs in a savepoint of the request's transaction: a failed operation leaves
nothing behind, the ones before it stand (Bulk is not all-or-nothing in SCIM)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, transaction

from integrations.models import Integration

from . import services
from .exceptions import refused_value
from .protocol.errors import ScimError, bad_request, invalid_syntax
from .protocol.patch import patch_work_budget
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
                raise bad_request(f"bulkId '{bulk_id}' does not refer to any operation of this request.")
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


def run_bulk(
    *,
    integration: Integration,
    data,
    base_url: str,
    max_operations: int,
    render: Callable[[str, object], dict],
) -> BulkResult:
    if not isinstance(data, dict):
        raise invalid_syntax("A bulk request must be a JSON object.")
    schemas = _key(data, "schemas")
    if schemas is not None and BULK_REQUEST_URN not in (schemas if isinstance(schemas, list) else [schemas]):
        raise invalid_syntax(f"A bulk request must use the {BULK_REQUEST_URN} schema.")
    operations = _key(data, "Operations")
    if not isinstance(operations, list):
        raise invalid_syntax("A bulk request needs an 'Operations' list.")
    if len(operations) > max_operations:
        raise ScimError(
            413,
            f"A bulk request may hold at most {max_operations} operations; this one has {len(operations)}.",
        )
    fail_on_errors = _key(data, "failOnErrors")
    if fail_on_errors is not None and (
        not isinstance(fail_on_errors, int) or isinstance(fail_on_errors, bool) or fail_on_errors < 1
    ):
        raise bad_request("failOnErrors must be a positive integer.")

    with patch_work_budget():
        return _run_operations(integration, operations, fail_on_errors, base_url, render)


def _run_operations(integration, operations, fail_on_errors, base_url, render) -> BulkResult:
    declared = _declared_bulk_ids(operations)
    created: dict[str, str] = {}
    results: dict[int, dict] = {}
    failures = 0
    # Operations run in request order, except that one referring to a bulkId created later in
    # the request waits for it (RFC 7644 section 3.7.1 lets references point forward).
    pending = list(range(len(operations)))
    while pending:
        progressed = False
        waiting = []
        for index in pending:
            if fail_on_errors is not None and failures >= fail_on_errors:
                break
            operation = operations[index]
            missing = _unresolved(operation, created) & declared
            if missing:
                waiting.append(index)
                continue
            outcome = _run_one(integration, operation, created, base_url, render, declared)
            results[index] = outcome
            failures += int(outcome["status"]) >= 400
            progressed = True
        else:
            if waiting and not progressed:
                for index in waiting:  # circular or failed references: none can ever run
                    results[index] = _failure(
                        operations[index],
                        ScimError(
                            409,
                            "This operation refers to a bulkId that could not be created (a circular reference, "
                            "or the operation that creates it failed).",
                            "invalidValue",
                        ),
                    )
                    failures += 1
                waiting = []
            pending = waiting
            continue
        break
    ordered = [results[i] for i in sorted(results)]
    return BulkResult(
        response={"schemas": [BULK_RESPONSE_URN], "Operations": ordered},
        operations=len(ordered),
        failures=failures,
    )


def _declared_bulk_ids(operations: list) -> set[str]:
    seen: set[str] = set()
    for operation in operations:
        bulk_id = _key(operation, "bulkId") if isinstance(operation, dict) else None
        if bulk_id is None:
            continue
        if not isinstance(bulk_id, str) or not bulk_id:
            raise bad_request(f"bulkId must be a non-empty string, got {bulk_id!r}.")
        if bulk_id in seen:
            raise bad_request(f"bulkId '{bulk_id}' is used by more than one operation.")
        seen.add(bulk_id)
    return seen


def _references(value) -> set[str]:
    if isinstance(value, str):
        found = set()
        for part in value.split("/"):
            match = BULK_ID_REFERENCE.match(part)
            if match:
                found.add(match["id"])
        return found
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_references(item) for item in value.values())) if value else set()
    return set()


def _unresolved(operation, created: dict[str, str]) -> set[str]:
    if not isinstance(operation, dict):
        return set()
    wanted = _references(_key(operation, "path")) | _references(_key(operation, "data"))
    return wanted - set(created)


def _failure(operation, error: ScimError) -> dict:
    result: dict = (
        {"method": str(_key(operation, "method") or "").upper() or None}
        if isinstance(operation, dict)
        else {"method": None}
    )
    bulk_id = _key(operation, "bulkId") if isinstance(operation, dict) else None
    if bulk_id is not None:
        result["bulkId"] = bulk_id
    result.update(status=str(error.status), response=error.to_scim())
    return result


def _run_one(integration, operation, created, base_url, render, declared=frozenset()) -> dict:
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
            raise invalid_syntax(
                f"Unsupported bulk operation {method} {path!r}: use POST /Users or /Groups, or PUT/PATCH/DELETE on /Users/{{id}} or /Groups/{{id}}."
            )
        kind, resource_id = match["type"].capitalize(), match["id"]
        if (method == "POST") == (resource_id is not None):
            raise invalid_syntax(
                f"{method} {path}: POST targets /{kind}; PUT, PATCH and DELETE target /{kind}/{{id}}."
            )
        if method == "POST" and not bulk_id:
            raise invalid_syntax("A POST in a bulk request needs a bulkId.")
        payload = _resolve_references(_key(operation, "data"), created)
        version = _key(operation, "version")
        if version is not None and not isinstance(version, str):
            raise invalid_syntax(f'{method} {path}: "version" must be a string (an ETag such as W/"3").')
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
    except DatabaseError as exc:
        # The operation's savepoint has rolled back; a value the database refused is this
        # operation's 400, not the whole request's (RFC 7644 section 3.7.3).
        error = refused_value(exc)
        if error is None:
            raise
        result.update(status=str(error.status), response=error.to_scim())
        return result


def _dispatch(integration, kind, method, resource_id, payload, version):
    if kind == "Users":
        if method == "POST":
            return services.scim_user_create(integration=integration, data=payload).user
        if method == "DELETE":
            return services.scim_user_delete(
                integration=integration, scim_id=resource_id, if_match=version
            ).user
        service = services.scim_user_replace if method == "PUT" else services.scim_user_patch
        return service(integration=integration, scim_id=resource_id, data=payload, if_match=version).user
    if method == "POST":
        return services.scim_group_create(integration=integration, data=payload).group
    if method == "DELETE":
        return services.scim_group_delete(
            integration=integration, scim_id=resource_id, if_match=version
        ).group
    service = services.scim_group_replace if method == "PUT" else services.scim_group_patch
    return service(integration=integration, scim_id=resource_id, data=payload, if_match=version).group
