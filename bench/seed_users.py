"""Seed N users into the bench organization in minutes, not hours (1,000,000 in a few minutes).

Each user gets exactly the rows `scim.services.scim_user_create` writes for the body scim-load
sends: a login (User, unusable password), a Membership, a ScimUser with its attributes, and the
ScimUserValue row of its email. Rows are generated inside PostgreSQL (INSERT ... SELECT over
generate_series, chained with data-modifying CTEs), 50,000 users per statement, then the tables
are VACUUM ANALYZEd so the planner knows their size and index-only scans work.

Run through bench/seed (it sets the environment of bench/serve).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "massdriver_scim.settings.production")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from integrations.models import Integration  # noqa: E402

BATCH = 50_000

# One statement per batch: logins, then memberships, then SCIM users, then their email rows.
# Parameters carry casts: with server-side binding (settings: DB_PREPARED_STATEMENTS) a Python
# int arrives typed by its size, and generate_series(smallint, smallint) is ambiguous.
# Names follow scim-load's user_body(): "<prefix>-<7 digits>".
SEED_BATCH = """
WITH n AS (
    SELECT i, %(prefix)s::text || '-' || lpad(i::text, 7, '0') AS uname
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
), u AS (
    INSERT INTO organizations_user (password, last_login, is_superuser, email, full_name, is_active, is_staff, date_joined)
    SELECT '!seeded', NULL, false, n.uname || '@example.com', 'Given' || n.i || ' Family' || n.i, true, false, now()
    FROM n
    RETURNING id, email
), m AS (
    INSERT INTO organizations_membership (organization_id, user_id, role, is_active, deactivated_at, created_at)
    SELECT %(org)s::bigint, u.id, 'member', true, NULL, now() FROM u
    RETURNING id, user_id
), s AS (
    INSERT INTO scim_scimuser (scim_id, organization_id, integration_id, membership_id, user_name, external_id,
                               display_name, active, attributes, created, last_modified, version, deleted_at)
    SELECT gen_random_uuid()::text, %(org)s::bigint, %(integration)s::bigint, m.id, n.uname, 'ext-' || n.uname,
           'Given' || n.i || ' Family' || n.i, true,
           jsonb_build_object(
               'name', jsonb_build_object('givenName', 'Given' || n.i, 'familyName', 'Family' || n.i),
               'emails', jsonb_build_array(jsonb_build_object('type', 'work', 'value', u.email, 'primary', true))
           ),
           now(), now(), 1, NULL
    FROM m JOIN u ON u.id = m.user_id JOIN n ON n.uname || '@example.com' = u.email
    RETURNING id, user_name
)
INSERT INTO scim_scimuservalue (user_id, attribute, position, value, type, "primary", display, data)
SELECT s.id, 'emails', 0, s.user_name || '@example.com', 'work', true, NULL,
       jsonb_build_object('type', 'work', 'value', s.user_name || '@example.com', 'primary', true)
FROM s
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("users", type=int, help="how many users to add")
    parser.add_argument("prefix", nargs="?", default="seed", help="userName prefix (default: seed)")
    parser.add_argument("--org", default="bench", help="organization slug (default: bench)")
    args = parser.parse_args()

    integration = Integration.objects.filter(organization__slug=args.org).order_by("pk").first()
    if integration is None:
        print(
            f"bench/seed: no integration for organization {args.org!r}: run bench/serve start first",
            file=sys.stderr,
        )
        return 2
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(substring(user_name from '-([0-9]+)$')::int), 0) FROM scim_scimuser "
            "WHERE organization_id = %s AND user_name LIKE %s",
            [integration.organization_id, f"{args.prefix}-%"],
        )
        start = cursor.fetchone()[0] + 1
    started = time.monotonic()
    done = 0
    while done < args.users:
        first = start + done
        last = first + min(BATCH, args.users - done) - 1
        with connection.cursor() as cursor:
            # A bulk load, not a request: nothing to lose here if the machine dies midway.
            cursor.execute("SET synchronous_commit = off")
            cursor.execute(
                SEED_BATCH,
                {
                    "prefix": args.prefix,
                    "first": first,
                    "last": last,
                    "org": integration.organization_id,
                    "integration": integration.pk,
                },
            )
        done += last - first + 1
        rate = done / max(time.monotonic() - started, 1e-6)
        print(f"bench/seed: {done:,}/{args.users:,} users ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
        for table in (
            "organizations_user",
            "organizations_membership",
            "scim_scimuser",
            "scim_scimuservalue",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT count(*) FROM scim_scimuser WHERE organization_id = %s AND deleted_at IS NULL",
            [integration.organization_id],
        )
        total = cursor.fetchone()[0]
    print(
        f"bench/seed: added {done:,} users in {time.monotonic() - started:.0f}s; the organization has {total:,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
