"""Reads of SCIM resources. Every query starts from the integration's organization, and a page
of any size costs a fixed number of queries.

The shapes IdPs send all the time (a lookup by userName or externalId, a resource by id, the
groups of one user) run from SQL compiled once (`scim.statements`); every other read is the same
queryset through the ORM."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import (
    Aggregate,
    BooleanField,
    ExpressionWrapper,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import JSONArray

from integrations.models import Integration
from organizations.lookups import equals_ignoring_case
from organizations.models import TeamMembership

from .models import ScimGroup, ScimUser
from .protocol.errors import bad_request, not_found
from .protocol.filters import Filter, parameterize, shape_key, with_values
from .protocol.pagination import Page, decode_cursor, encode_cursor
from .statements import Statement, StatementCache


def visible_users(organization_id: int) -> QuerySet[ScimUser]:
    """The organization's SCIM users that SCIM can see (deleted ones are hidden, inactive ones
    are not: IdPs look deactivated people up to reactivate them)."""
    return ScimUser.objects.filter(organization_id=organization_id, deleted_at__isnull=True)


class JSONArrayAgg(Aggregate):
    """The aggregated values as one JSON array: JSON_GROUP_ARRAY on SQLite, JSONB_AGG on
    PostgreSQL (jsonb, which Django's JSONField decodes; psycopg would hand `json` over already
    decoded)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def _group_refs() -> Subquery:
    """The user's groups as a JSON array of [id, displayName], computed inside the query that
    reads the user: reading one user is one round trip, not two."""
    refs = (
        TeamMembership.objects.filter(membership_id=OuterRef("membership_id"), team__scim_group__isnull=False)
        .values("membership_id")
        .annotate(refs=JSONArrayAgg(JSONArray("team__scim_group__scim_id", "team__scim_group__display_name")))
        .values("refs")
    )
    return Subquery(refs, output_field=JSONField())


def with_groups(users: QuerySet[ScimUser]) -> QuerySet[ScimUser]:
    """Each user with its groups (`group_refs`, read by `groups_by_user`)."""
    return users.annotate(group_refs=_group_refs())


def users_with_groups(organization_id: int) -> QuerySet[ScimUser]:
    return with_groups(visible_users(organization_id))


def users_with_groups_and_sign_in(organization_id: int) -> QuerySet[ScimUser]:
    """`users_with_groups`, each also saying whether the person can sign in here
    (`can_sign_in`): what a change needs to know before it ends someone's access, as only such
    people can be the admin who keeps the organization manageable."""
    return users_with_groups(organization_id).annotate(
        can_sign_in=ExpressionWrapper(
            Q(membership__user__is_active=True)
            & ~Q(membership__user__password__startswith=UNUSABLE_PASSWORD_PREFIX),
            output_field=BooleanField(),
        )
    )


def organization_groups(organization_id: int) -> QuerySet[ScimGroup]:
    return ScimGroup.objects.filter(organization_id=organization_id)


def users_of(integration: Integration) -> QuerySet[ScimUser]:
    return visible_users(integration.organization_id)


def groups_of(integration: Integration) -> QuerySet[ScimGroup]:
    return organization_groups(integration.organization_id)


def _by_id(base: Callable[[int], QuerySet], *, lock: bool, related: tuple[str, ...] = ()) -> Statement:
    def build(organization_id: int, scim_id: str) -> QuerySet:
        queryset = base(organization_id).select_related(*related).filter(scim_id=scim_id).order_by("pk")
        # Only the resource's own row is locked: its related rows are written later with weaker
        # locks, so a concurrent group change that references them (a foreign-key check) does
        # not deadlock against this one.
        return (queryset.select_for_update(of=("self",)) if lock else queryset)[:1]

    return Statement(build, organization_id=int, scim_id=str)


_USER_BY_ID = {
    lock: _by_id(users_with_groups_and_sign_in, lock=lock, related=("membership",)) for lock in (False, True)
}
_GROUP_BY_ID = {lock: _by_id(organization_groups, lock=lock) for lock in (False, True)}


def scim_user_get(*, integration: Integration, scim_id: str, for_update: bool = False) -> ScimUser:
    user = _USER_BY_ID[for_update].first(organization_id=integration.organization_id, scim_id=scim_id)
    if user is None:
        raise not_found(f"User {scim_id} not found.")
    return user


# Deleted identities of one userName considered when an IdP re-creates it.
MAX_USER_NAME_HOLDERS = 50

