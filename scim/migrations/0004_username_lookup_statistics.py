"""Statistics on LOWER(user_name), so PostgreSQL knows a userName lookup matches one row.

The case-insensitive userName index is partial (WHERE deleted_at IS NULL), and the planner does not
use a partial index's expression statistics to estimate a clause. Without these, it guesses that
`LOWER(user_name) = 'x'` matches 0.5% of the organization, and for ORDER BY id LIMIT n it may walk
the primary key and filter every row (a full scan per create at 1,000,000 users). PostgreSQL 14+.
"""

from django.db import migrations

STATISTICS = "scim_user_username_lower_stats"


def create_statistics(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} ON (LOWER(user_name::text)) FROM scim_scimuser"
        )
        schema_editor.execute("ANALYZE scim_scimuser")


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):
    dependencies = [
        ("scim", "0003_user_indexes_for_paging_and_restore"),
    ]

    operations = [migrations.RunPython(create_statistics, drop_statistics)]
