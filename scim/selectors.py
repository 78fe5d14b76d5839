"""Reads of SCIM resources. Every query starts from the integration's organization, and a page
of any size costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from integrations.models import Integration
from organizations.models import TeamMembership

from .models import ScimGroup, ScimUser
from .protocol.errors import bad_request, not_found
from .protocol.filters import Filter
from .protocol.pagination import Page, decode_cursor, encode_cursor


def equals_ignoring_case(field: str, value: str) -> Q:
    """`field` equals `value` ignoring case, as LOWER(field) = LOWER(value): the form that the
    (organization, LOWER(...)) indexes serve. Django's `__iexact` compiles to UPPER(...) on
    PostgreSQL, which no index serves: a sequential scan of every user on each create."""
    return Q(Exact(Lower(field), Lower(Value(value, output_field=CharField()))))


def users_of(integration: Integration) -> QuerySet[ScimUser]:
    """The organization's SCIM users that SCIM can see (deleted ones are hidden, inactive ones
    are not: IdPs look deactivated people up to reactivate them)."""
    return ScimUser.objects.filter(organization_id=integration.organization_id, deleted_at__isnull=True)


def groups_of(integration: Integration) -> QuerySet[ScimGroup]:
    return ScimGroup.objects.filter(organization_id=integration.organization_id)


def scim_user_get(*, integration: Integration, scim_id: str, for_update: bool = False) -> ScimUser:
    queryset = users_of(integration).select_related("membership")
    if for_update:
        queryset = queryset.select_for_update()
    user = queryset.filter(scim_id=scim_id).first()
    if user is None:
        raise not_found(f"User {scim_id} not found.")
    return user


def scim_group_get(*, integration: Integration, scim_id: str, for_update: bool = False) -> ScimGroup:
    queryset = groups_of(integration)
    if for_update:
        queryset = queryset.select_for_update()
    group = queryset.filter(scim_id=scim_id).first()
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


def _filtered(queryset: QuerySet, filter_ast: Filter | None, compile_filter) -> QuerySet:
    return queryset if filter_ast is None else queryset.filter(compile_filter(filter_ast))


def paginate(queryset: QuerySet, *, page: Page, order_by: list | None) -> ResultPage:
    """Index paging (OFFSET) or cursor paging (keyset on the primary key: stable under concurrent
    inserts and deletes, and as cheap on the last page as on the first).

    totalResults costs a COUNT only when the page itself does not tell it: a filter lookup
    (`userName eq "x"`, what IdPs send before every create) answers from its one row."""
    if page.count == 0:
        return ResultPage(total=queryset.count(), items=[], start_index=page.start_index)
    if page.uses_cursor:
        if order_by:
            raise bad_request("Cursor pagination follows the default order; drop sortBy to use a cursor.")
        after = decode_cursor(page.cursor)
        keyset = queryset if after is None else queryset.filter(pk__gt=after)
        rows = list(keyset.order_by("pk")[: page.count + 1])
        more = len(rows) > page.count
        rows = rows[: page.count]
        total = len(rows) if after is None and not more else queryset.count()
        return ResultPage(
            total=total, items=rows, start_index=1, next_cursor=encode_cursor(rows[-1].pk) if more else None
        )
    ordered = queryset.order_by(*(order_by or []), "pk")
    if page.offset >= DEFERRED_JOIN_OFFSET:
        # Deep OFFSET: skip rows in the (organization, id) index alone (an index-only scan), then
        # fetch just the page's rows, instead of reading every skipped row from the table.
        window = ordered.values("pk")[page.offset : page.offset + page.count]
        rows = list(ordered.filter(pk__in=window))
    else:
        rows = list(ordered[page.offset : page.offset + page.count])
    if (rows and len(rows) < page.count) or (not rows and page.offset == 0):
        total = page.offset + len(rows)  # the last page: everything before it was full
    else:
        total = queryset.count()
    return ResultPage(total=total, items=rows, start_index=page.start_index)


def scim_user_list(*, integration: Integration, filter_ast: Filter | None, page: Page, order_by=None) -> ResultPage:
    from .filtering import user_filter_q

    return paginate(_filtered(users_of(integration), filter_ast, user_filter_q), page=page, order_by=order_by)


def scim_group_list(*, integration: Integration, filter_ast: Filter | None, page: Page, order_by=None) -> ResultPage:
    from .filtering import group_filter_q

    return paginate(_filtered(groups_of(integration), filter_ast, group_filter_q), page=page, order_by=order_by)


def groups_by_user(users: list[ScimUser]) -> dict[int, list[tuple[str, str]]]:
    """The groups each user is in, for the read-only `groups` attribute. One query for a page."""
    membership_ids = {user.membership_id: user.pk for user in users}
    result: dict[int, list[tuple[str, str]]] = {user.pk: [] for user in users}
    if not membership_ids:
        return result
    rows = (
        TeamMembership.objects.filter(membership_id__in=membership_ids, team__scim_group__isnull=False)
        .order_by("team__scim_group__display_name")
        .values_list("membership_id", "team__scim_group__scim_id", "team__scim_group__display_name")
    )
    for membership_id, gid, name in rows:
        result[membership_ids[membership_id]].append((gid, name))
    return result


def members_by_group(groups: list[ScimGroup]) -> dict[int, list[tuple[str, str]]]:
    """Each group's members as (SCIM id, display as the IdP sent it, or ""). One query for any
    number of groups and members."""
    team_ids = {group.team_id: group.pk for group in groups}
    result: dict[int, list[tuple[str, str]]] = {group.pk: [] for group in groups}
    if not team_ids:
        return result
    rows = (
        TeamMembership.objects.filter(team_id__in=team_ids, membership__scim_user__deleted_at__isnull=True)
        .order_by("pk")
        .values_list("team_id", "membership__scim_user__scim_id", "display")
    )
    for team_id, uid, display in rows:
        if uid is not None:
            result[team_ids[team_id]].append((uid, display))
    return result
