"""A SCIM request costs the same number of queries whatever the size of what it returns or changes:
a page of users with their emails and groups, a group with its members, a PATCH, a create with
its activity record. Each count is measured at 10 and at 100 rows and must not move."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import TeamMembership
from scim.models import RequestRecord
from tests.factories import make_scim_group, make_scim_user

# Upper bounds, so that a new query per request is a decision, not an accident.
MAX_LIST_QUERIES = 4  # token, page (each user with its groups), COUNT, activity record
MAX_GROUP_QUERIES = 4  # token, group, members, activity record
MAX_USER_PATCH_QUERIES = 10
MAX_GROUP_PATCH_QUERIES = 12
MAX_CREATE_QUERIES = 14


@pytest.fixture(autouse=True)
def _probed_connection(db):
    """SQLite's first JSON query on a connection probes for JSON support once (Django caches it
    per connection): not a query of the request being measured."""
    assert connection.features.supports_json_field


def _people(scim, count: int, *, prefix: str):
    users = [
        make_scim_user(
            scim.integration,
            f"{prefix}{i}@example.test",
            attributes={"emails": [{"value": f"{prefix}{i}@example.test", "type": "work", "primary": True}]},
        )
        for i in range(count)
    ]
    for name in ("engineering", "everyone"):
        make_scim_group(scim.integration, f"{prefix}-{name}", members=users)
    return users


def _queries(scim, method: str, path: str, body=None) -> tuple[int, object]:
    scim.get("/ServiceProviderConfig")  # the once-a-minute "IdP reached us" write happens here
    with CaptureQueriesContext(connection) as captured:
        response = scim.request(method, path, body)
    assert response.status_code < 300, response.content
    return len(captured), response


@pytest.mark.parametrize("count", [10, 100])
def test_a_page_of_users_with_emails_and_groups_costs_a_fixed_number_of_queries(
    scim, count, django_assert_max_num_queries
):
    _people(scim, count, prefix=f"page{count}-")
    scim.get("/ServiceProviderConfig")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = scim.get("/Users?count=100")
    resources = response.doc["Resources"]
    assert len(resources) == count
    assert all(len(r["emails"]) == 1 and len(r["groups"]) == 2 for r in resources)


def test_a_page_of_users_costs_the_same_at_10_and_100_users(scim, other_scim):
    _people(scim, 10, prefix="small-")
    _people(other_scim, 100, prefix="large-")
    small, small_page = _queries(scim, "GET", "/Users?count=10")
    large, large_page = _queries(other_scim, "GET", "/Users?count=100")
    assert len(small_page.doc["Resources"]) == 10 and len(large_page.doc["Resources"]) == 100
    assert small == large <= MAX_LIST_QUERIES


def test_a_deep_page_costs_the_same_as_the_first(scim):
    _people(scim, 100, prefix="deep-")
    first, _ = _queries(scim, "GET", "/Users?startIndex=1&count=10")
    deep, response = _queries(scim, "GET", "/Users?startIndex=81&count=10")
    assert response.doc["totalResults"] == 100 and len(response.doc["Resources"]) == 10
    assert first == deep <= MAX_LIST_QUERIES


def test_a_userName_lookup_needs_no_count(scim):
    _people(scim, 10, prefix="lookup-")
    queries, response = _queries(scim, "GET", '/Users?filter=userName eq "LOOKUP-3@example.test"')
    assert response.doc["totalResults"] == 1
    assert queries == 3  # token, the user with its groups, activity record: the page says there is one


def test_reading_a_user_with_its_groups_is_three_queries(scim):
    users = _people(scim, 10, prefix="read-")
    queries, response = _queries(scim, "GET", f"/Users/{users[0].scim_id}")
    assert [group["display"] for group in response.doc["groups"]] == ["read--engineering", "read--everyone"]
    assert queries == 3  # token, the user with its groups, activity record


def test_a_group_with_its_members_costs_the_same_at_10_and_100_members(scim, other_scim):
    counts = []
    for client, size in ((scim, 10), (other_scim, 100)):
        users = _people(client, size, prefix=f"members{size}-")
        group = make_scim_group(client.integration, f"team-{size}", members=users)
        queries, response = _queries(client, "GET", f"/Groups/{group.scim_id}")
        assert len(response.doc["members"]) == size
        counts.append(queries)
    assert counts[0] == counts[1] <= MAX_GROUP_QUERIES


def test_a_user_patch_costs_the_same_in_a_small_and_a_large_organization(scim, other_scim):
    counts = []
    for client, size in ((scim, 10), (other_scim, 100)):
        users = _people(client, size, prefix=f"patch{size}-")
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        queries, response = _queries(client, "PATCH", f"/Users/{users[0].scim_id}", body)
        assert response.doc["active"] is False
        counts.append(queries)
    assert counts[0] == counts[1] <= MAX_USER_PATCH_QUERIES


def test_adding_10_or_100_members_in_one_patch_costs_the_same(scim, other_scim):
    counts = []
    for client, size in ((scim, 10), (other_scim, 100)):
        users = _people(client, size, prefix=f"add{size}-")
        group = make_scim_group(client.integration, f"new-{size}")
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": u.scim_id} for u in users]}],
        }
        queries, _ = _queries(client, "PATCH", f"/Groups/{group.scim_id}", body)
        assert TeamMembership.objects.filter(team_id=group.team_id).count() == size
        counts.append(queries)
    assert counts[0] == counts[1] <= MAX_GROUP_PATCH_QUERIES


def test_a_create_and_its_activity_record_cost_the_same_in_a_small_and_a_large_organization(scim, other_scim):
    counts = []
    for client, size in ((scim, 10), (other_scim, 100)):
        _people(client, size, prefix=f"create{size}-")
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"new{size}@example.test",
            "emails": [{"value": f"new{size}@example.test", "primary": True}],
        }
        queries, response = _queries(client, "POST", "/Users", body)
        assert RequestRecord.objects.filter(
            integration=client.integration, resource_id=response.doc["id"]
        ).exists()
        counts.append(queries)
    assert counts[0] == counts[1] <= MAX_CREATE_QUERIES


def test_deactivating_a_person_who_is_no_admin_asks_nothing_about_admins(scim):
    # The last-admin guard must cost nothing for everyone else (nearly every deactivation): a
    # scan for the organization's other admins made each PATCH active:false 2.5x slower.
    users = _people(scim, 10, prefix="plain-")
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    scim.get("/ServiceProviderConfig")
    scim.request("PATCH", f"/Users/{users[1].scim_id}", body)  # the connection's one-time probes
    with CaptureQueriesContext(connection) as captured:
        response = scim.request("PATCH", f"/Users/{users[0].scim_id}", body)
    assert response.status_code == 200 and response.doc["active"] is False
    sqls = [q["sql"] for q in captured.captured_queries]
    assert not any('FROM "organizations_membership"' in sql for sql in sqls), sqls  # no scan for admins
    # token, the integration held (its deletion waits), the user (with groups and whether they can
    # sign in, locked), its update, its membership's update, activity
    assert len([sql for sql in sqls if "SAVEPOINT" not in sql]) == 6
