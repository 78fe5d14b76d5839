"""Shared pieces of the security and reliability tests."""

import json

import pytest
from django.db import connection

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises every writer, so it cannot show a race "
    "(set DATABASE_URL=postgres://... to run these)",
)


def scim_error(response, status: int) -> dict:
    """The response is a SCIM error body with `status`; returns the body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/scim+json"), response["Content-Type"]
    body = json.loads(response.content)
    assert body["schemas"] == [ERROR_URN] and body["status"] == str(status), body
    return body


from tests.scim.conftest import other_scim, scim  # noqa: E402,F401 (fixtures: a SCIM client per organization)
