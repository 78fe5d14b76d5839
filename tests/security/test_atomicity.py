"""A request's changes and its activity record commit together or not at all. A failure injected
part-way leaves nothing behind, and the IdP gets a SCIM 500 that shows no internals."""

from __future__ import annotations

import pytest

from organizations.models import Membership, Team, TeamMembership, User
from scim import activity, services
from scim.models import RequestRecord, ScimGroup, ScimUser, ScimUserValue

from .conftest import GROUP_URN, PATCH_URN, USER_URN, scim_error

INTERNALS = ("Traceback", "injected", "RuntimeError", 'File "', ".py", "SELECT", "psycopg", "sqlite")


class Injected(RuntimeError):
    pass


def _fail(*args, **kwargs):
    raise Injected("injected failure: secret internals /srv/app/scim/services.py")


def _state(organization):
    return {
        "users": list(
            ScimUser.objects.filter(organization=organization).values_list(
                "user_name", "active", "version", "attributes"
            )
        ),
        "values": ScimUserValue.objects.count(),
        "memberships": Membership.objects.filter(organization=organization).count(),
        "logins": User.objects.count(),
        "groups": list(
            ScimGroup.objects.filter(organization=organization).values_list("display_name", "version")
        ),
        "teams": Team.objects.filter(organization=organization).count(),
        "team_members": TeamMembership.objects.filter(team__organization=organization).count(),
    }


def _assert_opaque_500(response):
    body = scim_error(response, 500)
    for word in INTERNALS:
        assert word not in response.content.decode(), word
    return body


@pytest.fixture
def populated(scim):
    user = scim.create_user("kept@example.test", emails=[{"value": "kept@example.test", "primary": True}])
    group = scim.create_group("Kept", members=[user["id"]])
    return scim, user, group


@pytest.mark.parametrize("where", ["scim.services.write_user_values", "scim.activity.record"])
def test_a_failure_after_the_user_row_is_written_leaves_no_user(populated, monkeypatch, where):
    scim, _, _ = populated
    before = _state(scim.integration.organization)
    calls = []
    real_record = activity.record

    def fail_once(*args, **kwargs):
        # The activity recorder fails inside the request's transaction, then works again for the
        # refusal recorded after the rollback.
        calls.append(1)
        if len(calls) == 1:
            _fail()
        return real_record(*args, **kwargs)

    monkeypatch.setattr(where, fail_once if where.endswith("record") else _fail)
    response = scim.post(
        "/Users",
        {
            "schemas": [USER_URN],
            "userName": "ghost@example.test",
            "emails": [{"value": "ghost@example.test", "primary": True}],
            "phoneNumbers": [{"value": "+15550001"}],
        },
    )
    _assert_opaque_500(response)
    assert _state(scim.integration.organization) == before
    assert not User.objects.filter(email__iexact="ghost@example.test").exists()
    # What is left is the record of the failed attempt, written after the rollback.
    record = RequestRecord.objects.filter(integration=scim.integration).latest("id")
    assert record.status == 500 and record.method == "POST"


def test_a_failing_patch_changes_nothing(populated, monkeypatch):
    scim, user, _ = populated
    before = _state(scim.integration.organization)
    monkeypatch.setattr("scim.services.write_user_values", _fail)
    response = scim.patch(
        f"/Users/{user['id']}",
        [
            {"op": "replace", "path": "active", "value": False},
            {"op": "add", "path": "phoneNumbers", "value": [{"value": "+15550002"}]},
        ],
    )
    _assert_opaque_500(response)
    assert _state(scim.integration.organization) == before
    assert Membership.objects.get(scim_user__scim_id=user["id"]).is_active


