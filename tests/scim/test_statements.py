"""`scim.statements` runs a queryset's SQL compiled once with new values. It must give exactly
what the ORM gives, and fall back to the ORM for any shape whose SQL depends on a value."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.lookups import equals_ignoring_case
from scim.models import RequestRecord, ScimUser
from scim.selectors import visible_users
from scim.statements import Insert, Statement, StatementCache, Update
from tests.factories import make_integration, make_scim_user

pytestmark = pytest.mark.django_db

AWKWARD_NAMES = ["ada@example.test", "50% off", "o'brien", 'say "hi"', "back\\slash", "ÅSA ÖST", "%s", "_"]


@pytest.fixture
def people():
    integration, _ = make_integration()
    users = [make_scim_user(integration, name) for name in AWKWARD_NAMES]
    return integration, users


def _by_user_name():
    return Statement(
        lambda organization_id, user_name: (
            visible_users(organization_id)
            .filter(equals_ignoring_case("user_name", user_name))
            .order_by("pk")[:1]
        ),
        organization_id=int,
        user_name=str,
    )


def test_a_case_insensitive_lookup_runs_from_compiled_sql_and_finds_what_the_orm_finds(people):
    integration, users = people
    statement = _by_user_name()
    assert statement.templated
    for user, name in zip(users, AWKWARD_NAMES, strict=True):
        for asked in (name, name.upper()):
            found = statement.first(organization_id=integration.organization_id, user_name=asked)
            orm = (
                visible_users(integration.organization_id)
                .filter(equals_ignoring_case("user_name", asked))
                .first()
            )
            assert found == orm == user
            # A whole model instance, as the ORM builds it, not a row.
            assert found.user_name == name and found.organization_id == integration.organization_id


def test_a_lookup_in_another_organization_finds_nothing(people):
    integration, _ = people
    other, _ = make_integration()
    assert _by_user_name().first(organization_id=other.organization_id, user_name="ada@example.test") is None


def test_a_shape_whose_sql_depends_on_the_value_runs_through_the_orm():
    # LIKE patterns are built from the value: the two compilations differ, so no SQL is kept.
    integration, _ = make_integration()
    ada = make_scim_user(integration, "ada@example.test")
    make_scim_user(integration, "grace@example.test")
    statement = Statement(
        lambda organization_id, part: (
            visible_users(organization_id).filter(user_name__contains=part).order_by("pk")
        ),
        organization_id=int,
        part=str,
    )
    assert not statement.templated
    assert statement(organization_id=integration.organization_id, part="ada") == [ada]
    assert statement(organization_id=integration.organization_id, part="%") == []


def test_a_value_of_another_type_than_declared_runs_through_the_orm(people):
    integration, users = people
    statement = _by_user_name()
    # None compiles to IS NULL in the ORM, which the kept SQL cannot express.
    assert statement(organization_id=integration.organization_id, user_name=None) == []
    assert (
        statement.first(organization_id=str(integration.organization_id), user_name="ada@example.test")
        == users[0]
    )


def test_values_list_rows_come_back_as_tuples_converted_like_the_orm(people):
    integration, users = people
    statement = Statement(
        lambda organization_id: (
            visible_users(organization_id).order_by("pk").values_list("scim_id", "created")
        ),
        organization_id=int,
    )
    assert statement.templated
    expected = list(
        visible_users(integration.organization_id).order_by("pk").values_list("scim_id", "created")
    )
    assert statement(organization_id=integration.organization_id) == expected
    assert all(created.tzinfo is not None for _, created in expected)


def test_a_compiled_statement_is_one_query():
    integration, _ = make_integration()
    make_scim_user(integration, "ada@example.test")
    statement = _by_user_name()
    statement.first(organization_id=integration.organization_id, user_name="x")  # compiles
    with CaptureQueriesContext(connection) as captured:
        statement.first(organization_id=integration.organization_id, user_name="ada@example.test")
    assert len(captured) == 1


def test_the_statement_cache_keeps_the_newest_shapes_only():
    cache = StatementCache(size=2)
    made = []

    def make(key):
        made.append(key)
        return Statement(
            lambda organization_id: ScimUser.objects.filter(organization_id=organization_id),
            organization_id=int,
        )

    first = cache.get("a", lambda: make("a"))
    assert cache.get("a", lambda: make("a")) is first
    cache.get("b", lambda: make("b"))
    cache.get("c", lambda: make("c"))  # evicts "a", the least recently used
    cache.get("a", lambda: make("a"))
    assert made == ["a", "b", "c", "a"]


def test_insert_writes_one_row_with_the_fields_defaults():
    integration, _ = make_integration()
    insert = Insert(RequestRecord)
    insert(
        organization_id=integration.organization_id,
        integration=integration,
        method="GET",
        path="/Users",
        status=200,
    )
    record = RequestRecord.objects.get()
    assert (record.integration, record.method, record.path, record.status) == (
        integration,
        "GET",
        "/Users",
        200,
    )
    assert record.latency_ms == 0 and record.outcome == "" and record.created_at is not None


def test_insert_refuses_a_field_the_model_lacks():
    with pytest.raises(TypeError, match="no fields"):
        Insert(RequestRecord)(organization_id=1, nonsense=1)


def test_insert_save_gives_a_new_instance_its_primary_key_as_save_would():
    from organizations.models import Membership, User

    integration, _ = make_integration()
    login = Insert(User).save(User.objects.build_user("Ada@Example.test", full_name="Ada"))
    assert login.pk is not None and not login._state.adding
    stored = User.objects.get(pk=login.pk)
    assert (stored.email, stored.full_name, stored.has_usable_password()) == (
        "Ada@example.test",
        "Ada",
        False,
    )
    membership = Insert(Membership).save(Membership(organization_id=integration.organization_id, user=login))
    assert Membership.objects.get(pk=membership.pk).user_id == login.pk


def test_update_writes_every_column_or_only_the_named_ones():
    from organizations.models import Membership

    integration, _ = make_integration()
    user = make_scim_user(integration, "ada@example.test")
    user.display_name, user.version = "Ada Lovelace", 7
    assert Update(ScimUser)(user)
    stored = ScimUser.objects.get(pk=user.pk)
    assert (stored.display_name, stored.version) == ("Ada Lovelace", 7)

    membership = Membership.objects.get(pk=user.membership_id)
    membership.is_active, membership.role = False, "admin"
    Update(Membership, "is_active")(membership)
    stored = Membership.objects.get(pk=membership.pk)
    assert stored.is_active is False and stored.role != "admin"  # only the named column was written


def test_update_of_a_row_that_is_gone_says_so():
    integration, _ = make_integration()
    user = make_scim_user(integration, "ada@example.test")
    assert Update(ScimUser, "display_name")(user)
    user.pk = 10**9
    assert not Update(ScimUser, "display_name")(user)


def test_insert_rows_writes_many_rows_in_batches_the_database_accepts():
    from scim.models import ScimUserValue

    integration, _ = make_integration()
    user = make_scim_user(integration, "ada@example.test")
    ScimUserValue.objects.filter(user=user).delete()
    rows = [
        ScimUserValue(user=user, attribute="emails", position=i, value=f"a{i}@example.test")
        for i in range(5000)
    ]
    Insert(ScimUserValue).rows(rows)
    Insert(ScimUserValue).rows([])
    stored = list(
        ScimUserValue.objects.filter(user=user).order_by("position").values_list("position", "value")
    )
    assert stored == [(i, f"a{i}@example.test") for i in range(5000)]


def test_a_value_consumed_while_compiling_keeps_its_shape_on_the_orm():
    # The comparison is decided in Python for each value: the same SQL (no parameter) for both
    # stand-ins, a different one for the real value.
    integration, _ = make_integration()
    ada = make_scim_user(integration, "ada@example.test")

    def build(organization_id, kind):
        return visible_users(organization_id).filter(pk__isnull=kind != "User")

    statement = Statement(build, organization_id=int, kind=str)
    assert not statement.templated
    assert statement(organization_id=integration.organization_id, kind="User") == [ada]
    assert statement(organization_id=integration.organization_id, kind="Group") == []
    none = Statement(lambda organization_id: visible_users(organization_id).none(), organization_id=int)
    assert not none.templated and none(organization_id=integration.organization_id) == []
