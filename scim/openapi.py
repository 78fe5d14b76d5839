"""An OpenAPI 3.0 description of the SCIM API, generated from the same schema definitions the
service validates with (scim/protocol/schemas.py), so it cannot drift from what the code accepts.

The generated document is kept in the repository as scim/openapi.json (a test checks that the two
agree; regenerate with `python -m scim.openapi > scim/openapi.json`) and served at
/scim/openapi.json for API tooling and fuzzers (schemathesis).
"""

from __future__ import annotations

import json
import sys

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from .protocol import schemas as s

SCIM_JSON = "application/scim+json"

_TYPES = {
    s.STRING: {"type": "string"},
    s.BOOLEAN: {"type": "boolean"},
    s.DECIMAL: {"type": "number"},
    s.INTEGER: {"type": "integer"},
    s.DATETIME: {"type": "string", "format": "date-time"},
    s.REFERENCE: {"type": "string"},
    s.BINARY: {"type": "string"},
}


def _attribute(attribute: s.Attribute) -> dict:
    if attribute.is_complex:
        one = {
            "type": "object",
            "properties": {sub.name: _attribute(sub) for sub in attribute.sub_attributes},
        }
    else:
        one = dict(_TYPES.get(attribute.type, {}))
        if attribute.canonical_values and attribute.type == s.STRING:
            one["description"] = "One of: " + ", ".join(attribute.canonical_values) + " (or another value)."
    if attribute.mutability == s.READ_ONLY:
        one["readOnly"] = True
    if attribute.mutability == s.WRITE_ONLY or attribute.returned == s.NEVER:
        one["writeOnly"] = True
    return {"type": "array", "items": one} if attribute.multi_valued else one


def _resource_schema(resource_type: s.ResourceType) -> dict:
    properties: dict = {
        "schemas": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "id": {"type": "string", "readOnly": True},
        "externalId": {"type": "string"},
        "meta": {"type": "object", "readOnly": True},
    }
    for attribute in resource_type.schema.attributes:
        properties.setdefault(attribute.name, _attribute(attribute))
    for extension in resource_type.extensions:
        properties[extension.id] = {
            "type": "object",
            "properties": {attribute.name: _attribute(attribute) for attribute in extension.attributes},
        }
    required = ["schemas"] + [a.name for a in resource_type.schema.attributes if a.required]
    return {
        "type": "object",
        "description": resource_type.description,
        "required": required,
        "properties": properties,
        "example": _example(resource_type),
    }


def _example(resource_type: s.ResourceType) -> dict:
    if resource_type.id == "User":
        return {
            "schemas": [s.USER_URN],
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
            "active": True,
        }
    return {"schemas": [s.GROUP_URN], "displayName": "Engineering", "members": []}


