"""Integrate → Authentication Type → the endpoint URL and the token, the token shown exactly once
and stored nowhere."""

import re

from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import models
from django.test import override_settings
from django.urls import reverse

from integrations.models import AuditEvent, Integration, IntegrationToken
from integrations.selectors import scim_base_url
from integrations.tokens import digest_token

TOKEN_RE = re.compile(r'id="bearer-token" value="([^"]+)"')


def _create(client, org):
    response = client.post(reverse("integrations:create", args=[org.slug]), {"auth_type": "token"})
    assert response.status_code == 302
    return response, client.get(response["Location"])


def test_integrations_page_has_the_scim_card_with_integrate(admin_client, org):
    body = admin_client.get(reverse("integrations:list", args=[org.slug])).content.decode()
    assert "SCIM" in body and "Integrate" in body
    assert reverse("integrations:create", args=[org.slug]) in body
    assert "Not connected yet" in body


def test_form_offers_authentication_type_token(admin_client, org):
    body = admin_client.get(reverse("integrations:create", args=[org.slug])).content.decode()
    assert '<label for="id_auth_type">Authentication Type</label>' in body
    assert '<option value="token" selected>Token</option>' in body


def test_unknown_authentication_type_is_refused(admin_client, org):
    response = admin_client.post(reverse("integrations:create", args=[org.slug]), {"auth_type": "oauth"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Integration.objects.exists()


def test_create_shows_url_and_token_once(admin_client, org, admin_membership):
    _, page = _create(admin_client, org)
    body = page.content.decode()
    integration = Integration.objects.get(organization=org)
    raw = TOKEN_RE.search(body).group(1)
    assert IntegrationToken.objects.get(integration=integration).digest == digest_token(raw)
    assert f"http://testserver/scim/v2/{integration.public_id}" in body
    assert "SCIM Endpoint URL" in body and "Bearer Token" in body
    assert body.count("data-copy-target") == 2
    assert "shown only once" in body
    assert "no-store" in page["Cache-Control"]
    assert integration.created_by == admin_membership.user
    assert AuditEvent.objects.filter(integration=integration, action="integration.created").exists()

    again = admin_client.get(page.wsgi_request.path)
    assert again.status_code == 200
    assert raw not in again.content.decode()
    assert "not shown again" in again.content.decode()
    # Nor on any other page of the integration.
    detail = admin_client.get(reverse("integrations:detail", args=[org.slug, integration.public_id]))
    assert raw not in detail.content.decode()
    assert raw[:11] in detail.content.decode()  # the non-secret prefix identifies it


def _text_fields(model):
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
    ]


def test_raw_token_is_in_no_database_table(admin_client, org):
    _, page = _create(admin_client, org)
    raw = TOKEN_RE.search(page.content.decode()).group(1)
    secret_part = raw.split("_", 1)[1]
    for model in apps.get_models():
        fields = _text_fields(model)
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            for value in row:
                assert secret_part not in str(value), f"token found in {model._meta.db_table}"
    # The session carried it from the POST to the page only; it is gone now.
    for session in Session.objects.all():
        assert secret_part not in str(SessionStore().decode(session.session_data))


@override_settings(PUBLIC_BASE_URL="https://scim.example.com")
def test_public_base_url_wins_over_the_request_host(admin_client, org):
    _, page = _create(admin_client, org)
    integration = Integration.objects.get()
    assert f"https://scim.example.com/scim/v2/{integration.public_id}" in page.content.decode()


def test_scim_base_url_builder(rf, org, settings):
    from tests.factories import make_integration

    integration, _ = make_integration(org)
    settings.PUBLIC_BASE_URL = ""
    request = rf.get("/", HTTP_HOST="127.0.0.1:8000")
    assert (
        scim_base_url(integration=integration, request=request)
        == f"http://127.0.0.1:8000/scim/v2/{integration.public_id}"
    )
    assert scim_base_url(integration=integration) == f"http://127.0.0.1:8000/scim/v2/{integration.public_id}"
    assert (
        scim_base_url(integration=integration, base_url="https://x.test/")
        == f"https://x.test/scim/v2/{integration.public_id}"
    )
    settings.PUBLIC_BASE_URL = "https://scim.example.com"
    assert (
        scim_base_url(integration=integration, request=request)
        == f"https://scim.example.com/scim/v2/{integration.public_id}"
    )


def test_token_page_of_another_integration_never_leaks_a_stashed_token(admin_client, org):
    from tests.factories import make_integration

    response = admin_client.post(reverse("integrations:create", args=[org.slug]), {"auth_type": "token"})
    created = Integration.objects.get(organization=org)
    other, _ = make_integration(org)
    page = admin_client.get(reverse("integrations:token", args=[org.slug, other.public_id]))
    assert "bearer-token" not in page.content.decode()
    # The stashed token is still there for the integration it belongs to.
    assert "bearer-token" in admin_client.get(response["Location"]).content.decode()
    assert created.pk


def test_a_token_never_fetched_by_its_page_is_stored_nowhere_on_the_server(admin_client, org):
    """Between the POST and the token page the token travels in the admin's own browser (a signed,
    short-lived cookie scoped to that page), never in the session table or any other."""
    import json as _json

    from django.db import connection

    response = admin_client.post(reverse("integrations:create", args=[org.slug]), {"auth_type": "token"})
    cookie = response.cookies["new_scim_token"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == response["Location"]
    from django.test import RequestFactory

    reader = RequestFactory().get("/")
    reader.COOKIES["new_scim_token"] = cookie.value
    raw = _json.loads(reader.get_signed_cookie("new_scim_token", salt="integrations.new-token"))["token"]
    assert raw.startswith("mdscim_")
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            assert raw not in repr(cursor.fetchall()), table
