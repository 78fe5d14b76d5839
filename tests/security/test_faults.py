"""The database going away: gunicorn against a PostgreSQL this test owns, stopped and started
under it. While it is down every SCIM request gets a 503 with a SCIM body and Retry-After; when it
comes back the service recovers by itself, with nothing half-written."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from bench.cluster import Gunicorn, OwnedPostgres, app_env, create_integration, find_pg_bin, manage

from .conftest import ERROR_URN, USER_URN

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_pg_bin() is None, reason="needs PostgreSQL's initdb and pg_ctl to run a cluster of its own"
    ),
]


def call(base: str, token: str, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    return status, headers, json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def service():
    try:
        pg = OwnedPostgres()
        pg.start()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"could not start a PostgreSQL cluster of our own: {exc}")
    server = None
    try:
        env = app_env(pg.create_database("faults"), CONN_MAX_AGE="60")
        manage(env, "migrate", "--noinput")
        server = Gunicorn(env, workers=2)
        info = create_integration(env, "faults", server.url)
        yield pg, server, info
    finally:
        if server is not None:
            server.stop()
        pg.destroy()


def _assert_unavailable(status, headers, body):
    assert status == 503, (status, body)
    assert headers["Content-Type"].startswith("application/scim+json")
    assert body["schemas"] == [ERROR_URN] and body["status"] == "503"
    assert int(headers["Retry-After"]) > 0
    for word in ("psycopg", "Traceback", "connection refused", "127.0.0.1", "5432", "OperationalError"):
        assert word.lower() not in json.dumps(body).lower(), word


def _wait_for(base, token, deadline_seconds=20):
    deadline = time.monotonic() + deadline_seconds
    while True:
        status, headers, body = call(base, token, "GET", "/Users")
        if status == 200 or time.monotonic() > deadline:
            return status, body
        assert status == 503, (status, body)
        time.sleep(0.5)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_down_is_a_503_and_the_service_recovers_by_itself(service, mode):
    pg, server, info = service
    base, token = info["url"], info["token"]
    status, _, before = call(
        base, token, "POST", "/Users", {"schemas": [USER_URN], "userName": f"before-{mode}@x.test"}
    )
    assert status == 201
    # Every worker holds a persistent connection now.
    for _ in range(4):
        assert call(base, token, "GET", "/Users")[0] == 200

    pg.stop(mode)
    for method, path, body in [
        ("GET", "/Users", None),
        ("GET", f"/Users/{before['id']}", None),
        ("POST", "/Users", {"schemas": [USER_URN], "userName": f"during-{mode}@x.test"}),
        (
            "PATCH",
            f"/Users/{before['id']}",
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            },
        ),
        ("DELETE", f"/Users/{before['id']}", None),
        ("GET", "/ServiceProviderConfig", None),
        ("GET", "/Groups", None),
    ]:
        for _ in range(3):  # each worker, and a second try on the same dead connection
            _assert_unavailable(*call(base, token, method, path, body))

    pg.start()
    status, body = _wait_for(base, token)
    assert status == 200, body
    # Every worker recovered, not just one.
    for _ in range(6):
        assert call(base, token, "GET", "/Users")[0] == 200
    names = {r["userName"] for r in call(base, token, "GET", "/Users?count=100")[2]["Resources"]}
    assert f"before-{mode}@x.test" in names and f"during-{mode}@x.test" not in names
    user = call(base, token, "GET", f"/Users/{before['id']}")[2]
    assert user["active"] is True  # the PATCH and DELETE sent during the outage did nothing
    assert (
        call(base, token, "POST", "/Users", {"schemas": [USER_URN], "userName": f"after-{mode}@x.test"})[0]
        == 201
    )


def test_a_wrong_token_while_the_database_is_down_is_still_no_500(service):
    pg, server, info = service
    pg.stop("fast")
    try:
        status, headers, body = call(info["url"], "mdscim_wrong", "GET", "/Users")
        _assert_unavailable(status, headers, body)
    finally:
        pg.start()
        _wait_for(info["url"], info["token"])


# A dropped connection between two requests (a database restart, an idle timeout, a failover),
# without an outage: the next SCIM request reconnects by itself, with no health-check query.
@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_between_requests_is_reconnected_silently():
    from django.db import connection
    from django.test import Client

    from integrations.services import integration_create
    from tests.factories import OrganizationFactory

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite connections are never dropped by a server")
    integration, token = integration_create(organization=OrganizationFactory())
    client = Client()
    base = f"/scim/v2/{integration.public_id}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get(f"{base}/Users", **headers).status_code == 200
    dropped = connection.connection.info.backend_pid
    import psycopg

    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k not in ("cursor_factory", "context")}, autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [dropped])
    response = client.get(f"{base}/Users", **headers)
    assert response.status_code == 200, response.content
    assert connection.connection.info.backend_pid != dropped
