"""Every lookup an IdP makes is served by an index on PostgreSQL: the queries the SCIM code really
runs (captured from the requests) are EXPLAINed against a few thousand users after ANALYZE, and
the plan must name the intended index. A lookup that fell back to a sequential scan would make
each request slower as the organization grows (issue #7: flat from 1k to 1M users)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import Membership, Team, TeamMembership, User
from scim.models import ScimGroup, ScimUser, ScimUserValue

# Committed rows (not one test transaction), so that VACUUM can run: index-only scans, which the
# deep pages rely on, need the visibility map VACUUM writes, as after bench/seed in production.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

USERS = 3000
GROUPS = 30


@pytest.fixture
def big_org(scim, db):
    if connection.vendor != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL only (set DATABASE_URL=postgres://...)")
    integration = scim.integration
    organization = integration.organization
    logins = User.objects.bulk_create(User(email=f"plan{i}@example.test") for i in range(USERS))
    memberships = Membership.objects.bulk_create(
        Membership(organization=organization, user=u) for u in logins
    )
    users = ScimUser.objects.bulk_create(
        ScimUser(
            organization=organization,
            integration=integration,
            membership=m,
            user_name=f"Plan{i}@Example.test",
            external_id=f"ext-{i}",
            display_name=f"Person {i}",
            attributes={"emails": [{"value": f"plan{i}@example.test", "type": "work", "primary": True}]},
        )
        for i, m in enumerate(memberships)
    )
    ScimUserValue.objects.bulk_create(
        ScimUserValue(
            user=u,
            attribute="emails",
            value=f"plan{i}@example.test",
            type="work",
            primary=True,
            data=u.attributes["emails"][0],
        )
        for i, u in enumerate(users)
    )
    for g in range(GROUPS):
        team = Team.objects.create(organization=organization, name=f"team {g}")
        ScimGroup.objects.create(
            organization=organization, integration=integration, team=team, display_name=f"Team {g}"
        )
        TeamMembership.objects.bulk_create(
            TeamMembership(team=team, membership=m) for m in memberships[g::GROUPS]
        )
    with connection.cursor() as cursor:
        for model in (User, Membership, ScimUser, ScimUserValue, ScimGroup, Team, TeamMembership):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    scim.get("/ServiceProviderConfig")  # the once-a-minute "IdP reached us" write, out of the way
    return users


def _plans(scim, method: str, path: str, body=None, *, seqscan: bool = True) -> list[tuple[str, str]]:
    """(SQL, plan) of every SELECT the request ran. `seqscan=False` asks whether an index *can*
    serve the query, for tables that are small here (30 groups: a sequential scan is the right
    plan for them)."""
    with CaptureQueriesContext(connection) as captured:
        response = scim.request(method, path, body)
    assert response.status_code < 300, response.content
    plans = []
    with connection.cursor() as cursor:
        cursor.execute(f"SET enable_seqscan = {'on' if seqscan else 'off'}")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + sql)
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
        cursor.execute("RESET enable_seqscan")
    return plans


def _uses(plans, table: str, *indexes: str) -> None:
    """Some plan of a query on `table` uses one of `indexes`."""
    touching = [(sql, plan) for sql, plan in plans if f'"{table}"' in sql]
    assert touching, f"no query touched {table}"
    for _sql, plan in touching:
        if any(index in plan for index in indexes):
            return
    index = " or ".join(indexes)
    raise AssertionError(f"no plan uses {index}:\n" + "\n\n".join(plan for _sql, plan in touching))


def test_username_lookup_is_case_insensitive_and_indexed(scim, big_org):
    plans = _plans(scim, "GET", '/Users?filter=userName eq "plan1234@example.TEST"')
    _uses(plans, "scim_scimuser", "scim_user_username_ci_unique")


def test_external_id_lookup_is_indexed(scim, big_org):
    _uses(
        _plans(scim, "GET", '/Users?filter=externalId eq "ext-1234"'),
        "scim_scimuser",
        "scim_user_external_id",
    )


def test_email_lookup_is_indexed(scim, big_org):
    plans = _plans(scim, "GET", '/Users?filter=emails.value eq "PLAN1234@example.test"')
    _uses(plans, "scim_scimuservalue", "scim_user_value_lookup")


def test_group_display_name_lookup_is_indexed(scim, big_org):
    _uses(
        _plans(scim, "GET", '/Groups?filter=displayName eq "team 7"', seqscan=False),
        "scim_scimgroup",
        "scim_group_display_name_ci_unique",
    )


def test_a_users_groups_are_found_through_the_membership_index(scim, big_org):
    plans = _plans(scim, "GET", f"/Users/{big_org[42].scim_id}")
    _uses(plans, "organizations_teammembership", "team_membership_by_member")


def test_a_groups_members_are_found_through_the_team_index(scim, big_org):
    group = ScimGroup.objects.get(display_name="Team 3")
    plans = _plans(scim, "GET", f"/Groups/{group.scim_id}", seqscan=False)
    # (team, membership) or Django's index of the team foreign key: both start with the team.
    _uses(
        plans,
        "organizations_teammembership",
        "team_membership_unique",
        "organizations_teammembership_team_id",
    )


def test_a_create_checks_the_username_and_the_login_email_through_indexes(scim, big_org):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Fresh@Example.test",
        "emails": [{"value": "fresh@example.test", "primary": True}],
    }
    plans = _plans(scim, "POST", "/Users", body)
    _uses(plans, "scim_scimuser", "scim_user_username_ci_unique")
    _uses(plans, "scim_scimuser", "scim_user_deleted_username")  # an IdP re-creating a deleted person
    _uses(plans, "organizations_user", "user_email_ci_unique")


def test_a_deep_page_and_its_total_scan_only_the_visible_users_index(scim, big_org):
    plans = _plans(scim, "GET", f"/Users?startIndex={USERS - 150}&count=100")
    _uses(plans, "scim_scimuser", "scim_user_visible_order")
    counts = [plan for sql, plan in plans if "COUNT(" in sql.upper()]
    assert counts and "Index Only Scan using scim_user_visible_order" in counts[0], counts
