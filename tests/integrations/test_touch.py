"""When the IdP last reached us, per integration and per token, without a write per request."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import Integration, IntegrationToken
from integrations.services import integration_touch, token_rotate
from integrations.tokens import digest_token

OKTA = "Okta SCIM Client 1.0.0"


def _touch(integration_pk: int, raw: str) -> None:
    """What a SCIM request does: its integration and token as the authentication loaded them."""
    integration = Integration.objects.get(pk=integration_pk)
    token = IntegrationToken.objects.get(digest=digest_token(raw))
    integration_touch(integration=integration, client=OKTA, idp="Okta", token=token)


def _updates(run) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def test_a_new_tokens_first_use_is_noted_even_when_the_integration_was_just_reached(integration_and_token):
    integration, old = integration_and_token
    _touch(integration.pk, old)  # the old token keeps the integration's row fresh
    new = token_rotate(integration=integration, grace=timedelta(hours=1))
    _touch(integration.pk, new)
    assert IntegrationToken.objects.get(digest=digest_token(new)).last_used_at is not None


def test_each_token_is_written_at_most_once_a_minute(integration_and_token):
    integration, old = integration_and_token
    new = token_rotate(integration=integration, grace=timedelta(hours=1))
    _touch(integration.pk, old)
    _touch(integration.pk, new)
    assert _updates(lambda: [_touch(integration.pk, raw) for raw in (old, new, old, new)]) == []

    # A minute later, the next use of a token notes it again.
    IntegrationToken.objects.filter(digest=digest_token(new)).update(
        last_used_at=timezone.now() - timedelta(seconds=61)
    )
    before = IntegrationToken.objects.get(digest=digest_token(new)).last_used_at
    assert len(_updates(lambda: _touch(integration.pk, new))) == 1
    assert IntegrationToken.objects.get(digest=digest_token(new)).last_used_at > before


def test_the_tokens_table_shows_a_token_used_a_moment_ago(admin_client, org):
    from django.urls import reverse

    from tests.factories import make_integration

    integration, old = make_integration(org)
    _touch(integration.pk, old)
    new = token_rotate(integration=integration, grace=timedelta(hours=1))
    _touch(integration.pk, new)
    body = admin_client.get(
        reverse("integrations:detail", args=[org.slug, integration.public_id])
    ).content.decode()
    tokens = body[body.index('id="tokens-h"') : body.index('id="groups-h"')]
    assert "Never" not in tokens
