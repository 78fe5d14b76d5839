import json

import pytest

from tests.factories import make_integration


class ScimClient:
    """Django's test client speaking SCIM to one integration's base URL."""

    def __init__(self, client, integration, token):
        self.client = client
        self.integration = integration
        self.token = token
        self.base = f"/scim/v2/{integration.public_id}"

    def request(
        self,
        method,
        path,
        body=None,
        *,
        token=None,
        content_type="application/scim+json",
        raw=None,
        **headers,
    ):
        extra = {
            k if k.startswith("HTTP_") else f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in headers.items()
        }
        auth = self.token if token is None else token
        if auth:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {auth}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        response = self.client.generic(
            method, self.base + path, data=data, content_type=content_type, **extra
        )
        response.doc = (
            json.loads(response.content) if response.content and b"{" in response.content[:1] else None
        )
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, operations, **kw):
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def create_user(self, user_name, **attributes):
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            **attributes,
        }
        response = self.post("/Users", body)
        assert response.status_code == 201, response.content
        return response.doc

    def create_group(self, display_name, members=(), **attributes):
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": display_name,
            "members": [{"value": m} for m in members],
            **attributes,
        }
        response = self.post("/Groups", body)
        assert response.status_code == 201, response.content
        return response.doc


@pytest.fixture
def scim(client, db):
    integration, token = make_integration()
    return ScimClient(client, integration, token)


@pytest.fixture
def other_scim(client, db):
    """A second organization with its own integration."""
    integration, token = make_integration()
    return ScimClient(client, integration, token)


@pytest.fixture
def other_integration_scim(client, scim):
    """A second integration of the same organization as `scim` (an IdP migration, say)."""
    integration, token = make_integration(organization=scim.integration.organization)
    return ScimClient(client, integration, token)