_USER_NAME_HOLDERS = Statement(
    lambda organization_id, user_name: (
        ScimUser.objects.filter(
            # One arm per partial index: the visible users' unique index and the deleted users' one.
            Q(equals_ignoring_case("user_name", user_name), deleted_at__isnull=True)
            | Q(equals_ignoring_case("user_name", user_name), deleted_at__isnull=False),
            organization_id=organization_id,
        )
        .select_related("membership")
        .order_by(F("deleted_at").desc(nulls_first=True), "-pk")
        .select_for_update(of=("self",))[:MAX_USER_NAME_HOLDERS]
    ),
    organization_id=int,
    user_name=str,
)


def user_name_holders(*, integration: Integration, user_name: str) -> list[ScimUser]:
    """Who has held `user_name` in the organization, locked: the visible user holding it first
    (if any), then the users deleted while holding it, most recent first."""
    return _USER_NAME_HOLDERS(organization_id=integration.organization_id, user_name=user_name)


def scim_group_get(*, integration: Integration, scim_id: str, for_update: bool = False) -> ScimGroup:
    group = _GROUP_BY_ID[for_update].first(organization_id=integration.organization_id, scim_id=scim_id)
    if group is None:
        raise not_found(f"Group {scim_id} not found.")
    return group


# From this offset on, index paging skips rows with a narrow index-only subquery (see paginate).
DEFERRED_JOIN_OFFSET = 1000


@dataclass(frozen=True)
class ResultPage:
    total: int
    items: list
    start_index: int
    next_cursor: str | None = None


# Fetches the rows of a first page or a cursor page: (how many, after which pk or None) → rows.
Fetch = Callable[[int, int | None], list]


def paginate(
    filtered: Callable[[], QuerySet],
    *,
    page: Page,
    order_by: list | None,
    fetch: Fetch | None = None,
    with_related: Callable[[QuerySet], QuerySet] = lambda queryset: queryset,
) -> ResultPage:
    """Index paging (OFFSET) or cursor paging (keyset on the primary key: stable under concurrent
    inserts and deletes, and as cheap on the last page as on the first).

    totalResults costs a COUNT only when the page itself does not tell it: a filter lookup
    (`userName eq "x"`, what IdPs send before every create) answers from its one row. `fetch`,
    when given, runs the rows query of a first page or a cursor page from compiled SQL.
    `filtered` builds the filtered queryset, only when it is needed (building one costs more
    than running a compiled lookup). `with_related` adds what the page's rows carry (a user's
    groups) to the queries that fetch rows, not to those that count or skip."""
    filtered = functools.cache(filtered)  # built once, whether for rows, a window or a COUNT
    if page.count == 0:
        return ResultPage(total=filtered().count(), items=[], start_index=page.start_index)
    if page.uses_cursor:
        if order_by:
            raise bad_request("Cursor pagination follows the default order; drop sortBy to use a cursor.")
        after = decode_cursor(page.cursor)
        if fetch is not None:
            rows = fetch(page.count + 1, after)
        else:
            keyset = filtered() if after is None else filtered().filter(pk__gt=after)
            rows = list(with_related(keyset.order_by("pk"))[: page.count + 1])
        more = len(rows) > page.count
        rows = rows[: page.count]
        total = len(rows) if after is None and not more else filtered().count()
        return ResultPage(
            total=total, items=rows, start_index=1, next_cursor=encode_cursor(rows[-1].pk) if more else None
        )
    ordered = (
        filtered().order_by(*(order_by or []), "pk") if fetch is None or page.offset or order_by else None
    )
    if page.offset >= DEFERRED_JOIN_OFFSET:
        # Deep OFFSET: skip rows in the (organization, id) index alone (an index-only scan), then
        # fetch just the page's rows, instead of reading every skipped row from the table.
        window = ordered.values("pk")[page.offset : page.offset + page.count]
        rows = list(with_related(ordered.filter(pk__in=window)))
    elif ordered is None:
        rows = fetch(page.count, None)
    else:
        rows = list(with_related(ordered)[page.offset : page.offset + page.count])
    if (rows and len(rows) < page.count) or (not rows and page.offset == 0):
        total = page.offset + len(rows)  # the last page: everything before it was full
    else:
        total = filtered().count()
    return ResultPage(total=total, items=rows, start_index=page.start_index)


