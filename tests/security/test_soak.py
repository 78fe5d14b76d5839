"""A short run of the soak (bench/soak.py) against a live server: a simulated IdP's random,
realistic operations, then the whole SCIM state compared with its model. The long run (two
gunicorn instances on one PostgreSQL) is `python bench/soak.py --spawn --ops 20000`; its figures
are in the README."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from bench.soak import soak
from integrations.services import integration_create
from tests.factories import OrganizationFactory

OPERATIONS = int(os.environ.get("SCIM_SOAK_OPERATIONS", "300"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_short_soak_leaves_the_state_the_idp_expects(live_server, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 0
    integration, token = integration_create(organization=OrganizationFactory())
    base = f"{live_server.url}/scim/v2/{integration.public_id}"
    # SQLite's in-memory test database is one connection shared by the live server's threads:
    # no parallel bursts there (the PostgreSQL run has them).
    bursts = 6 if connection.vendor == "postgresql" else 1
    summary = soak([base], token, operations=OPERATIONS, seed=7, burst_workers=bursts)
    assert summary["server_errors"] == 0, summary
    assert summary["failures"] == 0, summary["failure_examples"]
    assert summary["differences"] == 0, summary["difference_examples"]
    assert summary["operations"] == OPERATIONS and summary["users"] > 10
