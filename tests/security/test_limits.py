"""Limits on what a client may send, each refused with a SCIM error (never a 5xx), each advertised
where SCIM has a place for it; the per-integration rate limit; any Unicode round-trips exactly."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache

from tests.scim.conftest import ScimClient

from .conftest import GROUP_URN, PATCH_URN, USER_URN, needs_postgres, scim_error


def test_a_body_over_the_limit_is_a_scim_413_and_the_limit_is_advertised(scim, settings):
    settings.SCIM_MAX_PAYLOAD_BYTES = 2000
    config = scim.get("/ServiceProviderConfig").doc
    assert config["bulk"]["maxPayloadSize"] == 2000
    big = {"schemas": [USER_URN], "userName": "big@example.test", "title": "x" * 3000}
    scim_error(scim.post("/Users", big), 413)
    # Even without a Content-Length the body is read only up to the limit.
    response = scim.client.generic(
        "POST",
        f"{scim.base}/Users",
        data=json.dumps(big),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim.token}",
        CONTENT_LENGTH="",
    )
    assert response.status_code in (400, 413)
    assert scim.post("/Users", {"schemas": [USER_URN], "userName": "small@example.test"}).status_code == 201


def test_json_nested_deeper_than_the_limit_is_refused(scim):
    deep = {"schemas": [USER_URN], "userName": "deep@example.test"}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    body = scim_error(scim.post("/Users", deep), 400)
    assert body["scimType"] == "invalidSyntax"
    # Far deeper than Python's recursion limit: still a clean 400.
    raw = '{"a":' * 100_000 + "1" + "}" * 100_000
    scim_error(scim.request("POST", "/Users", raw=raw), 400)


def test_a_filter_longer_than_the_limit_is_refused(scim, settings):
    settings.SCIM_MAX_FILTER_LENGTH = 100
    long_filter = " or ".join(f'userName eq "u{i}"' for i in range(20))
    body = scim_error(
        scim.client.get(
            f"{scim.base}/Users", {"filter": long_filter}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
        ),
        400,
    )
    assert body["scimType"] == "invalidFilter"
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": long_filter}
    assert scim_error(scim.post("/Users/.search", search), 400)["scimType"] == "invalidFilter"


@pytest.mark.parametrize(
    "shape",
    [
        "(" * 300 + 'userName eq "x"' + ")" * 300,
        "not (" * 300 + 'userName eq "x"' + ")" * 300,
        "emails[" * 200 + 'value eq "x"' + "]" * 200,
    ],
)
def test_a_filter_nested_too_deep_is_an_invalid_filter_not_a_crash(scim, shape):
    response = scim.client.get(
        f"{scim.base}/Users", {"filter": shape}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
    )
    assert scim_error(response, 400)["scimType"] == "invalidFilter"


def test_a_wide_filter_under_the_length_limit_runs(scim):
    scim.create_user("u7@example.test")
    wide = " or ".join(f'userName eq "u{i}@example.test"' for i in range(120))
    assert len(wide) < 4096
    response = scim.client.get(
        f"{scim.base}/Users", {"filter": wide}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
    )
    assert response.status_code == 200 and json.loads(response.content)["totalResults"] == 1


def test_count_is_capped_at_the_advertised_maximum(scim, settings):
    settings.SCIM_MAX_PAGE_SIZE = 2
    for i in range(3):
        scim.create_user(f"c{i}@example.test")
    assert scim.get("/ServiceProviderConfig").doc["filter"]["maxResults"] == 2
    for count in ("3", "1000000", "99999999999999999999"):
        page = scim.get(f"/Users?count={count}").doc
        assert page["totalResults"] == 3 and page["itemsPerPage"] == 2 and len(page["Resources"]) == 2


@pytest.mark.parametrize(
    "query", ["count=-1", "startIndex=-5", "count=abc", "startIndex=1e9999", "count=%00"]
)
def test_odd_paging_parameters_never_fail_the_server(scim, query):
    response = scim.get(f"/Users?{query}")
    assert response.status_code in (200, 400), (query, response.status_code)


def test_patch_operations_over_the_limit_are_refused_and_change_nothing(scim, settings):
    settings.SCIM_MAX_PATCH_OPERATIONS = 5
    user = scim.create_user("ops@example.test")
    too_many = [{"op": "replace", "path": "title", "value": str(i)} for i in range(6)]
    scim_error(scim.patch(f"/Users/{user['id']}", too_many), 400)
    group = scim.create_group("Ops")
    scim_error(scim.patch(f"/Groups/{group['id']}", too_many), 400)
    assert "title" not in scim.get(f"/Users/{user['id']}").doc
    assert scim.patch(f"/Users/{user['id']}", too_many[:5]).status_code == 200


def test_bulk_operations_over_the_advertised_limit_are_refused(scim, settings):
    settings.SCIM_BULK_MAX_OPERATIONS = 3
    config = scim.get("/ServiceProviderConfig").doc
    assert config["bulk"]["maxOperations"] == 3
    operations = [
        {
            "method": "POST",
            "path": "/Users",
            "bulkId": f"b{i}",
            "data": {"schemas": [USER_URN], "userName": f"bulk{i}@example.test"},
        }
        for i in range(4)
    ]
    response = scim.post(
        "/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations}
    )
    scim_error(response, 413)
    assert scim.get("/Users").doc["totalResults"] == 0


@needs_postgres
def test_a_value_the_database_refuses_fails_its_bulk_operation_alone(scim, monkeypatch):
    # The service's own length checks stand between IdPs and the database's limits; with them
    # lifted, PostgreSQL's refusal (an index entry over ~2,700 bytes) must still be a 400 for
    # that operation, never a 503 "retry" (IdPs retry those forever) or the others' failure.
    import base64
    import random

    from scim import services

    monkeypatch.setattr(services, "VALUE_LENGTH", 100_000)
    huge = base64.b64encode(random.Random(3).randbytes(2400)).decode() + "@example.test"
    operations = [
        {
            "method": "POST",
            "path": "/Users",
            "bulkId": name,
            "data": {"schemas": [USER_URN], "userName": f"{name}@example.test", "emails": [{"value": email}]},
        }
        for name, email in (("fine", "fine@example.test"), ("huge", huge), ("after", "after@example.test"))
    ]
    response = scim.post(
        "/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations}
    )
    assert response.status_code == 200, response.content
    results = {op["bulkId"]: op for op in response.doc["Operations"]}
    assert results["fine"]["status"] == "201" and results["after"]["status"] == "201"
    assert results["huge"]["status"] == "400"
    assert results["huge"]["response"]["scimType"] == "invalidValue"
    names = sorted(user["userName"] for user in scim.get("/Users").doc["Resources"])
    assert names == ["after@example.test", "fine@example.test"]
    # Outside Bulk: the same refusal is a 400, not a 503.
    alone = scim.post(
        "/Users", {"schemas": [USER_URN], "userName": "alone@example.test", "emails": [{"value": huge}]}
    )
    assert scim_error(alone, 400)["scimType"] == "invalidValue"
    assert "Retry-After" not in alone


# ------------------------------------------------------------------------------- Unicode

NAMES = [
    "zoë@example.test",
    "José.Núñez@example.test",
    "e\u0301lodie@example.test",  # e + combining acute: not normalised to é
    "élodie@example.test",
    "מרים.כהן@example.test",  # Hebrew, right to left
    "محمد@example.test",  # Arabic
    "\u202eevil\u202c@example.test",  # a bidi override kept as sent
    "李小龙@example.test",
    "👩🏽‍💻.dev@example.test",  # emoji with skin tone and zero-width joiner
    "🧑‍🤝‍🧑@example.test",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢@example.test",  # outside the Basic Multilingual Plane
    "tab\tand space@example.test",
    "ǅemal@example.test",  # title-case digraph
]


@pytest.mark.parametrize("name", NAMES)
def test_any_unicode_round_trips_exactly(scim, name):
    body = {
        "schemas": [USER_URN],
        "userName": name,
        "displayName": name[::-1],
        "name": {"givenName": name.split("@")[0], "familyName": "Ω≈ç√∫"},
        "title": name * 3,
        "emails": [{"value": name, "type": "work", "primary": True}],
    }
    created = scim.post("/Users", body)
    assert created.status_code == 201, created.content
    read = scim.get(f"/Users/{created.doc['id']}").doc
    for key in ("userName", "displayName", "name", "title", "emails"):
        assert read[key] == created.doc[key]
    assert read["userName"] == name and read["displayName"] == name[::-1] and read["title"] == name * 3
    assert read["emails"][0]["value"] == name
    # Found by an exact filter on the same characters (and the filter does not fold them).
    import urllib.parse

    found = scim.get("/Users?filter=" + urllib.parse.quote(f'userName eq "{name}"')).doc
    assert [r["id"] for r in found["Resources"]] == [created.doc["id"]]
    group = scim.post(
        "/Groups", {"schemas": [GROUP_URN], "displayName": name, "members": [{"value": created.doc["id"]}]}
    )
    assert group.status_code == 201 and scim.get(f"/Groups/{group.doc['id']}").doc["displayName"] == name


def test_combining_and_precomposed_names_are_different_people(scim):
    scim.create_user("e\u0301lodie@example.test")
    assert scim.post("/Users", {"schemas": [USER_URN], "userName": "élodie@example.test"}).status_code == 201


@pytest.mark.parametrize("raw_value", ["a\\u0000b", "\\ud800", "x\\udfffy", "\\u0000"])
def test_nul_and_lone_surrogates_are_a_400_not_a_server_error(scim, raw_value):
    for raw in (
        '{"schemas":["%s"],"userName":"%s"}' % (USER_URN, raw_value),  # noqa: UP031 (JSON braces)
        '{"schemas":["%s"],"userName":"ok@example.test","title":"%s"}' % (USER_URN, raw_value),  # noqa: UP031 (JSON braces)
        '{"schemas":["%s"],"userName":"ok@example.test","%s":"x"}' % (USER_URN, raw_value),  # noqa: UP031 (JSON braces)
    ):
        body = scim_error(scim.request("POST", "/Users", raw=raw), 400)
        assert body["scimType"] == "invalidValue"
    user = scim.create_user("target@example.test")
    patch = '{"schemas":["%s"],"Operations":[{"op":"replace","path":"title","value":"%s"}]}' % (  # noqa: UP031 (JSON braces)
        PATCH_URN,
        raw_value,
    )
    scim_error(scim.request("PATCH", f"/Users/{user['id']}", raw=patch), 400)


@pytest.mark.parametrize(
    "url",
    [
        "/Users/a%00b",
        "/Groups/%00",
        "/Users?filter=userName%20eq%20%22a%00%22",
        "/Users?sortBy=%00",
        "/Users?attributes=%00",
    ],
)
def test_nul_in_the_url_is_a_400_not_a_server_error(scim, url):
    scim_error(scim.get(url), 400)


def test_more_query_parameters_than_django_reads_is_a_400_that_changes_nothing(scim, settings):
    # Found by an adversarial run: 1,001 parameters (Django reads 1,000) was a 500 on every
    # endpoint, and the refusal's record failed the same way.
    from scim.models import RequestRecord

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    many = "?" + "&".join(f"p{i}=1" for i in range(51))
    user = scim.create_user("kept@example.test")
    body = scim_error(scim.get("/Users" + many), 400)
    assert "more than 50 query parameters" in body["detail"]
    scim_error(scim.post("/Users" + many, {"schemas": [USER_URN], "userName": "new@example.test"}), 400)
    scim_error(
        scim.patch(f"/Users/{user['id']}" + many, [{"op": "replace", "path": "active", "value": False}]), 400
    )
    scim_error(scim.request("GET", "/ServiceProviderConfig" + many), 400)
    assert scim.get('/Users?filter=userName eq "new@example.test"').doc["totalResults"] == 0
    assert scim.get(f"/Users/{user['id']}").doc["active"] is True
    assert scim.get("/Users?" + "&".join(f"p{i}=1" for i in range(50))).status_code == 200
    assert RequestRecord.objects.filter(status=400, path__contains="p50=1").count() == 4


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_create_nothing(scim, constant):
    # Python's json module reads them; an adversarial run got a 201 for {"x": NaN}.
    raw = '{"schemas":["%s"],"userName":"nan@example.test","x":%s}' % (USER_URN, constant)  # noqa: UP031 (JSON braces)
    body = scim_error(scim.request("POST", "/Users", raw=raw), 400)
    assert body["scimType"] == "invalidSyntax" and constant in body["detail"]
    scim_error(scim.request("POST", "/Users/.search", raw='{"count": %s}' % constant), 400)  # noqa: UP031
    assert scim.get('/Users?filter=userName eq "nan@example.test"').doc["totalResults"] == 0


# ---------------------------------------------------------------------------- rate limit


def test_over_the_rate_limit_is_a_scim_429_with_retry_after(scim, other_scim, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert scim.get("/Users").status_code == 200
    response = scim.get("/Users")
    body = scim_error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["detail"].startswith("Too many requests")
    # Writes are limited too, and the limit is per integration: another one is unaffected.
    scim_error(scim.post("/Users", {"schemas": [USER_URN], "userName": "late@example.test"}), 429)
    assert other_scim.get("/Users").status_code == 200
    from scim.models import RequestRecord

    assert RequestRecord.objects.filter(integration=scim.integration, status=429).count() == 2


def test_the_rate_limit_counts_in_the_shared_cache(scim, settings):
    """Two server processes share the count because it lives in the cache, not in the process:
    another throttle instance (another process) uses up the minute, and this one refuses."""
    from types import SimpleNamespace

    from scim.throttling import IntegrationRateThrottle

    settings.SCIM_RATE_LIMIT_PER_MINUTE = 10
    elsewhere = SimpleNamespace(auth=scim.integration, META={})
    used = [IntegrationRateThrottle().allow_request(elsewhere, None) for _ in range(10)]
    if not all(used):  # the minute turned over meanwhile: the window restarted
        pytest.skip("minute boundary")
    scim_error(scim.get("/Users"), 429)
    cache.clear()  # the shared cache is the only state: emptied, the limit starts again
    assert scim.get("/Users").status_code == 200


def test_rate_limit_zero_turns_it_off(scim, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 0
    for _ in range(20):
        assert scim.get("/ServiceProviderConfig").status_code == 200


def test_a_second_client_of_one_integration_shares_its_limit(client, scim, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 2
    second = ScimClient(client, scim.integration, scim.token)
    assert scim.get("/Users").status_code == 200
    assert second.get("/Users").status_code == 200
    scim_error(second.get("/Users"), 429)


def test_refusals_before_authentication_are_recorded_a_bounded_number_of_times_a_minute(scim, settings):
    # Anyone who knows an integration's URL can send requests without a token: found by an
    # adversarial run flooding a person's history with 200 "no bearer token" records.
    from django.core.cache import cache

    from scim.models import RequestRecord

    cache.clear()
    settings.SCIM_REFUSALS_RECORDED_PER_MINUTE = 5
    person = scim.create_user("ada@example.test")
    for _ in range(12):
        response = scim.request("GET", f"/Users/{person['id']}", token="")
        assert response.status_code == 401
    refused = RequestRecord.objects.filter(integration=scim.integration, status=401)
    assert refused.count() == 5
    # A stranger's request is in nobody's history.
    assert set(refused.values_list("resource_id", "resource_name").distinct()) == {("", "")}
    # The IdP itself is not limited by them, and its own requests are still recorded.
    assert scim.get(f"/Users/{person['id']}").status_code == 200
    assert RequestRecord.objects.filter(integration=scim.integration, status=200, method="GET").exists()
    # A stranger's flood does not use up the budget of the IdP's own addresses: the IdP's own
    # mistake ("Bearer" twice) from another address is still recorded.
    mistaken = scim.client.get(
        f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer Bearer {scim.token}", REMOTE_ADDR="198.51.100.7"
    )
    assert mistaken.status_code == 401
    assert refused.filter(client_ip="198.51.100.7").count() == 1


# ------------------------------------------------------------------ the shared cache, down or up

REDIS = "redis://127.0.0.1:6379/15"


def _redis_cache(settings, location: str) -> None:
    from massdriver_scim.cache import FailOpenRedisCache

    FailOpenRedisCache._down_until = 0.0
    settings.CACHES = {
        "default": {
            "BACKEND": "massdriver_scim.cache.FailOpenRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "massdriver-scim-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_with_redis_unreachable_the_idp_and_logins_still_get_through(scim, client, settings, caplog):
    # Nothing listens on port 9 (discard): the cache is down. Counters are lost, not requests.
    _redis_cache(settings, "redis://127.0.0.1:9/0")
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 2
    for _ in range(4):
        assert scim.get("/Users").status_code == 200  # unthrottled while the count is unknown
    assert "shared cache unreachable" in caplog.text
    from tests.factories import MembershipFactory

    MembershipFactory(user__email="ada@acme.test")
    assert client.post("/login/", {"username": "ada@acme.test", "password": "wrong"}).status_code == 200
    response = client.post("/login/", {"username": "ada@acme.test", "password": "correct-horse-battery"})
    assert response.status_code == 302


def test_with_redis_up_the_rate_limit_counts_there(scim, settings):
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    _redis_cache(settings, REDIS)
    cache.clear()
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 2
    minute = int(time.time() // 60)
    statuses = [scim.get("/Users").status_code for _ in range(3)]
    if int(time.time() // 60) != minute:
        pytest.skip("minute boundary: the window restarted")
    assert statuses == [200, 200, 429]
    cache.clear()


def test_with_redis_refusing_writes_the_idp_and_logins_still_get_through(scim, client, settings):
    # Found by an adversarial run: a Redis that answers but refuses writes (out of memory, a
    # read-only replica after a failover) made every SCIM request and login a 500.
    from unittest import mock

    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    _redis_cache(settings, REDIS)
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 2
    refused = redis.exceptions.ReadOnlyError("You can't write against a read only replica.")
    # The server's own refusal, as the client library reports it (the test must not reconfigure
    # the shared Redis of the machine).
    with mock.patch.object(redis.Redis, "execute_command", side_effect=refused):
        for _ in range(3):
            assert scim.get("/Users").status_code == 200
        from tests.factories import MembershipFactory

        MembershipFactory(user__email="ada@acme.test")
        response = client.post("/login/", {"username": "ada@acme.test", "password": "correct-horse-battery"})
        assert response.status_code == 302
