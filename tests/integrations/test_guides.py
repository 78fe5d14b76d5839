"""The IdP setup guides (docs/idp/*.md) are public pages, linked from the Integrations pages."""

import re

import pytest
from django.urls import reverse

from integrations.guides import GUIDES, guide_dir
from tests.factories import make_integration

SLUGS = [guide.slug for guide in GUIDES]

# What a guide must say for its IdP: the console's field names for the URL and the token.
FIELDS = {
    "okta": ["SCIM connector base URL", "HTTP Header", "Test Connector Configuration", "Assignments"],
    "entra-id": [
        "Tenant URL",
        "Secret Token",
        "Test Connection",
        "aadOptscim062020",
        "Sync only assigned users and groups",
    ],
    "onelogin": ["SCIM Base URL", "SCIM Bearer Token", "SCIM JSON Template", "API Connection"],
    "jumpcloud": ["Base URL", "Token Key", "Test User Email", "User Groups"],
    "generic": ["Rippling", "PingFederate", "Google Workspace", "ServiceProviderConfig"],
}


@pytest.mark.parametrize("slug", SLUGS)
def test_every_guide_has_a_markdown_source(slug):
    assert (guide_dir() / f"{slug}.md").is_file()


@pytest.mark.parametrize("slug", SLUGS)
def test_guide_page_renders_without_login(client, db, slug):
    response = client.get(f"/docs/idp/{slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "<table>" in html
    for text in ["SCIM Endpoint URL", "Bearer Token", "Troubleshooting", "userName", *FIELDS[slug]]:
        assert text in html, f"{slug} guide lacks {text!r}"


@pytest.mark.parametrize("slug", SLUGS)
def test_links_between_guides_point_at_guide_pages(client, db, slug):
    html = client.get(f"/docs/idp/{slug}/").content.decode()
    assert not re.search(r'href="[a-z-]+\.md', html)
    for href in set(re.findall(r'href="(/docs/idp/[^"#]*)', html)):
        assert client.get(href).status_code == 200, href


def test_guide_index_lists_every_guide(client, db):
    html = client.get("/docs/idp/").content.decode()
    for slug in SLUGS:
        assert reverse("guides:detail", args=[slug]) in html


@pytest.mark.parametrize("slug", ["nope", "..", "okta.md", "README"])
def test_unknown_guides_are_404(client, db, slug):
    assert client.get(f"/docs/idp/{slug}/").status_code == 404


def test_integrations_pages_link_to_every_guide(admin_client, org):
    html = admin_client.get(reverse("integrations:list", args=[org.slug])).content.decode()
    integration, _ = make_integration(organization=org)
    detail = admin_client.get(
        reverse("integrations:detail", args=[org.slug, integration.public_id])
    ).content.decode()
    for slug in SLUGS:
        assert f'href="/docs/idp/{slug}/"' in html
        assert f'href="/docs/idp/{slug}/"' in detail


def _html(client, slug):
    return client.get(f"/docs/idp/{slug}/").content.decode()


def _troubleshooting_table(slug):
    text = (guide_dir() / f"{slug}.md").read_text(encoding="utf-8")
    section = text[text.index("## Troubleshooting") :]
    return section.split("\n\n### ")[0].split("\n\nOther identity providers")[0]


def test_the_troubleshooting_table_is_the_same_in_every_guide():
    tables = {slug: _troubleshooting_table(slug) for slug in SLUGS}
    assert len(set(tables.values())) == 1, [slug for slug in SLUGS if tables[slug] != tables["okta"]]


def test_troubleshooting_quotes_what_the_service_really_answers():
    from scim.middleware import _generic_detail
    from scim.protocol.resources import SCIM_1_DETAIL

    table = _troubleshooting_table("okta")
    # A wrong or missing integration id never reaches an integration: the IdP alone sees it.
    wrong_id = _generic_detail(404).replace("<integration id>", "&lt;integration id&gt;")
    assert f'404 "{wrong_id}" (seen only in the IdP)' in table
    assert '404 "No SCIM endpoint at …. Resources live at /Users and /Groups."' in table
    assert '404 "User Users not found."' in table and "`POST /Users/Users`" in table
    assert SCIM_1_DETAIL in table
    assert "Every failed request appears" not in table
    assert "appears on no integration's page" in table


@pytest.mark.parametrize("slug", SLUGS)
def test_raw_html_in_a_guide_is_shown_as_text(client, db, slug):
    html = _html(client, slug)
    assert "<token>" not in html and "<integration id>" not in html
    assert "&lt;token&gt;" in html  # "not 'Bearer <token>'" reads as written


def test_the_renderer_escapes_raw_html():
    from integrations.guides import render_guide

    assert "&lt;token&gt;" in render_guide("okta")


@pytest.mark.parametrize("slug", SLUGS)
def test_every_guide_warns_against_testing_with_your_own_account(client, db, slug):
    html = _html(client, slug)
    assert 'id="before-you-start-test-with-a-separate-person"' in html
    assert html.index("Before you start") < html.index("1. Get the SCIM Endpoint URL")
    assert "that member is linked to the IdP's user" in html
    # The IdP can't end the last active admin's access (a 409); it can rename members it links
    # to, and end any other admin's access.
    assert "even if they are the organization's only admin" not in html
    assert "The one exception is the organization's <strong>last active admin</strong>" in html
    assert "renames them to the name it sends" in html
    assert "Any other admin the IdP manages loses access" in html


@pytest.mark.parametrize("slug", SLUGS)
def test_guides_say_what_customers_can_see_and_do(client, db, slug):
    text = (guide_dir() / f"{slug}.md").read_text(encoding="utf-8")
    assert "README" not in text  # customers can't read it
    assert "organization's menu" not in text  # Integrations is a tab beside Members and Teams
    assert "the **Integrations** tab (next to **Members** and **Teams**)" in text
    assert "Within a minute the integration's page shows" not in text  # it reloads only while waiting
    assert "**Groups and roles**" in text and "**Admin**" in text


def test_okta_deactivation_matches_the_app_type_the_guide_creates():
    text = (guide_dir() / "okta.md").read_text(encoding="utf-8")
    assert "**Create App Integration**" in text
    assert "unassigning them shows `PATCH" not in text
    assert "Unassigning them shows `PUT /Users/…` (200, *Deactivated user …*)" in text


def test_onelogin_guide_uses_onelogin_placeholders_and_the_content_type_setting():
    text = (guide_dir() / "onelogin.md").read_text(encoding="utf-8")
    assert "{$parameters.title}" in text and "{$parameters.department}" in text
    assert "{$user.title}" not in text and "{$user.department}" not in text
    assert "answers OneLogin in `application/json`" not in text
    # The Settings card's control is a dropdown named "Answer in", saved with its own button.
    assert "**Answer in application/json**" not in text
    assert "set **Answer in** to **application/json (for OneLogin)** and click **Save**" in text
    assert "asks for `application/scim+json` still gets it" in text
    assert (
        "refused\nbefore its token is checked (a 401) is answered by the request's own content type" in text
    )
    assert 'an empty value is refused with 400 "active must be a\n  boolean"' in text
    assert "**Delete** sends `DELETE /Users/…`" in text and "brings back\n      the same person" in text


def test_a_logged_in_admin_finds_the_way_back_to_integrations(admin_client, org):
    html = admin_client.get("/docs/idp/okta/").content.decode()
    crumbs = html[html.index('class="breadcrumbs"') :].split("</nav>")[0]
    assert f'href="{reverse("integrations:list", args=[org.slug])}"' in crumbs
    index = admin_client.get("/docs/idp/").content.decode()
    assert reverse("integrations:list", args=[org.slug]) in index


def test_anonymous_readers_and_members_get_no_integrations_link(member_client, org):
    from django.test import Client

    for viewer in (Client(), member_client):
        html = viewer.get("/docs/idp/okta/").content.decode()
        assert "/integrations/" not in html


def test_the_setting_the_guides_name_is_the_one_on_the_page(admin_client, org):
    integration, _ = make_integration(org)
    page = admin_client.get(reverse("integrations:detail", args=[org.slug, integration.public_id]))
    html = page.content.decode()
    assert '<label for="id_response_media_type">Answer in</label>' in html
    assert ">application/json (for OneLogin)</option>" in html
    for slug in ("onelogin", "generic"):
        text = (guide_dir() / f"{slug}.md").read_text(encoding="utf-8")
        assert "**Answer in**" in text and "**application/json (for OneLogin)**" in text, slug


def test_the_onelogin_template_sends_every_attribute_the_table_recommends():
    text = (guide_dir() / "onelogin.md").read_text(encoding="utf-8")
    template = text.split("A template that sends")[1].split("```json")[1].split("```")[0]
    for attribute in ("userName", "externalId", "displayName", "givenName", "familyName", "emails"):
        assert f'"{attribute}"' in template, attribute
    assert '"externalId": "{$user.id}"' in template
    # `active` is recommended too, and deliberately left out of the template: the guide says why.
    assert '"active"' not in template and "Leave `active` out of the template" in text


def test_each_guide_names_its_own_idp_in_the_example_integration_name():
    names = {"okta": "Okta", "entra-id": "Entra ID", "onelogin": "OneLogin", "jumpcloud": "JumpCloud"}
    for slug in SLUGS:
        text = (guide_dir() / f"{slug}.md").read_text(encoding="utf-8")
        example = text.split("give the integration a **Name**")[1].split("leave **Authentication Type**")[0]
        if slug in names:
            assert f"`{names[slug]} production`" in example, slug
        else:
            assert "Okta" not in example, slug


@pytest.mark.parametrize("slug", SLUGS)
def test_every_guide_explains_each_role_a_group_can_grant(slug):
    text = (guide_dir() / f"{slug}.md").read_text(encoding="utf-8")
    section = text.split("**Give a team a role.**")[1].split("\n\n## ")[0]
    assert "- **Admin**:" in section and "- **Member**:" in section and "- **No role**:" in section
    assert "hands the choice of admins to the IdP" in section
    assert "last active admin" in section and "409" in section
    assert "It changes nothing for them" in section
    assert "under **Role**" in section  # the person page's own control


def test_the_role_choices_the_guides_explain_are_the_ones_on_the_page(admin_client, org):
    from organizations.models import Team
    from tests.factories import make_scim_group

    integration, _ = make_integration(org)
    make_scim_group(integration, "Engineering")
    assert Team.objects.filter(name="Engineering").exists()
    html = admin_client.get(reverse("integrations:detail", args=[org.slug, integration.public_id])).content
    for label in ("No role", "Member", "Admin"):
        assert f">{label}</option>".encode() in html


def _escaped(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def test_troubleshooting_quotes_what_the_activity_says_for_every_refusal():
    from scim.activity import AUTH_FAILURES

    table = _troubleshooting_table("okta")
    assert "jwt" in AUTH_FAILURES  # Entra's empty Secret Token
    for outcome in AUTH_FAILURES.values():
        assert f"*{_escaped(outcome)}*" in table, outcome


def test_troubleshooting_has_a_row_for_the_last_admin_refusals():
    table = _troubleshooting_table("okta")
    row = next(line for line in table.splitlines() if line.startswith('| 409 "This person'))
    assert '"This person is the organization\'s last active administrator; …"' in row
    assert '"This change would leave the organization without an active administrator: …"' in row
    assert "Make someone else an admin first: on their page under **Members**, **Role → Admin**" in row
    assert "retry in the IdP" in row


def test_troubleshooting_tells_wrong_urls_apart():
    table = _troubleshooting_table("okta")
    rows = table.splitlines()
    unauthorized = next(line for line in rows if line.startswith('| 401 "The bearer token'))
    # A well-formed id that no integration has, or a deleted integration's: the same 401.
    assert "(check the endpoint URL too: a token only opens its own integration's URL)" in unauthorized
    assert "a deleted integration's URL, gets this same 401" in unauthorized
    # No /scim/ at all: Django's HTML page, not a SCIM error.
    assert any(line.startswith('| 404 with an HTML page, "Page not found"') for line in rows)
    assert '405 "The method POST is not allowed on this endpoint." for `POST /Users/Users`' in table
    assert "This method is not allowed" not in table


def test_okta_sends_a_409_task_to_the_rows_that_explain_it():
    text = (guide_dir() / "okta.md").read_text(encoding="utf-8")
    bullet = text.split('**A task "Automatic provisioning of user … failed" with a 409 message**')[1]
    bullet = bullet.split("\n- ")[0]
    assert "see the 409 row above" not in bullet
    assert "[Troubleshooting](#troubleshooting)" in bullet
    assert "last active\n  administrator" in bullet and "make someone else an admin first" in bullet


def test_jumpcloud_says_what_its_test_does_to_an_existing_members_email():
    text = (guide_dir() / "jumpcloud.md").read_text(encoding="utf-8")
    assert "**Use a dedicated Test User Email, never an existing member's (yours included).**" in text
    assert "*Created user …, linked to the existing member …*" in text
    assert "renamed *JumpCloud Test*" in text
    assert "Only the organization's last active admin is spared" in text
    assert "*Restored\ndeleted user …* instead of *Created user …*" in text
    assert "marked *Deleted by SCIM*" in text


def test_troubleshooting_quotes_the_405_as_the_service_answers_it(db, client):
    from scim.authentication import INVALID_TOKEN

    integration, token = make_integration()
    response = client.post(
        f"/scim/v2/{integration.public_id}/Users/Users",
        data="{}",
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 405
    table = _troubleshooting_table("okta")
    assert f'405 "{response.json()["detail"]}" for `POST /Users/Users`' in table
    # And the 401 as a well-formed id that no integration has gets it.
    unknown = client.get("/scim/v2/" + "0" * 32 + "/Users", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert unknown.status_code == 401 and unknown.json()["detail"] == INVALID_TOKEN
    assert f'401 "{INVALID_TOKEN}"' in table
    # A URL without /scim/ reaches the web pages: Django's HTML 404, as the row says.
    html = client.get(f"/{integration.public_id}/Users", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert html.status_code == 404 and html["Content-Type"].startswith("text/html")
    assert "<title>Page not found" in html.content.decode()
