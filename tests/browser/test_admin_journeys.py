"""The admin's journeys after set-up, in a real browser against a live server, with real SCIM
requests over HTTP: waiting for the IdP, its first request, rotating with a grace period, revoking,
disabling, deleting, filtering the activity, a person's history, and staff in Django admin.

Each journey saves screenshots of the pages it visits into docs/screenshots/ (linked from the
README)."""

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from integrations import services
from organizations.models import Membership, Role
from scim.models import RequestRecord, ScimUser
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, make_integration

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
OKTA = "Okta SCIM Client 1.0.0"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scim(base: str, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict | None]:
    """One SCIM request over real HTTP, as an IdP sends it."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/scim+json",
            "Content-Type": "application/scim+json",
            "User-Agent": OKTA,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


@pytest.fixture
def acme(db):
    org = OrganizationFactory(name="Acme Corp", slug="acme")
    admin = MembershipFactory(
        organization=org, role=Role.ADMIN, user__email="admin@acme.test", user__full_name="Ada Admin"
    )
    integration, token = make_integration(org, created_by=admin.user)
    return org, integration, token


@pytest.fixture
def endpoint(live_server, acme):
    return f"{live_server.url}/scim/v2/{acme[1].public_id}"


def log_in(page, live_server, email="admin@acme.test", path="/login/"):
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def open_integration(page, live_server, integration, query=""):
    page.goto(f"{live_server.url}/o/acme/integrations/{integration.public_id}/{query}")


def accept_confirmations(page):
    page.on("dialog", lambda dialog: dialog.accept())


def both_widths(page, screenshot, name):
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(LAPTOP)


def test_waiting_page_updates_itself_when_the_first_request_arrives(
    live_server, page, screenshot, acme, endpoint
):
    org, integration, token = acme
    log_in(page, live_server)
    open_integration(page, live_server, integration)
    expect(page.get_by_text("Waiting for your identity provider's first request")).to_be_visible()
    expect(page.get_by_text("This page updates itself")).to_be_visible()
    expect(page.get_by_text("No requests yet.")).to_be_visible()
    both_widths(page, screenshot, "integration-waiting")

    # The IdP's "Test connection": a real request; the open page notices it without a click.
    assert scim(endpoint, "GET", "/Users?startIndex=1&count=1", token)[0] == 200
    expect(page.get_by_text("Connected to Okta")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Waiting for your identity provider")).to_have_count(0)
    row = page.locator("table.activity tbody tr").first
    expect(row).to_contain_text("GET /Users?startIndex=1&count=1")
    expect(row).to_contain_text("200")
    expect(page.get_by_text(OKTA)).to_be_visible()
    screenshot(page, "integration-first-request")


def test_rotation_with_a_grace_period_then_revoking_the_old_token(
    live_server, page, screenshot, acme, endpoint
):
    org, integration, old_token = acme
    accept_confirmations(page)
    log_in(page, live_server)
    assert scim(endpoint, "GET", "/Users", old_token)[0] == 200
    open_integration(page, live_server, integration)

    page.get_by_text("Rotate token…").click()
    # Hours of grace are asked only when the old token is kept.
    page.get_by_label("Revoke the old token now").check()
    expect(page.get_by_label("Hours the old token keeps working")).to_be_hidden()
    page.get_by_label("Keep the old token working for a while").check()
    expect(page.get_by_label("Hours the old token keeps working")).to_be_visible()
    page.get_by_label("Hours the old token keeps working").fill("24")
    screenshot(page, "token-rotate-form")
    page.get_by_role("button", name="Rotate token", exact=True).click()

    page.wait_for_url("**/token/")
    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    new_token = page.get_by_label("Bearer Token", exact=True).input_value()
    assert new_token.startswith("mdscim_") and new_token != old_token
    screenshot(page, "token-rotated")

    # Both work during the grace period.
    assert scim(endpoint, "GET", "/Users", old_token)[0] == 200
    assert scim(endpoint, "GET", "/Users", new_token)[0] == 200

    page.get_by_role("link", name="I've copied the token — continue").click()
    countdown = page.locator(".notice .countdown")
    expect(countdown).to_have_text(re.compile(r"^2[34] h \d\d min left$"))
    expect(page.get_by_text("Works until")).to_be_visible()
    both_widths(page, screenshot, "integration-grace")

    # Revoke the old one now: refused from then on, and the page says so in words.
    old_prefix = integration.tokens.order_by("created_at").first().prefix
    page.get_by_role("button", name=f"Revoke token {old_prefix}").click()
    expect(page.get_by_text(f"Token {old_prefix}… is revoked")).to_be_visible()
    status, body = scim(endpoint, "GET", "/Users", old_token)
    assert status == 401 and body["schemas"] == [ERROR_SCHEMA]
    assert scim(endpoint, "GET", "/Users", new_token)[0] == 200
    assert scim(endpoint, "GET", "/Users", old_token)[0] == 401  # the latest thing: a refusal
    page.reload()
    expect(page.get_by_text("Request refused: the token was revoked or has expired")).to_be_visible()
    expect(page.get_by_text("Revoked token.").first).to_be_visible()
    expect(page.get_by_text("Rotated the token; the previous token stops working on")).to_be_visible()
    both_widths(page, screenshot, "integration-refused")


def test_disabling_refuses_the_idp_with_a_scim_error_until_enabled(
    live_server, page, screenshot, acme, endpoint
):
    org, integration, token = acme
    accept_confirmations(page)
    log_in(page, live_server)
    assert scim(endpoint, "GET", "/Users", token)[0] == 200
    open_integration(page, live_server, integration)

    page.get_by_role("button", name="Disable").click()
    expect(
        page.get_by_text("The integration is disabled: your identity provider's requests are refused.")
    ).to_be_visible()
    status, body = scim(
        endpoint, "POST", "/Users", token, {"schemas": [USER_SCHEMA], "userName": "x@acme.test"}
    )
    assert status == 403
    assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == "403" and "disabled" in body["detail"]
    assert not ScimUser.objects.filter(user_name="x@acme.test").exists()
    page.reload()
    expect(page.get_by_text("Request refused: the integration is disabled", exact=True)).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Disabled")
    screenshot(page, "integration-disabled")

    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_text("The integration is enabled")).to_be_visible()
    assert scim(endpoint, "GET", "/Users", token)[0] == 200


def test_deleting_the_integration_keeps_its_people(live_server, page, screenshot, acme, endpoint):
    org, integration, token = acme
    status, created = scim(
        endpoint,
        "POST",
        "/Users",
        token,
        {
            "schemas": [USER_SCHEMA],
            "userName": "kim@acme.test",
            "name": {"givenName": "Kim", "familyName": "Keep"},
            "emails": [{"value": "kim@acme.test", "primary": True}],
        },
    )
    assert status == 201
    status, _ = scim(
        endpoint,
        "POST",
        "/Groups",
        token,
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Keepers",
            "members": [{"value": created["id"]}],
        },
    )
    assert status == 201
    log_in(page, live_server)
    open_integration(page, live_server, integration)
    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete this integration?")).to_be_visible()
    screenshot(page, "integration-delete")
    page.get_by_role("button", name="Delete integration").click()

    page.wait_for_url("**/o/acme/integrations/")
    expect(page.get_by_text("The people and teams it provisioned stay")).to_be_visible()
    expect(page.get_by_text("Not connected yet.")).to_be_visible()
    assert scim(endpoint, "GET", "/Users", token)[0] == 401

    membership = Membership.objects.get(scim_user__scim_id=created["id"])
    assert membership.is_active
    page.get_by_role("navigation", name="Acme Corp").get_by_role("link", name="Members").click()
    row = page.get_by_role("row", name=re.compile("Kim Keep"))
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Formerly SCIM")
    screenshot(page, "members-after-delete")

    # The team it pushed stays, says its integration is gone, and can be deleted after confirming.
    accept_confirmations(page)
    page.get_by_role("navigation", name="Acme Corp").get_by_role("link", name="Teams").click()
    team = page.get_by_role("row", name=re.compile("Keepers"))
    expect(team).to_contain_text("SCIM (integration deleted)")
    expect(page.get_by_text("pushed by an integration that has since been deleted")).to_be_visible()
    screenshot(page, "teams-after-delete")
    team.get_by_role("link", name=re.compile("Delete")).click()
    expect(page.get_by_role("heading", name="Delete team “Keepers”?")).to_be_visible()
    page.get_by_role("button", name="Delete team").click()
    expect(
        page.get_by_text("Team “Keepers” is deleted. Its members stay in the organization.")
    ).to_be_visible()
    expect(page.get_by_text("No teams yet")).to_be_visible()

    page.goto(f"{live_server.url}/o/acme/integrations/audit/")
    expect(page.get_by_text("Deleted SCIM integration “SCIM”; its users and groups stay")).to_be_visible()
    expect(page.get_by_text("Created SCIM integration “SCIM”")).to_be_visible()
    expect(page.get_by_text("Deleted team “Keepers”, whose integration had been deleted")).to_be_visible()
    both_widths(page, screenshot, "audit-trail")


def _seed_idp_traffic(endpoint, token):
    """An IdP's afternoon: people created, one renamed, one deactivated, a group, a conflict."""
    ids = {}
    for user_name, given, family in [
        ("alice@acme.test", "Alice", "Johnson"),
        ("bob@acme.test", "Bob", "Martinez"),
        ("carol@acme.test", "Carol", "White"),
    ]:
        status, doc = scim(
            endpoint,
            "POST",
            "/Users",
            token,
            {
                "schemas": [USER_SCHEMA],
                "userName": user_name,
                "externalId": f"00u-{given.lower()}",
                "name": {"givenName": given, "familyName": family},
                "emails": [{"value": user_name, "primary": True, "type": "work"}],
                "title": "Engineer",
            },
        )
        assert status == 201, doc
        ids[user_name] = doc["id"]
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}
    assert (
        scim(
            endpoint,
            "PATCH",
            f"/Users/{ids['carol@acme.test']}",
            token,
            {**patch, "Operations": [{"op": "replace", "value": {"active": False}}]},
        )[0]
        == 200
    )
    status, group = scim(
        endpoint,
        "POST",
        "/Groups",
        token,
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
            "members": [{"value": ids["alice@acme.test"]}, {"value": ids["bob@acme.test"]}],
        },
    )
    assert status == 201
    # Okta pushes a second Alice under the same userName: a conflict the admin must resolve.
    assert (
        scim(
            endpoint,
            "POST",
            "/Users",
            token,
            {"schemas": [USER_SCHEMA], "userName": "Alice@acme.test", "externalId": "00u-alice2"},
        )[0]
        == 409
    )
    assert scim(endpoint, "GET", "/Users?filter=userName%20eq%20%22dave%40acme.test%22", token)[0] == 200
    assert scim(
        endpoint,
        "PATCH",
        f"/Groups/{group['id']}",
        token,
        {**patch, "Operations": [{"op": "remove", "path": 'members[value eq "nope"]'}]},
    )[0] in (200, 204, 400)
    assert scim(endpoint, "GET", "/Users", "mdscim_wrong-token")[0] == 401
    return ids


