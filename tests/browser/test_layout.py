"""Pages fit a phone: nothing widens the page past the screen, whatever the IdP sends."""

import pytest

from organizations.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, make_integration, make_scim_user

PASSWORD = "correct-horse-battery"
PHONE = {"width": 390, "height": 844}
LONG = "firstname.middlename.lastname.with.a.very.long.department.suffix@subsidiary.example-company.test"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_with_a_long_email_and_username_fits_a_phone(live_server, page, screenshot):
    org = OrganizationFactory(name="Acme Corp", slug="acme")
    MembershipFactory(organization=org, role=Role.ADMIN, user__email="admin@acme.test")
    integration, _ = make_integration(org)
    person = make_scim_user(
        integration,
        LONG,
        display_name="Maximiliana Bartholomew-Featherstonehaugh",
        email=LONG,
        external_id="00u" + "x" * 60,
        attributes={"emails": [{"value": LONG, "primary": True}]},
    )
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill("admin@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for path in (f"/o/acme/members/{person.membership_id}/", "/o/acme/members/", "/o/acme/teams/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    page.goto(f"{live_server.url}/o/acme/members/{person.membership_id}/")
    screenshot(page, "member-long-email-phone")


# Words of table cells (not code) that the browser split across lines in the middle of letters
# (a break at a hyphen or after punctuation is a sensible one).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.guide td, .guide th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('code')) continue;
      const re = /[\\p{L}\\p{N}]+/gu;
      let match;
      while ((match = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


# Code in table cells that the browser laid out on more than one line ("…schemas:e|xtension…",
# "userNa|me"): the tables scroll sideways, so code in them never needs to break.
BROKEN_CODE = """() => [...document.querySelectorAll('.guide td code, .guide th code')]
  .filter(code => new Set([...code.getClientRects()].map(r => Math.round(r.top))).size > 1)
  .map(code => code.textContent)"""
LAPTOP = {"width": 1280, "height": 800}
GUIDES = ["okta", "entra-id", "onelogin", "jumpcloud", "generic"]


@pytest.mark.parametrize("slug", GUIDES)
def test_guide_tables_scroll_on_a_phone_instead_of_breaking_words(live_server, page, slug):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/docs/idp/{slug}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(BROKEN_WORDS) == []
    assert page.evaluate(BROKEN_CODE) == []


@pytest.mark.parametrize("slug", GUIDES)
def test_code_in_guide_tables_stays_whole_at_laptop_width(live_server, page, slug):
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/docs/idp/{slug}/")
    assert page.evaluate(BROKEN_CODE) == []
    assert page.evaluate(BROKEN_WORDS) == []
    # The long URNs make the attribute table wider than the text: it scrolls, the page doesn't.
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