class _Lister:
    """Lists one resource type: the filtered queryset (built lazily: only a COUNT or an unusual
    page needs it), and compiled statements for first and cursor pages of each filter shape."""

    def __init__(
        self,
        base: Callable[[int], QuerySet],
        compile_filter: Callable[[], Callable],
        with_related: Callable[[QuerySet], QuerySet] = lambda queryset: queryset,
    ):
        self.base = base
        self.compile_filter = compile_filter  # imported late: scim.filtering imports the models
        self.with_related = with_related
        self.statements = StatementCache()

    def queryset(self, organization_id: int, filter_ast: Filter | None) -> QuerySet:
        queryset = self.base(organization_id)
        return queryset if filter_ast is None else queryset.filter(self.compile_filter()(filter_ast))

    def fetcher(self, organization_id: int, filter_ast: Filter | None) -> Fetch | None:
        shaped = (None, ()) if filter_ast is None else parameterize(filter_ast)
        if shaped is None:
            return None
        shape, strings = shaped
        values = {f"v{index}": value for index, value in enumerate(strings)}

        def fetch(limit: int, after: int | None) -> list:
            keyset = after is not None
            key = (None if shape is None else shape_key(shape), limit, keyset)
            statement = self.statements.get(
                key, lambda: self._page_statement(shape, limit, keyset, len(strings))
            )
            return statement(
                organization_id=organization_id, **({"after": after} if keyset else {}), **values
            )

        return fetch

    def _page_statement(self, shape: Filter | None, limit: int, keyset: bool, slots: int) -> Statement:
        def build(organization_id: int, after: int = 0, **strings: str) -> QuerySet:
            ast = (
                None
                if shape is None
                else with_values(shape, [strings[f"v{index}"] for index in range(slots)])
            )
            queryset = self.queryset(organization_id, ast)
            if keyset:
                queryset = queryset.filter(pk__gt=after)
            return self.with_related(queryset.order_by("pk"))[:limit]

        params = {"organization_id": int, **({"after": int} if keyset else {})}
        return Statement(build, **params, **{f"v{index}": str for index in range(slots)})

    def __call__(
        self, *, integration: Integration, filter_ast: Filter | None, page: Page, order_by=None
    ) -> ResultPage:
        organization_id = integration.organization_id
        return paginate(
            lambda: self.queryset(organization_id, filter_ast),
            page=page,
            order_by=order_by,
            fetch=self.fetcher(organization_id, filter_ast),
            with_related=self.with_related,
        )


def _user_filter():
    from .filtering import user_filter_q

    return user_filter_q


def _group_filter():
    from .filtering import group_filter_q

    return group_filter_q


scim_user_list = _Lister(visible_users, _user_filter, with_groups)
scim_group_list = _Lister(organization_groups, _group_filter)


def _related(rows: Callable[[], QuerySet], key: str, ids) -> list[tuple]:
    """`rows()` restricted to `key` in `ids`: from compiled SQL for the one resource a read or a
    change renders, through the ORM (IN) for a page."""
    if len(ids) == 1:
        statement = _RELATED.get(
            (rows, key), lambda: Statement(lambda id: rows().filter(**{key: id}), id=int)
        )
        return statement(id=next(iter(ids)))
    return list(rows().filter(**{f"{key}__in": ids}))


_RELATED = StatementCache()


def _groups_of_memberships() -> QuerySet:
    return (
        TeamMembership.objects.filter(team__scim_group__isnull=False)
        .order_by("team__scim_group__display_name")
        .values_list("membership_id", "team__scim_group__scim_id", "team__scim_group__display_name")
    )


def _members_of_teams() -> QuerySet:
    return (
        TeamMembership.objects.filter(membership__scim_user__deleted_at__isnull=True)
        .order_by("pk")
        .values_list("team_id", "membership__scim_user__scim_id", "display")
    )


def groups_by_user(users: list[ScimUser]) -> dict[int, list[tuple[str, str]]]:
    """The groups each user is in, for the read-only `groups` attribute. One query for a page."""
    if all(hasattr(user, "group_refs") for user in users):
        # Read with the users (`users_with_groups`): no query of its own.
        return {
            user.pk: sorted(map(tuple, user.group_refs or []), key=lambda ref: (ref[1], ref[0]))
            for user in users
        }
    membership_ids = {user.membership_id: user.pk for user in users}
    result: dict[int, list[tuple[str, str]]] = {user.pk: [] for user in users}
    if not membership_ids:
        return result
    for membership_id, gid, name in _related(_groups_of_memberships, "membership_id", membership_ids):
        result[membership_ids[membership_id]].append((gid, name))
    return result


def members_by_group(groups: list[ScimGroup]) -> dict[int, list[tuple[str, str]]]:
    """Each group's members as (SCIM id, display as the IdP sent it, or ""). One query for any
    number of groups and members."""
    team_ids = {group.team_id: group.pk for group in groups}
    result: dict[int, list[tuple[str, str]]] = {group.pk: [] for group in groups}
    if not team_ids:
        return result
    for team_id, uid, display in _related(_members_of_teams, "team_id", team_ids):
        if uid is not None:
            result[team_ids[team_id]].append((uid, display))
    return result