def test_activity_filters_and_a_persons_history(live_server, page, screenshot, acme, endpoint):
    org, integration, token = acme
    ids = _seed_idp_traffic(endpoint, token)
    log_in(page, live_server)
    open_integration(page, live_server, integration)
    rows = page.locator("table.activity tbody tr")
    total = rows.count()
    assert total == RequestRecord.objects.filter(integration=integration).count()
    expect(page.get_by_text("userName already taken.").first).to_be_visible()
    both_widths(page, screenshot, "integration-activity")

    # Errors only: the conflict and the refusal, each explained.
    page.get_by_label("Errors only").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(re.compile(r"\d+ matching requests?"))).to_be_visible()
    for status in rows.locator("td[data-label=Status]").all_inner_texts():
        assert int(status) >= 400
    conflict = page.get_by_role("row", name=re.compile("409"))
    expect(conflict).to_contain_text(
        "It now belongs to Alice Johnson (active, managed by the integration “SCIM”)"
    )
    expect(conflict).to_contain_text("Next step")
    expect(page.get_by_role("row", name=re.compile("401"))).to_contain_text("Unknown token")
    both_widths(page, screenshot, "activity-errors")

    # By resource: groups only.
    page.get_by_label("Errors only").uncheck()
    page.get_by_label("Resource").select_option(label="Groups")
    page.get_by_role("button", name="Filter").click()
    for request in rows.locator("td[data-label=Request]").all_inner_texts():
        assert "/Groups" in request
    expect(page.get_by_label("Resource")).to_have_value("Group")

    # By person: everything about Carol, by her userName.
    page.get_by_label("Resource").select_option(label="Users and groups")
    page.get_by_label("Person").fill("carol@acme.test")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)  # created, then deactivated
    expect(rows.first).to_contain_text("PATCH /Users/")
    screenshot(page, "activity-person")
    page.get_by_label("Person").fill("no-such-person")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No requests match these filters.")).to_be_visible()
    page.get_by_role("link", name="Clear the filters").click()
    expect(rows).to_have_count(total)

    # From the conflict to the person holding the userName, and what the IdP did to them.
    page.get_by_role("link", name="Open Alice Johnson").first.click()
    expect(page.get_by_role("heading", name="Alice Johnson")).to_be_visible()
    expect(page.get_by_text("Read-only here: your identity provider owns these fields.")).to_be_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="What the IdP did"))
    expect(history.locator("tbody tr").first).to_contain_text("409")  # the newest: the conflict
    expect(history).to_contain_text("POST /Users")
    both_widths(page, screenshot, "member-detail")

    # A deactivated person's history stays visible.
    carol = Membership.objects.get(scim_user__scim_id=ids["carol@acme.test"])
    page.goto(f"{live_server.url}/o/acme/members/{carol.pk}/")
    expect(page.get_by_text("access to Acme Corp has ended")).to_be_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="What the IdP did"))
    expect(history.locator("tbody tr")).to_have_count(2)
    screenshot(page, "member-deactivated")


