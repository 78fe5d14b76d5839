"""Fuzzing. The OpenAPI description served at /scim/openapi.json is the one kept in the repository
(scim/openapi.json); schemathesis generates requests from it against a live server and none may
get a 5xx or a non-SCIM error body. Bounded by SCIM_FUZZ_EXAMPLES (examples per operation) so
the suite stays fast; the README gives the figures of the last long run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from integrations.services import integration_create
from scim.openapi import openapi_document, render
from tests.factories import OrganizationFactory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("SCIM_FUZZ_EXAMPLES", "5"))


def test_the_committed_openapi_file_is_the_generated_one():
    committed = (ROOT / "scim" / "openapi.json").read_text()
    assert committed == render(), (
        "scim/openapi.json is stale: run `python -m scim.openapi > scim/openapi.json`"
    )


def test_the_description_is_served(client, db):
    response = client.get("/scim/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content) == openapi_document()


def test_every_scim_route_is_described():
    paths = set(openapi_document()["paths"])
    for expected in [
        "/ServiceProviderConfig",
        "/Schemas",
        "/Schemas/{id}",
        "/ResourceTypes",
        "/ResourceTypes/{id}",
        "/Users",
        "/Users/{id}",
        "/Users/.search",
        "/Groups",
        "/Groups/{id}",
        "/Groups/.search",
        "/Bulk",
    ]:
        assert expected in paths


schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is in the dev extra: pip install -e '.[dev]'"
)
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture
def fuzz_target(live_server):
    integration, token = integration_create(organization=OrganizationFactory())
    from django.test import Client

    # Some data for the generated requests to find, filter and change.
    client = Client()
    base = f"/scim/v2/{integration.public_id}"
    for i in range(3):
        client.post(
            f"{base}/Users",
            json.dumps(
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": f"seed{i}@example.test",
                }
            ),
            content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    return f"{live_server.url}{base}", token


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_get_a_server_error(case, fuzz_target):
    base_url, token = fuzz_target
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if os.environ.get("SCIM_FUZZ_STATS"):  # one line per request, for the long run's figures
        with open(os.environ["SCIM_FUZZ_STATS"], "a") as stats:
            stats.write(f"{case.method} {case.path} {response.status_code}\n")
    assert response.status_code < 500, (
        case.method,
        case.formatted_path,
        case.body,
        response.status_code,
        response.text[:500],
    )
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"], body
        assert body["status"] == str(response.status_code)
        headers = {k.lower(): v for k, v in response.headers.items()}
        content_type = headers["content-type"]
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/scim+json"), content_type