def test_a_failing_group_change_keeps_every_member(populated, monkeypatch):
    scim, user, group = populated
    other = scim.create_user("other@example.test")
    before = _state(scim.integration.organization)
    monkeypatch.setattr(services, "_touch_group", _fail)
    response = scim.request(
        "PATCH",
        f"/Groups/{group['id']}",
        {
            "schemas": [PATCH_URN],
            "Operations": [
                {"op": "remove", "path": "members"},
                {"op": "add", "path": "members", "value": [{"value": other["id"]}]},
                {"op": "replace", "path": "displayName", "value": "Renamed"},
            ],
        },
    )
    _assert_opaque_500(response)
    assert _state(scim.integration.organization) == before


def test_a_failing_group_create_leaves_no_team(populated, monkeypatch):
    scim, user, _ = populated
    before = _state(scim.integration.organization)
    monkeypatch.setattr(services, "_add_members", _fail)
    response = scim.post(
        "/Groups", {"schemas": [GROUP_URN], "displayName": "Half made", "members": [{"value": user["id"]}]}
    )
    _assert_opaque_500(response)
    assert _state(scim.integration.organization) == before


def test_a_failing_delete_keeps_access(populated, monkeypatch):
    scim, user, _ = populated
    before = _state(scim.integration.organization)
    monkeypatch.setattr(services, "_set_membership_active", _fail)
    _assert_opaque_500(scim.delete(f"/Users/{user['id']}"))
    assert _state(scim.integration.organization) == before
    assert scim.get(f"/Users/{user['id']}").status_code == 200


def test_an_unexpected_error_in_authentication_is_an_opaque_scim_500(scim, monkeypatch):
    monkeypatch.setattr("scim.authentication.digest_token", _fail)
    _assert_opaque_500(scim.get("/Users"))


def test_an_unexpected_error_outside_the_view_is_an_opaque_scim_500(scim, monkeypatch):
    """Even when the failure escapes DRF (here: in the refusal recorder), the safety-net
    middleware answers with a SCIM body."""
    monkeypatch.setattr("scim.views.ScimView.finalize_response", _fail)
    _assert_opaque_500(scim.get("/Users"))


def test_the_database_going_away_outside_the_view_is_a_503_not_a_500(scim, monkeypatch):
    from django.db import OperationalError

    def gone(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed")

    monkeypatch.setattr("scim.views.ScimView.finalize_response", gone)
    response = scim.get("/Users")
    body = scim_error(response, 503)
    assert int(response["Retry-After"]) > 0 and "127.0.0.1" not in body["detail"]


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg reports for PostgreSQL's deadlock_detected


def _deadlocked_once(real):
    """`real`, except that its first call fails the way a deadlock victim's statement does."""
    from django.db import OperationalError

    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from _Deadlock()
        return real(*args, **kwargs)

    return wrapped, calls


def test_a_deadlocked_change_runs_again_and_is_applied_once(populated, monkeypatch):
    scim, user, _ = populated
    wrapped, calls = _deadlocked_once(services.write_user_values)
    monkeypatch.setattr("scim.services.write_user_values", wrapped)
    response = scim.patch(f"/Users/{user['id']}", [{"op": "add", "path": "title", "value": "CTO"}])
    assert response.status_code == 200, response.content
    assert len(calls) == 2
    stored = ScimUser.objects.get(scim_id=user["id"])
    assert stored.attributes["title"] == "CTO" and stored.version == 2  # one change, not two
    assert RequestRecord.objects.filter(method="PATCH").count() == 1


def test_a_change_that_keeps_deadlocking_is_a_503_that_says_so_and_changes_nothing(populated, monkeypatch):
    from django.db import OperationalError

    scim, user, _ = populated
    before = _state(scim.integration.organization)

    def always(*args, **kwargs):
        raise OperationalError("deadlock detected") from _Deadlock()

    monkeypatch.setattr("scim.services.write_user_values", always)
    response = scim.patch(f"/Users/{user['id']}", [{"op": "add", "path": "title", "value": "CTO"}])
    body = scim_error(response, 503)
    assert "concurrent change" in body["detail"] and response["Retry-After"] == "1"
    assert _state(scim.integration.organization) == before