def test_staff_troubleshoot_in_django_admin(live_server, page, screenshot, acme, endpoint):
    org, integration, token = acme
    _seed_idp_traffic(endpoint, token)
    services.token_rotate(integration=integration, grace=timedelta(hours=2))
    globex, globex_token = make_integration(OrganizationFactory(name="Globex", slug="globex"))
    assert scim(f"{live_server.url}/scim/v2/{globex.public_id}", "GET", "/Users", "mdscim_nope")[0] == 401
    UserFactory(email="staff@massdriver.test", full_name="Sam Staff", is_staff=True, is_superuser=True)
    accept_confirmations(page)
    page.set_viewport_size({"width": 1280, "height": 900})  # a laptop, Django admin's sidebar included

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_label("Email").fill("staff@massdriver.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Request records").click()

    # Filter to failures of this organization, then search a person by email.
    page.get_by_role("link", name="Failed (4xx/5xx)").click()
    page.locator("#changelist-filter").get_by_role("link", name="Acme Corp").click()
    result = page.locator("#result_list tbody tr")
    for status in result.locator("td.field-status").all_inner_texts():
        assert int(status) >= 400
    expect(result.filter(has_text="409")).to_have_count(1)
    assert "Globex" not in " ".join(result.all_inner_texts())
    screenshot(page, "admin-requests")
    page.goto(f"{live_server.url}/admin/scim/requestrecord/?q=bob%40acme.test")
    expect(result.first).to_contain_text("bob@acme.test")
    assert "alice" not in " ".join(result.all_inner_texts()).lower()

    # Read-only: a record opens without a Save button.
    result.first.locator("th a, td a").first.click()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)

    # A staff action is audited, marked as staff, and the org's admins see it.
    page.goto(f"{live_server.url}/admin/integrations/integration/")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("disable_integrations")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Disabled 1 integration(s).")).to_be_visible()
    page.goto(f"{live_server.url}/admin/integrations/auditevent/")
    expect(page.get_by_text("(by staff, in Django admin)").first).to_be_visible()
    # The whole list fits the laptop's width: the summary is on screen, not scrolled away.
    summary = page.locator("#result_list td.field-summary").first.bounding_box()
    assert summary["x"] + summary["width"] <= 1280
    screenshot(page, "admin-audit")


