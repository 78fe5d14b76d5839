"""Production error pages carry the site's look (never Django's bare ones); the SCIM API keeps
answering SCIM JSON; the favicon exists on every page."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.fixture
def production_errors(settings):
    settings.DEBUG = False


def test_a_missing_page_is_the_sites_404(client, db, production_errors):
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body and "Massdriver" in body and 'href="/static/css/app.css"' in body
    assert reverse("guides:list") in body


def test_the_404_is_the_same_for_every_missing_thing(admin_client, org, production_errors):
    # An organization you are not in answers exactly like one that does not exist.
    nowhere = admin_client.get("/o/no-such-org/members/")
    other = admin_client.get("/o/acme/members/999999/")
    assert nowhere.status_code == other.status_code == 404
    assert nowhere.content == other.content


def test_a_scim_404_is_still_a_scim_error(client, db, production_errors):
    response = client.get("/scim/v2/" + "0" * 32 + "/Users", HTTP_AUTHORIZATION="Bearer nope")
    assert response["Content-Type"].startswith("application/scim+json")
    assert b"<html" not in response.content


def _site_page(body: str) -> bool:
    return "Massdriver" in body and 'href="/static/css/app.css"' in body


def test_an_admin_only_page_tells_a_member_why_in_the_sites_layout(member_client, org, production_errors):
    # Found by an adversarial run: a bare "403 Forbidden", without the view's reason.
    response = member_client.get(reverse("integrations:list", args=[org.slug]))
    body = response.content.decode()
    assert response.status_code == 403 and _site_page(body)
    assert "Only the organization&#x27;s admins" in body or "Only the organization's admins" in body


def test_an_expired_form_says_so_in_the_sites_layout(db, production_errors):
    # Log in in one tab, submit the login form of another: Django's stock CSRF page before.
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("login"), {"username": "a@b.test", "password": "x"})
    body = response.content.decode()
    assert response.status_code == 403 and _site_page(body) and "This form has expired" in body
    assert "DEBUG" not in body


def test_a_host_this_site_does_not_serve_gets_the_sites_400(client, db, production_errors, settings):
    settings.ALLOWED_HOSTS = ["scim.example.com"]
    response = client.get("/login/", HTTP_HOST="evil.example")
    body = response.content.decode()
    assert response.status_code == 400 and _site_page(body) and "host name" in body


def test_the_500_page_renders_without_a_request(db):
    from django.template.loader import render_to_string

    body = render_to_string("500.html")
    assert "Something went wrong" in body and "logged" in body and "/static/css/app.css" in body


def test_server_errors_use_it(db, production_errors):
    from django.views import defaults

    response = defaults.server_error(Client().get("/").wsgi_request)
    assert response.status_code == 500 and b"Something went wrong" in response.content


def test_pages_link_a_favicon_and_favicon_ico_exists(admin_client, org):
    body = admin_client.get(reverse("organizations:members", args=[org.slug])).content.decode()
    assert 'rel="icon"' in body
    response = admin_client.get("/favicon.ico")
    assert response.status_code == 301
    icon = admin_client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content if icon.streaming else [icon.content])[:4] == b"\x00\x00\x01\x00"


def test_django_admin_pages_link_the_favicon_too(client, db):
    body = client.get("/admin/login/").content.decode()
    assert 'rel="icon"' in body and "Django administration" in body
