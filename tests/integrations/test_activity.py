"""The admin's view of provisioning activity: filters, errors explained, connection status, a
person's history, the audit trail, and what recording costs a SCIM request."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations import services
from integrations.models import AuditEvent
from scim.models import RequestRecord
from tests.factories import MembershipFactory, make_integration, make_scim_user
from tests.scim.conftest import ScimClient

CONFLICT = "userName '{}' is already taken by another user in this organization."


@pytest.fixture
def integration_and_token(org):
    return make_integration(org)


@pytest.fixture
def integration(integration_and_token):
    return integration_and_token[0]


@pytest.fixture
def scim(client, integration_and_token):
    # A separate client: the admin's session must not ride along on SCIM requests.
    from django.test import Client

    return ScimClient(Client(), *integration_and_token)


def detail_url(integration, **params):
    url = reverse("integrations:detail", args=[integration.organization.slug, integration.public_id])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def record(integration, **fields):
    defaults = {"method": "GET", "path": "/Users", "status": 200}
    defaults.update(fields)
    return RequestRecord.objects.create(
        organization=integration.organization, integration=integration, **defaults
    )


# --- Filters ---------------------------------------------------------------------------------


@pytest.fixture
def mixed_activity(integration):
    alice = make_scim_user(integration, "alice@acme.test")
    record(
        integration,
        path="/Users/a",
        outcome="Read user alice@acme.test",
        resource_type="User",
        resource_id=alice.scim_id,
        resource_name="alice@acme.test",
    )
    record(
        integration,
        method="POST",
        path="/Groups",
        status=201,
        outcome="Created group Ops",
        resource_type="Group",
        resource_id="g-1",
        resource_name="Ops",
    )
    record(
        integration,
        method="POST",
        path="/Users",
        status=409,
        outcome=CONFLICT.format("bob@acme.test"),
        scim_type="uniqueness",
        resource_type="User",
        resource_name="bob@acme.test",
    )
    record(
        integration,
        method="PATCH",
        path="/Groups/g-1",
        status=400,
        outcome="Bad PATCH path",
        scim_type="invalidPath",
        resource_type="Group",
        resource_id="g-1",
        resource_name="Ops",
    )
    return alice


def test_errors_only_shows_just_the_failures(admin_client, integration, mixed_activity):
    body = admin_client.get(detail_url(integration, only_errors="on")).content.decode()
    assert "Bad PATCH path" in body and "already taken" in body
    assert "Read user alice@acme.test" not in body and "Created group Ops" not in body
    assert "2 matching requests" in body


def test_filter_by_resource_type(admin_client, integration, mixed_activity):
    body = admin_client.get(detail_url(integration, resource="Group")).content.decode()
    assert "Created group Ops" in body and "Bad PATCH path" in body
    assert "Read user alice@acme.test" not in body and "already taken" not in body


@pytest.mark.parametrize("person", ["ALICE@acme.test", "alice@acme.test"])
def test_filter_by_person_username_ignores_case(admin_client, integration, mixed_activity, person):
    body = admin_client.get(detail_url(integration, person=person)).content.decode()
    assert "Read user alice@acme.test" in body
    assert "Created group Ops" not in body and "already taken" not in body


def test_filter_by_person_resource_id(admin_client, integration, mixed_activity):
    body = admin_client.get(detail_url(integration, person=mixed_activity.scim_id)).content.decode()
    assert "Read user alice@acme.test" in body and "Created group Ops" not in body


def test_filter_by_person_finds_a_failed_create_by_its_username(admin_client, integration, mixed_activity):
    body = admin_client.get(detail_url(integration, person="bob@acme.test")).content.decode()
    assert "already taken" in body and "Read user alice" not in body


def test_filters_that_match_nothing_say_so_and_offer_to_clear(admin_client, integration, mixed_activity):
    body = admin_client.get(detail_url(integration, person="nobody")).content.decode()
    assert "No requests match these filters" in body and "Clear the filters" in body


def test_filters_stay_inside_the_integration(admin_client, org, integration, other_org):
    foreign, _ = make_integration(other_org)
    record(foreign, outcome="Foreign request", resource_name="alice@acme.test", resource_type="User")
    other_here, _ = make_integration(org)
    record(other_here, outcome="Sibling integration request", resource_type="User")
    body = admin_client.get(detail_url(integration, resource="User")).content.decode()
    assert "Foreign request" not in body and "Sibling integration request" not in body


def test_activity_page_is_a_constant_number_of_queries(
    admin_client, org, integration, django_assert_max_num_queries
):
    """However many requests (and userName conflicts, whose holders are looked up) there are."""

    def fill(n):
        for i in range(n):
            make_scim_user(integration, f"held{i}-{RequestRecord.objects.count()}@acme.test")
        RequestRecord.objects.bulk_create(
            RequestRecord(
                organization=org,
                integration=integration,
                method="POST",
                path="/Users",
                status=409 if i % 2 else 201,
                scim_type="uniqueness" if i % 2 else "",
                outcome=CONFLICT.format(f"held{i}@acme.test") if i % 2 else "Created",
            )
            for i in range(n)
        )

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    fill(4)
    few = [queries(detail_url(integration)), queries(detail_url(integration, only_errors="on", person="x"))]
    fill(60)
    many = [queries(detail_url(integration)), queries(detail_url(integration, only_errors="on", person="x"))]
    assert few == many
    # session, user, access, integration (+counts, connection), tokens, requests, holders,
    # history, org switcher, groups and roles, the admins it manages
    with django_assert_max_num_queries(11):
        admin_client.get(detail_url(integration, only_errors="on"))


# --- Errors explained --------------------------------------------------------------------------


def test_a_conflict_names_the_person_holding_the_username(admin_client, org, integration):
    holder = make_scim_user(integration, "Dana@acme.test", display_name="Dana Holder")
    record(
        integration,
        method="POST",
        status=409,
        scim_type="uniqueness",
        outcome=CONFLICT.format("dana@acme.test"),
    )
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "userName already taken" in body
    # The holder as they are now, said to be "now" (the record itself is from then).
    assert (
        "When this request was made, “dana@acme.test” was already taken. It now belongs to Dana Holder "
        "(active, managed by the integration “SCIM”)" in body
    )
    member_url = reverse("organizations:member", args=[org.slug, holder.membership_id])
    assert f'href="{member_url}"' in body
    assert "Next step" in body


def test_the_idp_refused_the_last_admin_is_explained_as_such_not_as_a_username_conflict(
    admin_client, org, admin_membership, integration, scim
):
    # An admin tested the IdP with their own account: the IdP's user is linked to their
    # membership, and unassigning them would lock the organization out.
    user = scim.create_user(
        "admin@acme.test", emails=[{"value": "admin@acme.test", "primary": True}], active=True
    )
    refused = scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert refused.status_code == 409
    assert refused.doc["detail"].startswith("This person is the organization's last active administrator")
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Last admin kept." in body
    assert "userName already taken" not in body
    assert "on their page (Members), under Role, choose Admin" in body


def test_an_empty_secret_token_in_entra_is_explained_on_the_page(admin_client, integration, scim):
    # What Entra sends when its Secret Token field is left empty: a JWT of its own.
    jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiI4YWRmOGUwNiJ9.c2lnbmF0dXJl"
    assert scim.get("/Users?filter=userName+eq+%22x%22", token=jwt).status_code == 401
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Refused: the token is a JWT, not a token of this service" in body
    assert "Token field empty in the identity provider." in body
    assert "Secret Token" in body and "Unknown token" not in body


def test_a_conflict_never_names_someone_of_another_organization(admin_client, integration, other_org):
    foreign, _ = make_integration(other_org)
    make_scim_user(foreign, "eve@acme.test", display_name="Eve Elsewhere")
    record(
        integration,
        method="POST",
        status=409,
        scim_type="uniqueness",
        outcome=CONFLICT.format("eve@acme.test"),
    )
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Eve Elsewhere" not in body
    assert "another person in this organization already had the userName “eve@acme.test”" in body


def test_refused_requests_are_explained(admin_client, integration):
    record(integration, status=401, outcome="Refused: the token has been revoked or has expired")
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Revoked token" in body and "Paste the current token" in body


# --- Connection status -------------------------------------------------------------------------


def connection_url(integration):
    return reverse("integrations:connection", args=[integration.organization.slug, integration.public_id])


def test_waiting_page_polls_for_the_first_request(admin_client, integration):
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Waiting for your identity provider's first request" in body
    assert f'data-connection-url="{connection_url(integration)}"' in body
    assert "js/integration.js" in body
    assert '<noscript><meta http-equiv="refresh"' in body
    state = admin_client.get(connection_url(integration)).json()
    assert state == {"waiting": True, "latest_request_id": None, "last_request_at": None, "last_status": None}


def test_connection_json_changes_when_the_first_request_arrives(admin_client, integration, scim):
    assert scim.get("/Users").status_code == 200
    state = admin_client.get(connection_url(integration)).json()
    assert state["waiting"] is False and state["last_status"] == 200
    assert state["latest_request_id"] == RequestRecord.objects.get().pk
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Waiting for your identity provider" not in body
    assert "data-connection-url" not in body  # connected: nothing left to wait for
    assert "Connected" in body and "Users list: 0 found" in body


def test_connection_json_is_for_admins_of_the_organization_only(member_client, integration):
    assert member_client.get(connection_url(integration)).status_code == 403


def test_connection_json_of_another_organization_is_404(other_admin_client, integration):
    assert other_admin_client.get(connection_url(integration)).status_code == 404


def test_a_refused_attempt_is_shown_in_words(admin_client, integration, scim):
    assert scim.get("/Users", token="mdscim_not-a-real-token").status_code == 401
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Request refused: the token is not one of this integration&#x27;s tokens" in body
    assert "rotate the token here" in body
    # Refused only: still waiting for a request that gets through, but only a success reloads.
    assert 'data-reload-on="success"' in body


def test_a_revoked_token_attempt_after_success_is_shown(admin_client, integration_and_token, scim):
    integration, raw = integration_and_token
    assert scim.get("/Users").status_code == 200
    services.token_revoke(token=integration.tokens.get())
    assert scim.get("/Users").status_code == 401
    body = admin_client.get(detail_url(integration)).content.decode()
    assert "Request refused: the token was revoked or has expired" in body


def test_disabled_integration_answers_403_in_scim_and_records_it_in_words(admin_client, integration, scim):
    services.integration_set_enabled(integration=integration, enabled=False)
    response = scim.get("/Users")
    assert response.status_code == 403
    assert response.doc["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "disabled" in response.doc["detail"]
    assert RequestRecord.objects.get().outcome == "Refused: the integration is disabled"
    body = admin_client.get(detail_url(integration)).content.decode()
    # One sentence, its time on a line of its own (it read "…is disabled at 06:51").
    assert '<p class="conn-title">Request refused: the integration is disabled</p>' in body


def test_grace_period_counts_down(admin_client, integration):
    services.token_rotate(integration=integration, grace=timedelta(hours=6))
    body = admin_client.get(detail_url(integration)).content.decode()
    assert body.count("data-countdown-until=") == 2  # the notice and the token's row
    assert "keeps working until" in body and "left" in body


# --- Recording ---------------------------------------------------------------------------------


def test_recording_adds_at_most_one_query_to_a_scim_request(scim):
    scim.create_user("warmup@acme.test")  # caches, content types: out of the comparison
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}

    def count(user_name, *, recording):
        patch = mock.patch("scim.activity.RequestRecord.objects.create") if not recording else None
        if patch:
            patch.start()
        try:
            with CaptureQueriesContext(connection) as ctx:
                assert scim.post("/Users", {**body, "userName": user_name}).status_code == 201
        finally:
            if patch:
                patch.stop()
        inserts = [
            q for q in ctx.captured_queries if "INSERT" in q["sql"] and "scim_requestrecord" in q["sql"]
        ]
        return len(ctx.captured_queries), len(inserts)

    without, _ = count("a@acme.test", recording=False)
    with_recording, inserts = count("b@acme.test", recording=True)
    assert inserts == 1
    assert with_recording - without <= 1, (with_recording, without)


def test_a_change_and_its_record_commit_together(scim, integration):
    scim.create_user("carl@acme.test")
    rec = RequestRecord.objects.get(method="POST")
    assert (rec.status, rec.resource_type, rec.resource_name) == (201, "User", "carl@acme.test")


def test_records_never_hold_the_token_or_a_password(scim, integration_and_token):
    _, raw = integration_and_token
    scim.create_user("pat@acme.test", password="Sup3r-Secret!")
    scim.post(
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "pat@acme.test",
            "password": "Sup3r-Secret!",
        },
    )
    for row in RequestRecord.objects.values():
        dumped = json.dumps(row, default=str)
        assert raw not in dumped and "Sup3r-Secret!" not in dumped


def test_a_failed_create_is_recorded_with_the_resource_it_was_about(scim):
    scim.create_user("dup@acme.test")
    assert (
        scim.post(
            "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "DUP@acme.test"}
        ).status_code
        == 409
    )
    failed = RequestRecord.objects.get(status=409)
    assert (failed.resource_type, failed.resource_name, failed.scim_type) == (
        "User",
        "DUP@acme.test",
        "uniqueness",
    )


# --- A person's history ------------------------------------------------------------------------


def member_url(scim_user):
    return reverse("organizations:member", args=[scim_user.organization.slug, scim_user.membership_id])


def test_person_page_shows_what_the_idp_did_newest_first(admin_client, integration, scim):
    created = scim.create_user("fay@acme.test", displayName="Fay Field")
    scim.patch(f"/Users/{created['id']}", [{"op": "replace", "path": "active", "value": False}])
    make_scim_user(integration, "other@acme.test")
    scim.get("/Users")
    from scim.models import ScimUser

    fay = ScimUser.objects.get(scim_id=created["id"])
    body = admin_client.get(member_url(fay)).content.decode()
    assert "What the IdP did" in body
    history = body[body.index("What the IdP did") :]
    assert "PATCH /Users/" in history and "POST /Users" in history
    assert history.index("PATCH /Users/") < history.index("POST /Users")
    assert "Users list" not in history
    # Deactivated, and still visible with their history.
    assert "access to Acme Corp has ended" in body


def test_person_page_marks_idp_owned_fields_read_only(admin_client, integration):
    person = make_scim_user(
        integration,
        "gus@acme.test",
        display_name="Gus Grant",
        external_id="00u9",
        attributes={"title": "Engineer"},
    )
    body = admin_client.get(member_url(person)).content.decode()
    assert "Read-only here: your identity provider owns these fields" in body
    assert "Engineer" in body and "00u9" in body and "Read-only" in body
    assert "<input" not in body.split('id="profile-h"')[1].split("</section>")[0]


def test_person_history_is_for_admins_only(member_client, integration):
    person = make_scim_user(integration, "hal@acme.test")
    record(integration, resource_type="User", resource_id=person.scim_id, outcome="Read user hal@acme.test")
    body = member_client.get(member_url(person)).content.decode()
    assert "What the IdP did" not in body and "Read user hal" not in body


def test_person_page_query_count_is_constant(admin_client, integration, django_assert_max_num_queries):
    person = make_scim_user(integration, "ivy@acme.test")
    for _ in range(30):
        record(
            integration,
            resource_type="User",
            resource_id=person.scim_id,
            status=409,
            scim_type="uniqueness",
            outcome=CONFLICT.format("ivy@acme.test"),
        )
    # session, user, access, person, teams, history, holders, org switcher
    with django_assert_max_num_queries(8):
        assert admin_client.get(member_url(person)).status_code == 200


def test_a_manual_member_has_no_idp_history(admin_client, org):
    membership = MembershipFactory(organization=org)
    body = admin_client.get(reverse("organizations:member", args=[org.slug, membership.pk])).content.decode()
    assert "What the IdP did" not in body and "Managed manually" in body


# --- Audit trail -------------------------------------------------------------------------------


def audit_url(org):
    return reverse("integrations:audit", args=[org.slug])


def test_audit_trail_lists_who_did_what_including_deleted_integrations(
    admin_client, org, integration, admin_membership
):
    services.token_rotate(integration=integration, actor=admin_membership.user)
    services.integration_delete(integration=integration, actor=admin_membership.user)
    body = admin_client.get(audit_url(org)).content.decode()
    assert "Rotated the token" in body and "Deleted SCIM integration" in body
    assert "admin@acme.test" in body and "Deleted" in body
    assert body.index("Deleted SCIM integration") < body.index("Rotated the token")


def test_audit_trail_is_for_admins_only(member_client, org, integration):
    assert member_client.get(audit_url(org)).status_code == 403


def test_audit_trail_of_another_organization_is_404(other_admin_client, org, integration):
    assert other_admin_client.get(audit_url(org)).status_code == 404


def test_audit_trail_pages_in_constant_queries(admin_client, org, integration, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create(
        AuditEvent(organization=org, integration=integration, action="token.revoked", summary=f"event {i}")
        for i in range(120)
    )
    with django_assert_max_num_queries(7):
        body = admin_client.get(audit_url(org), {"page": 2}).content.decode()
    assert "Page 2 of 3" in body


def test_audit_trail_empty_state(admin_client, org):
    body = admin_client.get(audit_url(org)).content.decode()
    assert "Nothing recorded yet" in body


def test_integration_page_links_to_the_audit_trail(admin_client, org, integration):
    assert audit_url(org) in admin_client.get(detail_url(integration)).content.decode()


def test_a_request_path_holding_a_bidi_override_reads_as_sent(admin_client, integration, scim):
    # Found by an adversarial run: filter=userName eq "\u202egnp.exe" showed as `""exe.png`.
    assert scim.get('/Users?filter=userName eq "%E2%80%AEgnp.exe"').status_code == 200
    page = admin_client.get(detail_url(integration)).content.decode()
    assert 'GET /Users?filter=userName eq "&lt;U+202E&gt;gnp.exe"' in page.replace("&quot;", '"')
    assert "\u202e" not in page


def test_a_filter_sent_with_plus_signs_for_spaces_reads_as_written(admin_client, integration, scim):
    # Found by a new user following the Okta guide: Okta encodes spaces as "+", and the page
    # showed filter=userName+eq+"carol@example.com". A "+" in a value arrives as %2B and stays.
    assert (
        scim.get("/Users?filter=userName+eq+%22carol%2Bscim%40example.com%22&startIndex=1").status_code == 200
    )
    page = admin_client.get(detail_url(integration)).content.decode().replace("&quot;", '"')
    assert 'GET /Users?filter=userName eq "carol+scim@example.com"&amp;startIndex=1' in page