def test_a_group_role_is_confirmed_where_the_admin_is_looking(live_server, page, screenshot, acme, endpoint):
    org, integration, token = acme
    _seed_idp_traffic(endpoint, token)
    log_in(page, live_server)
    open_integration(page, live_server, integration)
    page.get_by_label("Role granted by Engineering").select_option(label="Admin")
    page.get_by_role("button", name="Save role for Engineering").click()
    message = page.get_by_text(
        "Saved: members of “Engineering” are admins for as long as they are in the group."
    )
    expect(message).to_be_visible()
    expect(message).to_be_in_viewport()  # not at the top of the page, scrolled away
    expect(page.get_by_label("Role granted by Engineering")).to_have_value("admin")
    screenshot(page, "group-role-saved")


def test_the_idp_refused_the_last_admin_so_the_admin_makes_another_one_and_the_retry_passes(
    live_server, page, screenshot, acme, endpoint
):
    """An admin tested the IdP with their own account: the IdP's user was linked to them, and
    unassigning it was refused (409: the last active admin). The page says why and what to do;
    the admin makes someone else an admin on that person's page; the IdP's retry then passes."""
    org, integration, token = acme
    max_member = MembershipFactory(
        organization=org, user__email="max@acme.test", user__full_name="Max Member"
    )
    status, created = scim(
        endpoint,
        "POST",
        "/Users",
        token,
        {
            "schemas": [USER_SCHEMA],
            "userName": "admin@acme.test",
            "emails": [{"value": "admin@acme.test", "primary": True}],
            "active": True,
        },
    )
    assert status == 201
    unassign = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    status, refused = scim(endpoint, "PATCH", f"/Users/{created['id']}", token, unassign)
    assert status == 409
    assert refused["detail"].startswith("This person is the organization's last active administrator")

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    log_in(page, live_server)
    open_integration(page, live_server, integration, "?only_errors=on")
    row = page.locator("table.activity tbody tr").first
    expect(row).to_contain_text("409")
    expect(row).to_contain_text("Last admin kept.")
    expect(row).to_contain_text("on their page (Members), under Role, choose Admin")
    expect(row).not_to_contain_text("userName already taken")
    screenshot(page, "activity-last-admin")

    # Her own page: she can't give up the role either, and the page says why.
    admin = Membership.objects.get(organization=org, user__email="admin@acme.test")
    page.goto(f"{live_server.url}/o/acme/members/{admin.pk}/")
    role = page.locator("section", has=page.get_by_role("heading", name="Role"))
    expect(role).to_contain_text("You are the only admin of Acme Corp who can sign in")
    expect(role.get_by_role("button", name="Member")).to_be_disabled()

    # Max's page: Member | Admin, and Admin asks first.
    page.goto(f"{live_server.url}/o/acme/members/{max_member.pk}/")
    role = page.locator("section", has=page.get_by_role("heading", name="Role"))
    expect(role.get_by_role("button", name="Member")).to_have_attribute("aria-pressed", "true")
    role.get_by_role("button", name="Admin").click()
    expect(role.get_by_text("Saved: Max Member (max@acme.test) is an admin of Acme Corp.")).to_be_visible()
    assert dialogs == [
        "Make Max Member an admin of Acme Corp? They can then manage its integrations and tokens, the "
        "roles its groups grant, and who is an admin."
    ]
    expect(role.get_by_role("button", name="Admin")).to_have_attribute("aria-pressed", "true")
    screenshot(page, "member-role-saved")

    # The IdP retries: now it may end her access, which ends at once.
    assert scim(endpoint, "PATCH", f"/Users/{created['id']}", token, unassign)[0] == 200
    response = page.goto(f"{live_server.url}/o/acme/members/")
    assert response.status == 404


