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
