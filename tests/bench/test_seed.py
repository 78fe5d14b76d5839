"""bench/seed writes exactly what a SCIM create writes, so the seeded users behave like created
ones: listed, found by a filter, counted."""

from __future__ import annotations

import sys

import pytest
from django.db import connection
from django.test import Client

from integrations.services import integration_create
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_seeded_users_are_ordinary_scim_users(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("bench/seed is PostgreSQL's set-based SQL (set DATABASE_URL=postgres://...)")
    from bench import seed_users

    organization = OrganizationFactory(slug="seeded")
    integration, token = integration_create(organization=organization)
    monkeypatch.setattr(sys, "argv", ["seed", "25", "--org", "seeded"])
    assert seed_users.main() == 0
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    base = f"/scim/v2/{integration.public_id}"
    listing = client.get(f"{base}/Users?count=5", **headers).json()
    assert listing["totalResults"] == 25 and len(listing["Resources"]) == 5
    found = client.get(f'{base}/Users?filter=userName eq "SEED-0000007"', **headers).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["emails"] == [
        {"type": "work", "value": "seed-0000007@example.com", "primary": True}
    ]
