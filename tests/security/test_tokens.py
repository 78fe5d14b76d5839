"""Bearer tokens: 256 random bits with a recognisable prefix, stored only as a digest, compared in
constant time, and never written to a log, an activity record or any table."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from integrations import tokens
from integrations.models import Integration, IntegrationToken
from integrations.services import token_revoke, token_rotate
from scim.models import RequestRecord

from .conftest import PATCH_URN, USER_URN


def test_tokens_carry_256_random_bits_and_a_recognisable_prefix():
    made = [tokens.generate_token() for _ in range(200)]
    assert len({t.raw for t in made}) == 200
    for token in made:
        assert token.raw.startswith("mdscim_")
        secret = token.raw.removeprefix("mdscim_")
        # url-safe base64: 6 bits a character.
        assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert len(secret) * 6 >= 256
        assert token.digest == tokens.digest_token(token.raw) and token.raw not in token.digest
        assert token.prefix == token.raw[: len("mdscim_") + 4]
    # The characters used spread over the whole alphabet (a crude check that it is random).
    alphabet = {c for t in made for c in t.raw.removeprefix("mdscim_")}
    assert len(alphabet) > 60
    assert math.log2(64) * 43 >= 256


def test_the_digest_comparison_is_constant_time(monkeypatch):
    seen = []
    import hmac

    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: seen.append(1) or real(a, b))
    assert tokens.digests_match("a" * 64, "a" * 64) and not tokens.digests_match("a" * 64, "b" * 64)
    assert len(seen) == 2


def _every_stored_text() -> str:
    """Every column of every row of every table of the project's apps, as one string."""
    parts = []
    for model in apps.get_models():
        if model._meta.app_label not in {"organizations", "integrations", "scim", "sessions", "admin"}:
            continue
        for row in model.objects.all().values_list():
            parts.append(repr(row))
    return "\n".join(parts)


def test_a_provisioning_session_logs_and_stores_no_token(scim, settings, caplog, client):
    """Every logger at DEBUG, SQL logging on, a session with successes, refusals, a revoked token
    and an unexpected error: the raw token (or its secret part) appears nowhere."""
    settings.DEBUG = True  # Django logs every SQL statement with its parameters
    caplog.set_level(logging.DEBUG)
    names = ["django", "django.db.backends", "django.request", "scim", "integrations", ""]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    raw = scim.token
    try:
        user = scim.create_user(
            "logged@example.test",
            password="Hunter2-very-secret",
            emails=[{"value": "logged@example.test", "primary": True}],
        )
        scim.request(
            "PATCH",
            f"/Users/{user['id']}",
            {
                "schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "path": "password", "value": "Another-secret-9"}],
            },
        )
        scim.get("/Users?filter=userName%20eq%20%22logged@example.test%22")
        scim.get(f"/Users/{user['id']}")
        scim.create_group("Logged", members=[user["id"]])
        scim.post("/Users", {"schemas": [USER_URN], "userName": "logged@example.test"})  # 409
        scim.get("/Users", token=raw + "x")  # a near miss
        scim.get("/Users", token=raw.upper())
        client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Basic {raw}")
        client.get(f"{scim.base}/Users?access_token={raw}")
        new = token_rotate(integration=scim.integration, grace=timedelta(minutes=5))
        scim.get("/Users", token=new)
        token_revoke(token=IntegrationToken.objects.get(digest=tokens.digest_token(new)))
        scim.get("/Users", token=new)  # revoked
        import dataclasses

        import scim.views as views

        real = views.UsersView.kind
        views.UsersView.kind = dataclasses.replace(
            real, list=lambda **kw: (_ for _ in ()).throw(RuntimeError("boom"))
        )
        try:
            assert scim.get("/Users").status_code == 500
        finally:
            views.UsersView.kind = real
    finally:
        connection.force_debug_cursor = False
        # Left at DEBUG, django.template would log whole contexts later on, and the repr of a
        # queryset in a context runs a query: other tests' query counts would change.
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    # What any handler would write: the formatted records, their messages and tracebacks.
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "SELECT" in logged  # SQL really was logged
    stored = _every_stored_text()
    for secret in (raw, raw.removeprefix("mdscim_"), new, new.removeprefix("mdscim_")):
        assert secret not in logged
        assert secret not in stored
    for password in ("Hunter2-very-secret", "Another-secret-9"):
        assert password not in stored
    # A token sent in the query string (never accepted) is redacted from the recorded path.
    assert RequestRecord.objects.filter(path__contains="access_token=[redacted]").exists()
    assert RequestRecord.objects.filter(integration=scim.integration).count() >= 10


def test_last_used_is_noted_without_a_write_on_every_request(scim, django_assert_max_num_queries):
    scim.get("/Users")  # first contact: noted
    token = scim.integration.tokens.get()
    first_seen = token.last_used_at
    assert first_seen is not None
    integration = Integration.objects.get(pk=scim.integration.pk)
    assert integration.last_request_at is not None
    # Within the minute, further requests write only their activity record.
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            scim.get("/Users")
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert updates == []
    token.refresh_from_db()
    assert token.last_used_at == first_seen
    # A minute later, the next request notes it again.
    Integration.objects.filter(pk=scim.integration.pk).update(
        last_request_at=timezone.now() - timedelta(minutes=2)
    )
    scim.get("/Users")
    token.refresh_from_db()
    assert token.last_used_at > first_seen


@pytest.mark.parametrize(
    "header, failure",
    [
        ("Bearer Bearer {token}", "double_bearer"),
        ("{token}", "no_scheme"),
        ("Basic {token}", "malformed"),
        ("", "missing"),
    ],
)
def test_a_mangled_authorization_header_is_the_same_401_and_recorded_as_what_it_is(scim, header, failure):
    # The IdP learns nothing it didn't know; the admin's page says what to fix.
    from scim.activity import AUTH_FAILURES
    from scim.authentication import INVALID_TOKEN
    from scim.models import RequestRecord

    extra = {"HTTP_AUTHORIZATION": header.format(token=scim.token)} if header else {}
    response = scim.client.get(f"{scim.base}/Users", **extra)
    assert response.status_code == 401 and response.json()["detail"] == INVALID_TOKEN
    assert RequestRecord.objects.filter(status=401).latest("id").outcome == AUTH_FAILURES[failure]