def _error_responses(*statuses: int) -> dict:
    words = {
        400: "Invalid request (scimType says why)",
        401: "Missing, invalid or revoked token",
        403: "Integration disabled, or filtering a discovery endpoint",
        404: "No such resource",
        409: "userName or displayName already taken",
        412: "If-Match names an older version",
        413: "Body larger than the advertised limit",
        415: "Unsupported media type",
        429: "Over the integration's rate limit (see Retry-After)",
        500: "Unexpected failure (no internals shown)",
        503: "Database unavailable (see Retry-After)",
    }
    return {
        str(status): {
            "description": words[status],
            "content": {SCIM_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status in statuses
    }


COMMON_ERRORS = (400, 401, 403, 413, 415, 429, 500, 503)


def _ok(description: str, schema_ref: str, status: int = 200) -> dict:
    return {
        str(status): {"description": description, "content": {SCIM_JSON: {"schema": {"$ref": schema_ref}}}}
    }


def _body(schema_ref: str) -> dict:
    return {"required": True, "content": {SCIM_JSON: {"schema": {"$ref": schema_ref}}}}


LIST_PARAMETERS = [
    {
        "name": "filter",
        "in": "query",
        "schema": {"type": "string"},
        "description": "RFC 7644 section 3.4.2.2 filter",
    },
    {"name": "startIndex", "in": "query", "schema": {"type": "integer"}},
    {"name": "count", "in": "query", "schema": {"type": "integer"}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
    {"name": "sortBy", "in": "query", "schema": {"type": "string"}},
    {"name": "sortOrder", "in": "query", "schema": {"type": "string", "enum": ["ascending", "descending"]}},
    {"name": "attributes", "in": "query", "schema": {"type": "string"}},
    {"name": "excludedAttributes", "in": "query", "schema": {"type": "string"}},
]
PROJECTION = LIST_PARAMETERS[-2:]
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _resource_paths(resource_type: s.ResourceType) -> dict:
    name = resource_type.id
    ref = f"#/components/schemas/{name}"
    item = f"{resource_type.endpoint}/{{id}}"
    return {
        resource_type.endpoint: {
            "get": {
                "operationId": f"list{name}s",
                "summary": f"List or filter {name}s",
                "parameters": LIST_PARAMETERS,
                "responses": {
                    **_ok("A page of resources", "#/components/schemas/ListResponse"),
                    **_error_responses(*COMMON_ERRORS),
                },
            },
            "post": {
                "operationId": f"create{name}",
                "summary": f"Create a {name}",
                "requestBody": _body(ref),
                "responses": {**_ok("Created", ref, 201), **_error_responses(*COMMON_ERRORS, 409)},
            },
        },
        f"{resource_type.endpoint}/.search": {
            "post": {
                "operationId": f"search{name}s",
                "summary": f"Search {name}s (POST /.search)",
                "requestBody": _body("#/components/schemas/SearchRequest"),
                "responses": {
                    **_ok("A page of resources", "#/components/schemas/ListResponse"),
                    **_error_responses(*COMMON_ERRORS),
                },
            },
        },
        item: {
            "parameters": [ID],
            "get": {
                "operationId": f"get{name}",
                "parameters": PROJECTION,
                "responses": {
                    **_ok("The resource", ref),
                    "304": {"description": "Not modified (If-None-Match)"},
                    **_error_responses(*COMMON_ERRORS, 404),
                },
            },
            "put": {
                "operationId": f"replace{name}",
                "requestBody": _body(ref),
                "responses": {
                    **_ok("The replaced resource", ref),
                    **_error_responses(*COMMON_ERRORS, 404, 409, 412),
                },
            },
            "patch": {
                "operationId": f"patch{name}",
                "requestBody": _body("#/components/schemas/PatchOp"),
                "responses": {
                    **_ok("The modified resource", ref),
                    "204": {"description": "Modified"},
                    **_error_responses(*COMMON_ERRORS, 404, 409, 412),
                },
            },
            "delete": {
                "operationId": f"delete{name}",
                "responses": {
                    "204": {"description": "Deleted (access ended; records kept)"},
                    **_error_responses(*COMMON_ERRORS, 404, 412),
                },
            },
        },
    }


def _discovery_paths() -> dict:
    any_object = "#/components/schemas/Document"
    listing = "#/components/schemas/ListResponse"
    paths = {
        "/ServiceProviderConfig": {
            "get": {
                "operationId": "serviceProviderConfig",
                "responses": {
                    **_ok("What the service supports, with its limits", any_object),
                    **_error_responses(401, 403, 429, 500, 503),
                },
            }
        },
        "/ResourceTypes": {
            "get": {
                "operationId": "resourceTypes",
                "responses": {
                    **_ok("The resource types", listing),
                    **_error_responses(401, 403, 429, 500, 503),
                },
            }
        },
        "/ResourceTypes/{id}": {
            "parameters": [ID],
            "get": {
                "operationId": "resourceType",
                "responses": {
                    **_ok("One resource type", any_object),
                    **_error_responses(401, 403, 404, 429, 500, 503),
                },
            },
        },
        "/Schemas": {
            "get": {
                "operationId": "schemas",
                "responses": {**_ok("The schemas", listing), **_error_responses(401, 403, 429, 500, 503)},
            }
        },
        "/Schemas/{id}": {
            "parameters": [ID],
            "get": {
                "operationId": "schema",
                "responses": {
                    **_ok("One schema", any_object),
                    **_error_responses(401, 403, 404, 429, 500, 503),
                },
            },
        },
        "/Bulk": {
            "post": {
                "operationId": "bulk",
                "requestBody": _body("#/components/schemas/BulkRequest"),
                "responses": {
                    **_ok("The result of each operation", any_object),
                    **_error_responses(*COMMON_ERRORS),
                },
            }
        },
    }
    return paths


def openapi_document() -> dict:
    """The OpenAPI 3.0 document; limits are the configured ones (SCIM_* settings)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Massdriver SCIM 2.0 API",
            "version": "2.0",
            "description": (
                "RFC 7643/7644 SCIM 2.0 for one integration of one organization. Authenticate with the "
                "integration's bearer token. Every error is an RFC 7644 section 3.12 body. Limits: request bodies up to "
                f"{settings.SCIM_MAX_PAYLOAD_BYTES} bytes, pages up to {settings.SCIM_MAX_PAGE_SIZE} resources, "
                f"filters up to {settings.SCIM_MAX_FILTER_LENGTH} characters, {settings.SCIM_MAX_PATCH_OPERATIONS} "
                f"operations per PATCH, {settings.SCIM_BULK_MAX_OPERATIONS} per Bulk request; "
                f"{settings.SCIM_RATE_LIMIT_PER_MINUTE} requests per minute per integration (0: no limit)."
            ),
        },
        "servers": [
            {
                "url": "/scim/v2/{integrationId}",
                "variables": {"integrationId": {"default": "0" * 32, "description": "The integration's id"}},
            }
        ],
        "security": [{"bearer": []}],
        "paths": {
            **_discovery_paths(),
            **_resource_paths(s.USER),
            **_resource_paths(s.GROUP),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "mdscim_..."}},
            "schemas": {
                "User": _resource_schema(s.USER),
                "Group": _resource_schema(s.GROUP),
                "Document": {"type": "object"},
                "ListResponse": {
                    "type": "object",
                    "required": ["schemas", "totalResults", "Resources"],
                    "properties": {
                        "schemas": {"type": "array", "items": {"type": "string"}},
                        "totalResults": {"type": "integer"},
                        "startIndex": {"type": "integer"},
                        "itemsPerPage": {"type": "integer"},
                        "nextCursor": {"type": "string"},
                        "Resources": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "SearchRequest": {
                    "type": "object",
                    "required": ["schemas"],
                    "properties": {
                        "schemas": {
                            "type": "array",
                            "items": {"type": "string", "enum": [s.SEARCH_REQUEST_URN]},
                        },
                        **{p["name"]: p["schema"] for p in LIST_PARAMETERS},
                    },
                },
                "PatchOp": {
                    "type": "object",
                    "required": ["schemas", "Operations"],
                    "properties": {
                        "schemas": {"type": "array", "items": {"type": "string", "enum": [s.PATCH_OP_URN]}},
                        "Operations": {
                            "type": "array",
                            "maxItems": settings.SCIM_MAX_PATCH_OPERATIONS,
                            "items": {
                                "type": "object",
                                "required": ["op"],
                                "properties": {
                                    "op": {"type": "string", "enum": ["add", "remove", "replace"]},
                                    "path": {"type": "string"},
                                    "value": {},
                                },
                            },
                        },
                    },
                },
                "BulkRequest": {
                    "type": "object",
                    "required": ["schemas", "Operations"],
                    "properties": {
                        "schemas": {
                            "type": "array",
                            "items": {"type": "string", "enum": [s.BULK_REQUEST_URN]},
                        },
                        "failOnErrors": {"type": "integer"},
                        "Operations": {
                            "type": "array",
                            "maxItems": settings.SCIM_BULK_MAX_OPERATIONS,
                            "items": {
                                "type": "object",
                                "required": ["method", "path"],
                                "properties": {
                                    "method": {"type": "string", "enum": ["POST", "PUT", "PATCH", "DELETE"]},
                                    "path": {"type": "string"},
                                    "bulkId": {"type": "string"},
                                    "version": {"type": "string"},
                                    "data": {"type": "object"},
                                },
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["schemas", "status"],
                    "properties": {
                        "schemas": {"type": "array", "items": {"type": "string", "enum": [s.ERROR_URN]}},
                        "status": {"type": "string"},
                        "scimType": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    }


def render() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def openapi_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


if __name__ == "__main__":  # python -m scim.openapi > scim/openapi.json
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "massdriver_scim.settings.base")
    django.setup()
    sys.stdout.write(render())