# Whether the text of `element` from `start` to `end` (first occurrences) is laid out left to right.
LAID_OUT_LEFT_TO_RIGHT = """([element, start, end]) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const i = node.data.indexOf(start), j = node.data.indexOf(end, i + 1);
    if (i < 0 || j < 0) continue;
    const left = (k) => { const r = document.createRange(); r.setStart(node, k); r.setEnd(node, k + 1);
                          return r.getBoundingClientRect().left; };
    return left(i) < left(j);
  }
  return null;
}"""


def test_a_username_with_a_right_to_left_override_does_not_reverse_the_activity(
    live_server, page, screenshot, acme, endpoint
):
    # Found by an adversarial run: a userName holding U+202E turned the rest of its activity
    # entry ("(access ended; records kept)") backwards, so the entry read as something else.
    _, integration, token = acme
    name = "mallory\u202emoc.evil@acme.test"
    status, created = scim(endpoint, "POST", "/Users", token, {"schemas": [USER_SCHEMA], "userName": name})
    assert status == 201
    assert scim(endpoint, "DELETE", f"/Users/{created['id']}", token)[0] == 204
    log_in(page, live_server)
    open_integration(page, live_server, integration)
    outcome = page.locator("table.activity tbody tr").first.locator(".outcome")
    assert "(access ended; records kept)" in outcome.inner_text()
    assert page.evaluate(LAID_OUT_LEFT_TO_RIGHT, [outcome.element_handle(), "records", "kept"]) is True
    screenshot(page, "activity-right-to-left-override", element=outcome)
