"""Discovery documents (RFC 7644 section 4): built from the same schema definitions and limits the
service enforces, so what is advertised is exactly what is implemented."""

from __future__ import annotations

from dataclasses import dataclass

from .schemas import LIST_RESPONSE_URN, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG_URN


@dataclass(frozen=True)
class Capabilities:
    max_results: int
    default_page_size: int
    bulk_supported: bool
    bulk_max_operations: int
    bulk_max_payload_bytes: int
    documentation_uri: str = ""


def service_provider_config(caps: Capabilities, *, base_url: str) -> dict:
    config = {
        "schemas": [SERVICE_PROVIDER_CONFIG_URN],
        "patch": {"supported": True},
        "bulk": {
            "supported": caps.bulk_supported,
            "maxOperations": caps.bulk_max_operations if caps.bulk_supported else 0,
            "maxPayloadSize": caps.bulk_max_payload_bytes if caps.bulk_supported else 0,
        },
        "filter": {"supported": True, "maxResults": caps.max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        # RFC 9865: both index and cursor paging are offered.
        "pagination": {
            "cursor": True,
            "index": True,
            "defaultPaginationMethod": "index",
            "defaultPageSize": caps.default_page_size,
            "maxPageSize": caps.max_results,
        },
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The integration's token in 'Authorization: Bearer <token>'.",
                "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}/ServiceProviderConfig",
        },
    }
    if caps.documentation_uri:  # an empty string is not a valid URI: leave the key out
        config["documentationUri"] = caps.documentation_uri
    return config


def schema_documents(*, base_url: str) -> list[dict]:
    return [schema.to_scim(location=f"{base_url}/Schemas/{schema.id}") for schema in SCHEMAS]


def resource_type_documents(*, base_url: str) -> list[dict]:
    return [rt.to_scim(location=f"{base_url}/ResourceTypes/{rt.id}") for rt in RESOURCE_TYPES]


def list_response(resources: list[dict], *, total: int | None = None, start_index: int = 1) -> dict:
    return {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": len(resources) if total is None else total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
