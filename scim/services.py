"""Every change an IdP makes goes through these functions. Each runs inside the request's
transaction (the view opens it), so a change and its activity record commit together."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import Integration
from organizations.lookups import equals_ignoring_case
from organizations.models import Membership, Team, TeamMembership, User
from organizations.selectors import is_sole_managing_admin
from organizations.services import RoleRefused, keeping_an_admin, organization_lock
from organizations.text import has_invisible_formatting, isolated

from .exceptions import is_transaction_conflict
from .models import ScimGroup, ScimUser, ScimUserValue
from .protocol import patch as patch_protocol
from .protocol import resources
from .protocol.errors import ScimError, bad_request, conflict
from .representation import etag, group_document, user_document, user_version
from .selectors import scim_group_get, scim_user_get, user_name_holders, users_of
from .statements import Insert, Statement, Update
from .storage import JSON_ONLY_VALUES, MULTI_VALUED_USER_ATTRIBUTES, changed_multi_valued, write_user_values

COLUMN_ATTRIBUTES = ("userName", "externalId", "displayName", "active")
LOGIN_EMAIL_LENGTH = User._meta.get_field("email").max_length
EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class UserChange:
    user: ScimUser
    created: bool = False  # a new resource (201)
    restored: bool = False  # a deactivated or deleted person brought back (B25)
    changed: bool = True
    summary: str = ""


# ---------------------------------------------------------------------------------- users


def _split(document: dict) -> tuple[dict, dict]:
    columns = {name: document.get(name) for name in COLUMN_ATTRIBUTES if name in document}
    attributes = {key: value for key, value in document.items() if key not in COLUMN_ATTRIBUTES}
    return columns, attributes


def _login_email(document: dict) -> str | None:
    """The address a person logs in with: the primary email, else the first, else a userName
    that is an address."""
    emails = [
        e for e in document.get("emails") or [] if isinstance(e, dict) and isinstance(e.get("value"), str)
    ]
    chosen = next((e["value"] for e in emails if e.get("primary") is True), None)
    if chosen is None and emails:
        chosen = emails[0]["value"]
    if chosen is None and EMAIL_LIKE.match(document.get("userName") or ""):
        chosen = document["userName"]
    chosen = chosen.strip() if chosen else None
    # A login's email column holds 254 characters (RFC 5321's limit): a longer one is no login,
    # nor is one with invisible formatting characters (U+202E would show "evil‮gnp.exe@x.test"
    # as another address on every page that names the person).
    if not chosen or len(chosen) > LOGIN_EMAIL_LENGTH or has_invisible_formatting(chosen):
        return None
    return chosen if EMAIL_LIKE.match(chosen) else None


def _full_name(document: dict) -> str:
    name = document.get("name") or {}
    formatted = name.get("formatted") if isinstance(name, dict) else None
    parts = (
        " ".join(p for p in (name.get("givenName"), name.get("familyName")) if isinstance(p, str) and p)
        if isinstance(name, dict)
        else ""
    )
    return (document.get("displayName") or formatted or parts or "")[:255]


def _membership_for(*, integration: Integration, document: dict, active: bool) -> Membership:
    """Link the provisioned person to a login and a membership of the organization.

    An existing login with the same email is reused (the same person in several organizations);
    if that person already has a visible SCIM identity here, the new one gets a login of its own
    without an email, so two SCIM users never share one membership."""
    organization_id = integration.organization_id
    email = _login_email(document)
    user = _LOGIN_BY_EMAIL.first(email=email) if email else None
    if user is not None:
        membership = Membership.objects.filter(organization_id=organization_id, user=user).first()
        if membership is None:
            return _new_membership(organization_id, user, active)
        previous = ScimUser.objects.filter(membership=membership).first()
        if previous is None or previous.deleted_at is not None:
            if previous is not None:
                # The IdP deleted this person's earlier identity and now creates a new one (a
                # rehire, a new IdP account): the person's login and access go to the new
                # identity; the deleted one stays as history without them.
                ScimUser.objects.filter(pk=previous.pk).update(membership=None)
            _set_membership_active(membership, active)
            membership.linked_email = user.email  # an existing member: the activity says so
            return membership
        user = None
        email = None
    # A person new to the platform, the common case of a sync: inserted with SQL written once.
    user = _insert_login.save(User.objects.build_user(email, full_name=_full_name(document)))
    return _new_membership(organization_id, user, active)


_LOGIN_BY_EMAIL = Statement(
    lambda email: User.objects.filter(equals_ignoring_case("email", email)).order_by("pk")[:1], email=str
)
_insert_login = Insert(User)
_insert_membership = Insert(Membership)
_insert_scim_user = Insert(ScimUser)
_update_scim_user = Update(ScimUser)
_update_membership_access = Update(Membership, "is_active", "deactivated_at")


def _new_membership(organization_id: int, user: User, active: bool) -> Membership:
    membership = Membership(
        organization_id=organization_id,
        user=user,
        is_active=active,
        deactivated_at=None if active else timezone.now(),
    )
    return _insert_membership.save(membership)


# ---------------------------------------------------------------------- the last admin

# An organization always keeps someone able to manage it: the IdP cannot take away the last
# active admin who can sign in, by deactivating or deleting them, or by removing them from (or
# deleting) a group mapped to Admin. An admin testing the IdP with their own account locked
# their organization out this way. People an IdP created have no password and cannot sign in,
# so they don't count.


LAST_ADMIN = (
    "This person is the organization's last active administrator; ending their access would leave "
    "nobody able to manage the organization. Make someone else an admin first, then retry."
)
NO_ADMIN_LEFT = (
    "This change would leave the organization without an active administrator: it removes the "
    "last one from a group mapped to Admin. Make someone else an admin first, then retry."
)


def _is_last_active_admin(membership: Membership, can_sign_in: bool | None = None) -> bool:
    """Whether ending `membership`'s access would leave its organization without an active
    admin. Only people who can sign in count, so for the people an IdP created (nearly everyone)
    `can_sign_in`, read with the user (`selectors.users_with_groups_and_sign_in`), answers with
    no query. For the others the question is asked afresh under the organization's lock: their
    role and teams as read with the row can be stale by the time its lock is granted (a group
    change making them the admin in another's place commits while this request waits)."""
    if can_sign_in is None:
        can_sign_in = (
            User.objects.filter(pk=membership.user_id, is_active=True)
            .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .exists()
        )
    if not can_sign_in:
        return False
    organization_lock(membership.organization_id)
    return is_sole_managing_admin(organization_id=membership.organization_id, membership_id=membership.pk)


@contextmanager
def _keeping_an_admin(team_id: int, organization_id: int):
    """Around a change to the members of team `team_id` (or its deletion): a 409 when it would
    take away the organization's last admin."""
    try:
        with keeping_an_admin(organization_id=organization_id, team_id=team_id, refusal=NO_ADMIN_LEFT):
            yield
    except RoleRefused as refused:
        raise ScimError(409, str(refused)) from None


def _set_membership_active(membership: Membership, active: bool, *, can_sign_in: bool | None = None) -> None:
    """Access to the organization follows the SCIM user's state, at once, except for the last
    admin (see above)."""
    if membership.is_active == active:
        return
    if not active and _is_last_active_admin(membership, can_sign_in):
        raise ScimError(409, LAST_ADMIN)
    membership.is_active = active
    membership.deactivated_at = None if active else timezone.now()
    _update_membership_access(membership)


def _same_person(existing: ScimUser, external_id: str | None) -> bool:
    # Okta/Entra re-create a person they had deactivated with the same externalId; a POST with
    # no externalId (or a stored user without one) is taken as the same person too.
    return external_id is None or existing.external_id is None or existing.external_id == external_id


def _taken(integration: Integration, user_name: str, *, exclude_pk: int | None = None) -> ScimUser | None:
    queryset = users_of(integration).filter(equals_ignoring_case("user_name", user_name))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.first()


def _field_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# What the columns hold: a longer value is refused by name, not cut (or failed by the database).
USER_LENGTHS = {
    "userName": _field_length(ScimUser, "user_name"),
    "externalId": _field_length(ScimUser, "external_id"),
    "displayName": _field_length(ScimUser, "display_name"),
}
GROUP_LENGTHS = {
    "displayName": _field_length(ScimGroup, "display_name"),
    "externalId": _field_length(ScimGroup, "external_id"),
}
VALUE_TYPE_LENGTH = _field_length(ScimUserValue, "type")
# A multi-valued attribute's value is indexed (emails are looked up): as long as the other
# identifiers, and far inside what one index entry holds even in 4-byte characters.
VALUE_LENGTH = USER_LENGTHS["userName"]
MEMBER_DISPLAY_LENGTH = _field_length(TeamMembership, "display")


def _check_length(value, limit: int, where: str) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise bad_request(f"{where} is {len(value)} characters long; this service stores at most {limit}.")


def _check_user_lengths(document: dict) -> None:
    for name, limit in USER_LENGTHS.items():
        _check_length(document.get(name), limit, name)
    for name in MULTI_VALUED_USER_ATTRIBUTES:
        for index, element in enumerate(document.get(name) or ()):
            if isinstance(element, dict):
                _check_length(element.get("type"), VALUE_TYPE_LENGTH, f"{name}[{index}].type")
                if name not in JSON_ONLY_VALUES:
                    _check_length(element.get("value"), VALUE_LENGTH, f"{name}[{index}].value")


def _check_group_lengths(document: dict, members: list[dict] | None = None) -> None:
    for name, limit in GROUP_LENGTHS.items():
        _check_length(document.get(name), limit, name)
    for index, member in enumerate(members or ()):
        _check_length(member.get("display"), MEMBER_DISPLAY_LENGTH, f"members[{index}].display")


def _uniqueness_error(user_name: str) -> ScimError:
    # Error details quote the IdP's value as it sent it; the activity spells out any invisible
    # characters in them (activity.record).
    return conflict(f"userName '{user_name}' is already taken by another user in this organization.")


def scim_user_create(*, integration: Integration, data) -> UserChange:
    document = resources.parse_user(data)
    _check_user_lengths(document)
    document.setdefault("active", True)
    user_name = document["userName"]
    external_id = document.get("externalId")
    holders = user_name_holders(integration=integration, user_name=user_name)
    if holders and holders[0].deleted_at is None:
        holder = holders[0]
        if holder.active is not False or not _same_person(holder, external_id):
            raise _uniqueness_error(user_name)
        return _restore(integration=integration, user=holder, document=document)
    # The deleted identity this POST re-creates: the latest one of the same person (B25), not
    # merely the latest one.
    deleted = next((holder for holder in holders if _same_person(holder, external_id)), None)
    if deleted is not None:
        return _restore(integration=integration, user=deleted, document=document)
    try:
        return _create(integration=integration, document=document)
    except IntegrityError as error:
        if is_transaction_conflict(error):
            # A concurrent create inserted this person's new login or membership here, or took
            # the person over, first: the request runs again (scim.views) and finds that as a
            # sequential one would.
            raise
        # A concurrent request created the same userName between our check and our insert. The
        # transaction is aborted and rolls back with this error (Bulk: to its operation's
        # savepoint).
        raise _uniqueness_error(user_name) from None


def _create(*, integration: Integration, document: dict) -> UserChange:
    columns, attributes = _split(document)
    membership = _membership_for(
        integration=integration, document=document, active=columns["active"] is not False
    )
    user = ScimUser(
        organization_id=integration.organization_id,
        integration=integration,
        membership=membership,
        user_name=columns["userName"],
        external_id=columns.get("externalId"),
        display_name=columns.get("displayName") or "",
        active=columns["active"],
        attributes=attributes,
    )
    _insert_scim_user.save(user)
    user.group_refs = []  # a new person is in no group yet
    write_user_values(user, attributes, fresh=True)
    linked = getattr(membership, "linked_email", None)
    summary = f"Created user {isolated(user.user_name)}" + (
        f", linked to the existing member {isolated(linked)}" if linked else ""
    )
    return UserChange(user=user, created=True, summary=summary)


def _restore(*, integration: Integration, user: ScimUser, document: dict) -> UserChange:
    was_deleted = user.deleted_at is not None
    if "externalId" not in document and user.external_id is not None:
        document["externalId"] = user.external_id  # a re-create without it keeps the IdP's link
    if was_deleted and _taken(integration, document["userName"]):
        raise _uniqueness_error(document["userName"])
    user.deleted_at = None
    if user.membership is None:
        # Its login went to a later identity of the same person; find it the way a create does.
        user.membership = _membership_for(integration=integration, document=document, active=True)
    _apply_document(user, document, integration=integration, force=True)
    verb = "Restored deleted" if was_deleted else "Reactivated"
    return UserChange(
        user=user, restored=True, summary=f"{verb} user {isolated(user.user_name)} (re-created by the IdP)"
    )


def _apply_document(user: ScimUser, document: dict, *, integration: Integration, force: bool = False) -> bool:
    """Persist `document` as the user's new state. Returns False when nothing changed. The
    integration that changes a person manages them from then on (an organization moving from
    one IdP to another hands its people over this way)."""
    before = user_document(user)
    if not force and before == document:
        return False
    _check_user_lengths(document)
    user.integration = integration
    columns, attributes = _split(document)
    new_name = columns["userName"]
    if new_name.lower() != user.user_name.lower():
        taken = _taken_in_org(user, new_name)
        if taken:
            raise _uniqueness_error(new_name)
    changed_values = changed_multi_valued(user.attributes, attributes)
    user.user_name = new_name
    user.external_id = columns.get("externalId")
    user.display_name = columns.get("displayName") or ""
    user.active = columns.get("active")  # absent: removed by the client, i.e. unassigned
    user.attributes = attributes
    user.last_modified = timezone.now()
    user.version = (user.version or 0) + 1
    try:
        _update_scim_user(user)
    except IntegrityError:
        # A concurrent rename took the name first; the request's transaction rolls back.
        raise _uniqueness_error(new_name) from None
    write_user_values(user, attributes, changed_values)
    _set_membership_active(
        user.membership,
        user.active is not False and user.deleted_at is None,
        can_sign_in=getattr(user, "can_sign_in", None),
    )
    return True


def _taken_in_org(user: ScimUser, user_name: str) -> bool:
    return (
        ScimUser.objects.filter(
            equals_ignoring_case("user_name", user_name),
            organization_id=user.organization_id,
            deleted_at__isnull=True,
        )
        .exclude(pk=user.pk)
        .exists()
    )


def _describe_update(before: dict, after: dict, user_name: str) -> str:
    if before.get("active") is not False and after.get("active") is False:
        return f"Deactivated user {isolated(user_name)}"
    if before.get("active") is False and after.get("active") is not False:
        return f"Reactivated user {isolated(user_name)}"
    changed = _changed_attributes(before, after)
    return f"Updated user {isolated(user_name)}" + (f": {changed}" if changed else "")


SUMMARY_ATTRIBUTES = 6


def _changed_attributes(before: dict, after: dict) -> str:
    """The names (never the values) of the attributes an update changed, for the activity:
    "name, emails", an extension's by their own names ("department")."""
    names = []
    for key in sorted(set(before) | set(after), key=str.lower):
        old, new = before.get(key), after.get(key)
        if old == new or key == "schemas":
            continue
        if key.startswith("urn:") and isinstance(old or {}, dict) and isinstance(new or {}, dict):
            old, new = old or {}, new or {}
            names.extend(
                sub for sub in sorted(set(old) | set(new), key=str.lower) if old.get(sub) != new.get(sub)
            )
        else:
            names.append(key)
    shown = ", ".join(isolated(name) for name in names[:SUMMARY_ATTRIBUTES])
    more = len(names) - SUMMARY_ATTRIBUTES
    return shown + (f" and {more} more" if more > 0 else "")


def _updated(user: ScimUser, before: dict, after: dict, integration: Integration) -> UserChange:
    changed = _apply_document(user, after, integration=integration)
    summary = (
        _describe_update(before, after, user.user_name)
        if changed
        else f"No change to user {isolated(user.user_name)}"
    )
    return UserChange(user=user, changed=changed, summary=summary)


def scim_user_replace(
    *,
    integration: Integration,
    scim_id: str,
    data,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> UserChange:
    document = resources.parse_user(data)
    user = scim_user_get(integration=integration, scim_id=scim_id, for_update=True)
    check_version(user_version(user), if_match, if_none_match)
    before = user_document(user)
    # OneLogin's PUT templates can omit `active`, and omitting externalId must not unlink the
    # person from the IdP: both keep their current values when absent.
    if "active" in before:
        document.setdefault("active", before["active"])
    if "externalId" not in document and "externalId" in before:
        document["externalId"] = before["externalId"]
    return _updated(user, before, document, integration)


def scim_user_patch(
    *,
    integration: Integration,
    scim_id: str,
    data,
    if_match: str | None = None,
    if_none_match: str | None = None,
    max_operations: int = 1000,
) -> UserChange:
    operations = patch_protocol.parse_patch_request(data, max_operations=max_operations)
    user = scim_user_get(integration=integration, scim_id=scim_id, for_update=True)
    check_version(user_version(user), if_match, if_none_match)
    before = user_document(user)
    after = patch_protocol.apply_user_patch(before, operations, current_id=user.scim_id)
    return _updated(user, before, after, integration)


def scim_user_delete(
    *, integration: Integration, scim_id: str, if_match: str | None = None, if_none_match: str | None = None
) -> UserChange:
    """Soft delete: access ends and the resource leaves the SCIM view; nothing is erased."""
    # The person's groups are locked before the person, in the order a group's member add takes
    # them (the group, then its joining members): the two wait for each other, never deadlock.
    locked = set(
        ScimGroup.objects.filter(
            organization_id=integration.organization_id,
            team__team_memberships__membership__scim_user__scim_id=scim_id,
        )
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    user = scim_user_get(integration=integration, scim_id=scim_id, for_update=True)
    check_version(user_version(user), if_match, if_none_match)
    now = timezone.now()
    user.deleted_at = now
    user.active = False
    user.last_modified = now
    user.version += 1
    user.integration = integration
    user.save(update_fields=["deleted_at", "active", "last_modified", "version", "integration"])
    _set_membership_active(user.membership, False, can_sign_in=getattr(user, "can_sign_in", None))
    left = _leave_scim_groups(user, locked=locked)
    teams = f"; removed from {_plural(left, 'group')}" if left else ""
    return UserChange(
        user=user, summary=f"Deleted user {isolated(user.user_name)} (access ended; records kept{teams})"
    )


def _leave_scim_groups(user: ScimUser, *, locked: set[int]) -> int:
    """A deleted user leaves the SCIM view, so it leaves the groups that reference it too (RFC 7644
    section 3.6): otherwise its teams would still list it, and a later re-create would silently
    bring back memberships — and roles — the IdP has not pushed again. The activity record keeps
    what happened."""
    memberships = TeamMembership.objects.filter(
        membership_id=user.membership_id, team__scim_group__isnull=False
    )
    group_ids = list(
        ScimGroup.objects.filter(team__team_memberships__membership_id=user.membership_id).values_list(
            "pk", flat=True
        )
    )
    if not group_ids:
        return 0
    joined_meanwhile = sorted(set(group_ids) - locked)
    if joined_meanwhile:
        # An add committed between locking the person's groups and locking the person (adds wait
        # for the person from then on). Those groups are locked now, before anything in them is
        # changed, so the change waits for whoever holds them instead of deadlocking with them.
        list(
            ScimGroup.objects.filter(pk__in=joined_meanwhile)
            .order_by("pk")
            .select_for_update(of=("self",))
            .values_list("pk", flat=True)
        )
    memberships.delete()
    ScimGroup.objects.filter(pk__in=group_ids).update(version=F("version") + 1, last_modified=timezone.now())
    return len(group_ids)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --------------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class GroupChange:
    group: ScimGroup
    created: bool = False
    summary: str = ""


@dataclass(frozen=True)
class Members:
    """The member ids a request named: SCIM id → membership id for the users of this
    organization, and the ids that are not (unknown, deleted, or another organization's:
    indistinguishable on purpose)."""

    found: dict[str, int]
    unknown: list[str]

    def note(self) -> str:
        """What the activity says about the ids that were left out, or ""."""
        if not self.unknown:
            return ""
        shown = ", ".join(isolated(value) for value in self.unknown[:5]) + (
            f" and {len(self.unknown) - 5} more" if len(self.unknown) > 5 else ""
        )
        return f"; skipped {_plural(len(self.unknown), 'member id')} that no user here has: {shown}"


# Ids per query: far below PostgreSQL's 65,535 parameters and SQLite's 32,766 (a 1 MB body can
# name some 70,000 members).
ID_CHUNK = 10_000


def _chunks(items: list, size: int = ID_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _member_memberships(integration: Integration, ids, *, lock: bool = True) -> Members:
    """The users behind `ids`. Ids that are no user of this organization are skipped, not refused:
    IdPs send a whole membership in one request (Entra up to its batch size), and refusing it for
    one person the IdP has not provisioned yet would keep every other member out of the group
    (and, repeated, puts Entra's provisioning job in quarantine). What was skipped is on the
    activity record for the admin."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        users = users_of(integration).filter(scim_id__in=chunk)
        if lock:
            # Joining a group locks the users who join until it commits: a delete of one of them
            # waits, then leaves the groups with this membership in them; an add that waited for a
            # delete finds the user gone. Read unlocked, the add could land after the delete had
            # left its groups, and a re-create would bring the membership (and its role) back.
            users = users.order_by("pk").select_for_update(of=("self",), no_key=True)
        found.update(users.values_list("scim_id", "membership_id"))
    return Members(found, [value for value in wanted if value not in found])


@dataclass
class MemberChanges:
    """What a request did to a group's members, counted, for the activity and the version."""

    added: int = 0
    removed: int = 0
    relabelled: int = 0  # members whose `display` changed

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.relabelled)

    def parts(self) -> list[str]:
        return [
            text
            for count, text in (
                (self.added, f"added {_plural(self.added, 'member')}"),
                (self.removed, f"removed {_plural(self.removed, 'member')}"),
                (self.relabelled, f"updated the display of {_plural(self.relabelled, 'member')}"),
            )
            if count
        ]


def _add_members(
    team_id: int, members: dict[str, int], displays: dict[str, str] | None = None
) -> MemberChanges:
    """Insert the memberships that are new (SCIM id → membership id) and keep the `display` an IdP
    sent where it changed. Repeated adds (JumpCloud) and parallel adds are no-ops, never errors
    or lost members."""
    displays = displays or {}
    labels = {mid: str(displays[uid]) for uid, mid in members.items() if isinstance(displays.get(uid), str)}
    before: dict[int, str] = {}
    for chunk in _chunks(list(labels)):
        before.update(
            TeamMembership.objects.filter(team_id=team_id, membership_id__in=chunk).values_list(
                "membership_id", "display"
            )
        )
    changes = MemberChanges(
        added=_insert_memberships(team_id, [(mid, labels.get(mid, "")) for mid in members.values()])
    )
    for mid, display in labels.items():
        if mid in before and before[mid] != display:
            changes.relabelled += TeamMembership.objects.filter(team_id=team_id, membership_id=mid).update(
                display=display
            )
    return changes


def _remove_members(team_id: int, membership_ids) -> int:
    removed = 0
    for chunk in _chunks(list(membership_ids)):
        removed += TeamMembership.objects.filter(team_id=team_id, membership_id__in=chunk).delete()[0]
    return removed


def _set_members(team_id: int, members: dict[str, int], displays: dict[str, str] | None) -> MemberChanges:
    """Make the team's members exactly `members` (a PUT's list, Okta's "Push now" replace)."""
    current = set(TeamMembership.objects.filter(team_id=team_id).values_list("membership_id", flat=True))
    removed = _remove_members(team_id, current - set(members.values()))
    changes = _add_members(team_id, members, displays)
    changes.removed = removed
    return changes


INSERT_ROWS = 5_000  # 4 parameters a row: within SQLite's 32,766 bound parameters a statement


def _insert_memberships(team_id: int, rows: list[tuple[int, str]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING of (membership id, display) rows, 5,000 a statement, on
    SQLite and PostgreSQL alike (bulk_create would split it into 333-row statements on SQLite).
    Returns how many rows were new."""
    table = TeamMembership._meta.db_table
    now = timezone.now()
    added = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, INSERT_ROWS):
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (team_id, membership_id, display, created_at) VALUES {values} "
                "ON CONFLICT (team_id, membership_id) DO NOTHING",
                [param for mid, display in chunk for param in (team_id, mid, display, now)],
            )
            added += max(cursor.rowcount, 0)
    return added


def _displays(members: list[dict] | None) -> dict[str, str]:
    return {m["value"]: m["display"] for m in members or [] if isinstance(m.get("display"), str)}


def _display_name_taken(integration: Integration, name: str, exclude_pk: int | None = None) -> bool:
    queryset = ScimGroup.objects.filter(
        equals_ignoring_case("display_name", name), organization_id=integration.organization_id
    )
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def _group_conflict(name: str) -> ScimError:
    return conflict(f"displayName '{name}' is already used by another group in this organization.")


def scim_group_create(*, integration: Integration, data) -> GroupChange:
    document = resources.parse_group(data)
    _check_group_lengths(document, document.get("members"))
    name = document["displayName"]
    if _display_name_taken(integration, name):
        raise _group_conflict(name)
    members = _member_memberships(integration, [m["value"] for m in document.get("members") or []])
    try:
        with transaction.atomic():
            team = Team.objects.create(organization_id=integration.organization_id, name=name)
            group = ScimGroup.objects.create(
                organization_id=integration.organization_id,
                integration=integration,
                team=team,
                display_name=name,
                external_id=document.get("externalId"),
            )
    except IntegrityError:
        raise _group_conflict(name) from None
    _add_members(team.pk, members.found, _displays(document.get("members")))
    return GroupChange(
        group=group,
        created=True,
        summary=f"Created group {isolated(name)} with {_plural(len(members.found), 'member')}{members.note()}",
    )


def _rename(group: ScimGroup, integration: Integration, document: dict) -> bool:
    name = document["displayName"]
    external_id = document.get("externalId")
    if name == group.display_name and external_id == group.external_id:
        return False
    if name.lower() != group.display_name.lower() and _display_name_taken(integration, name, group.pk):
        raise _group_conflict(name)
    _check_group_lengths(document)
    group.display_name = name
    group.external_id = external_id
    Team.objects.filter(pk=group.team_id).update(name=name)
    return True


def _touch_group(group: ScimGroup, integration: Integration, *, fields=()) -> None:
    """A new version of the group; the integration that changed it manages it from now on."""
    group.last_modified = timezone.now()
    group.integration = integration
    try:
        ScimGroup.objects.filter(pk=group.pk).update(
            version=F("version") + 1,
            last_modified=group.last_modified,
            integration=integration,
            **{name: getattr(group, name) for name in fields},
        )
    except IntegrityError:
        # A concurrent rename took the name first; the request's transaction rolls back.
        raise _group_conflict(group.display_name) from None
    group.refresh_from_db(fields=["version"])


def scim_group_replace(
    *,
    integration: Integration,
    scim_id: str,
    data,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> GroupChange:
    document = resources.parse_group(data)
    group = scim_group_get(integration=integration, scim_id=scim_id, for_update=True)
    check_version(group.version, if_match, if_none_match)
    if "externalId" not in document and group.external_id is not None:
        document["externalId"] = group.external_id
    old_name = group.display_name
    renamed = _rename(group, integration, document)
    if "members" in document:
        _check_group_lengths({}, document["members"])
        members = _member_memberships(integration, [m["value"] for m in document["members"]])
        with _keeping_an_admin(group.team_id, group.organization_id):
            changes = _set_members(group.team_id, members.found, _displays(document["members"]))
        detail = _plural(len(members.found), "member") + members.note()
    else:
        # RFC 7644 section 3.5.1: an attribute left out of a PUT is not asserted. Templated PUTs
        # that leave out `members` must not empty the group; `"members": []` does.
        changes, detail = MemberChanges(), "members kept"
    if not (renamed or changes):
        # Okta's AIW apps PUT every group on every push: an unchanged one keeps its version.
        return GroupChange(group=group, summary=f"No change to group {isolated(group.display_name)}")
    _touch_group(group, integration, fields=("display_name", "external_id") if renamed else ())
    renaming = f", renamed from {isolated(old_name)}" if renamed and old_name != group.display_name else ""
    return GroupChange(
        group=group, summary=f"Replaced group {isolated(group.display_name)} ({detail}{renaming})"
    )


def scim_group_patch(
    *,
    integration: Integration,
    scim_id: str,
    data,
    if_match: str | None = None,
    if_none_match: str | None = None,
    max_operations: int = 1000,
) -> GroupChange:
    operations = patch_protocol.parse_patch_request(data, max_operations=max_operations)
    group = scim_group_get(integration=integration, scim_id=scim_id, for_update=True)
    check_version(group.version, if_match, if_none_match)
    result = patch_protocol.apply_group_patch(group_document(group), operations, current_id=group.scim_id)
    old_name = group.display_name
    renamed = _rename(group, integration, result.document)
    delta = result.members
    parts = []
    skipped = ""
    if delta is not None:
        for display in delta.displays.values():
            _check_length(display, MEMBER_DISPLAY_LENGTH, "members.display")
        named = _member_memberships(integration, delta.add)
        with _keeping_an_admin(group.team_id, group.organization_id):
            if delta.replace_all:
                changes = _set_members(group.team_id, named.found, delta.displays)
                if changes:
                    parts.append(f"set {_plural(len(named.found), 'member')}")
            else:
                # A member's ids are either added or removed: MemberDelta folds the operations.
                leaving = (
                    _member_memberships(integration, delta.remove, lock=False).found if delta.remove else {}
                )
                changes = _add_members(group.team_id, named.found, delta.displays)
                changes.removed = _remove_members(group.team_id, leaving.values())
                parts.extend(changes.parts())
        skipped = named.note()
    if renamed:
        parts.insert(
            0,
            f"renamed from {isolated(old_name)}" if old_name != group.display_name else "externalId changed",
        )
    if renamed or parts:
        _touch_group(group, integration, fields=("display_name", "external_id") if renamed else ())
    summary = (
        f"Updated group {isolated(group.display_name)}: " + ", ".join(parts)
        if parts
        else f"No change to group {isolated(group.display_name)}"
    )
    return GroupChange(group=group, summary=summary + skipped)


def scim_group_delete(
    *, integration: Integration, scim_id: str, if_match: str | None = None, if_none_match: str | None = None
) -> GroupChange:
    """The team and its memberships go; the people stay."""
    group = scim_group_get(integration=integration, scim_id=scim_id, for_update=True)
    check_version(group.version, if_match, if_none_match)
    with _keeping_an_admin(group.team_id, group.organization_id):
        Team.objects.filter(pk=group.team_id).delete()  # cascades to the group and team memberships
    return GroupChange(
        group=group, summary=f"Deleted group {isolated(group.display_name)} (its members stay)"
    )


# ------------------------------------------------------------------------------- versions


def etag_matches(version: int | str, header: str | None) -> bool:
    """Whether an If-Match / If-None-Match header names `version` (or is `*`)."""
    if not header:
        return False
    wanted = [tag.strip() for tag in header.split(",")]
    current = etag(version)
    return "*" in wanted or current in wanted or current.removeprefix("W/") in wanted


def check_version(version: int | str, if_match: str | None, if_none_match: str | None = None) -> None:
    """Preconditions on a change (RFC 7644 section 3.14, RFC 7232): If-Match must name the current
    version, If-None-Match must not; either failing is 412 and nothing changes."""
    if if_none_match and etag_matches(version, if_none_match):
        raise ScimError(
            412, f"The resource exists with version {etag(version)}, which If-None-Match excludes."
        )
    if if_match and not etag_matches(version, if_match):
        raise ScimError(412, f"The resource has changed: its current version is {etag(version)}.")
