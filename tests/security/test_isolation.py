"""Nobody reaches another organization's data, and a refusal teaches the caller nothing.

A matrix: every SCIM endpoint × every kind of outsider (no token, a wrong token, another
organization's token, the token of another integration of the same organization, a revoked token,
a web session of a member, of an admin, of another organization's admin), and every web page ×
every kind of visitor. Each refusal is compared byte for byte with the refusal a stranger gets, so
the answer cannot tell "exists but not yours" from "does not exist".
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import Integration
from integrations.services import integration_create, token_revoke
from organizations.models import Membership, Team, TeamMembership
from scim.models import ScimGroup, ScimUser
from tests.factories import AdminMembershipFactory, MembershipFactory, OrganizationFactory

from .conftest import GROUP_URN, PATCH_URN, SEARCH_URN, USER_URN, scim_error


def _call(client: Client, method: str, url: str, body=None, token: str | None = None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data=data, content_type="application/scim+json", **extra)


class Tenant:
    """An organization with an integration, a provisioned user and a group, admins and members."""

    def __init__(self, name: str):
        self.org = OrganizationFactory(name=name, slug=name.lower())
        self.admin = AdminMembershipFactory(organization=self.org)
        self.member = MembershipFactory(organization=self.org)
        self.integration, self.token = integration_create(organization=self.org)
        self.base = f"/scim/v2/{self.integration.public_id}"
        client = Client()
        created = _call(
            client,
            "POST",
            f"{self.base}/Users",
            {
                "schemas": [USER_URN],
                "userName": f"ceo@{name.lower()}.test",
                "externalId": f"ext-{name}",
                "name": {"givenName": "Chief", "familyName": name},
                "emails": [{"value": f"ceo@{name.lower()}.test", "primary": True}],
            },
            self.token,
        )
        assert created.status_code == 201, created.content
        self.user_id = json.loads(created.content)["id"]
        group = _call(
            client,
            "POST",
            f"{self.base}/Groups",
            {
                "schemas": [GROUP_URN],
                "displayName": f"{name} Engineering",
                "members": [{"value": self.user_id}],
            },
            self.token,
        )
        assert group.status_code == 201, group.content
        self.group_id = json.loads(group.content)["id"]

    def secrets(self) -> list[str]:
        """Strings a refusal must never contain."""
        return [
            self.user_id,
            self.group_id,
            f"ceo@{self.org.slug}.test",
            f"{self.org.name} Engineering",
            self.org.name,
            self.token,
            f"ext-{self.org.name}",
        ]

    def snapshot(self) -> dict:
        user = ScimUser.objects.get(scim_id=self.user_id)
        group = ScimGroup.objects.get(scim_id=self.group_id)
        return {
            "users": ScimUser.objects.filter(organization=self.org).count(),
            "groups": ScimGroup.objects.filter(organization=self.org).count(),
            "user": (
                user.user_name,
                user.active,
                user.deleted_at,
                user.version,
                json.dumps(user.attributes, sort_keys=True),
            ),
            "group": (group.display_name, group.version),
            "team_members": sorted(
                TeamMembership.objects.filter(team=group.team).values_list("membership_id", flat=True)
            ),
            "memberships": sorted(
                Membership.objects.filter(organization=self.org).values_list("id", "is_active", "role")
            ),
            "teams": Team.objects.filter(organization=self.org).count(),
            "integration": tuple(
                Integration.objects.filter(pk=self.integration.pk).values_list("status", flat=True)
            ),
            "tokens": sorted(self.integration.tokens.values_list("id", "revoked_at")),
        }


@pytest.fixture
def acme(db):
    return Tenant("Acme")


@pytest.fixture
def globex(db):
    return Tenant("Globex")


def scim_endpoints(t: Tenant) -> list[tuple[str, str, dict | None]]:
    """Every SCIM endpoint and method the service answers, aimed at tenant `t`'s resources."""
    user_body = {"schemas": [USER_URN], "userName": "intruder@evil.test", "active": False}
    group_body = {"schemas": [GROUP_URN], "displayName": "Intruders", "members": []}
    patch_user = {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    patch_group = {"schemas": [PATCH_URN], "Operations": [{"op": "remove", "path": "members"}]}
    search = {"schemas": [SEARCH_URN], "filter": f'userName eq "ceo@{t.org.slug}.test"'}
    b = t.base
    return [
        ("GET", f"{b}/ServiceProviderConfig", None),
        ("GET", f"{b}/Schemas", None),
        ("GET", f"{b}/Schemas/{USER_URN}", None),
        ("GET", f"{b}/ResourceTypes", None),
        ("GET", f"{b}/ResourceTypes/User", None),
        ("GET", f"{b}/Users", None),
        ("GET", f"{b}/Users?filter=userName%20eq%20%22ceo@{t.org.slug}.test%22", None),
        ("POST", f"{b}/Users", user_body),
        ("POST", f"{b}/Users/.search", search),
        ("GET", f"{b}/Users/{t.user_id}", None),
        ("PUT", f"{b}/Users/{t.user_id}", user_body),
        ("PATCH", f"{b}/Users/{t.user_id}", patch_user),
        ("DELETE", f"{b}/Users/{t.user_id}", None),
        ("GET", f"{b}/Groups", None),
        ("POST", f"{b}/Groups", group_body),
        ("POST", f"{b}/Groups/.search", {"schemas": [SEARCH_URN]}),
        ("GET", f"{b}/Groups/{t.group_id}", None),
        ("PUT", f"{b}/Groups/{t.group_id}", group_body),
        ("PATCH", f"{b}/Groups/{t.group_id}", patch_group),
        ("DELETE", f"{b}/Groups/{t.group_id}", None),
        ("GET", f"{b}/Bulk", None),
    ]


OUTSIDERS = [
    "no token",
    "garbage token",
    "another organization's token",
    "another integration of the same organization",
    "revoked token",
    "web session of a member, no token",
    "web session of an admin, no token",
    "web session of another organization's admin, no token",
]


def _outsider(kind: str, acme: Tenant, globex: Tenant) -> tuple[Client, str | None]:
    client = Client()
    if kind == "no token":
        return client, None
    if kind == "garbage token":
        return client, "mdscim_" + "A" * 43
    if kind == "another organization's token":
        return client, globex.token
    if kind == "another integration of the same organization":
        _, token = integration_create(organization=acme.org, name="Second IdP")
        return client, token
    if kind == "revoked token":
        # Revoke a token of acme's own integration: it must open nothing afterwards.
        from integrations.services import token_rotate

        raw = token_rotate(integration=acme.integration)
        token_revoke(token=acme.integration.tokens.filter(revoked_at__isnull=True).get())
        return client, raw
    membership = {
        "web session of a member, no token": acme.member,
        "web session of an admin, no token": acme.admin,
        "web session of another organization's admin, no token": globex.admin,
    }[kind]
    client.force_login(membership.user)
    return client, None


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_every_scim_endpoint_refuses_an_outsider_with_the_same_401(acme, globex, kind):
    client, token = _outsider(kind, acme, globex)
    before = acme.snapshot() if kind != "revoked token" else None
    stranger = scim_error(_call(Client(), "GET", f"{acme.base}/Users", token="mdscim_" + "B" * 43), 401)
    for method, url, body in scim_endpoints(acme):
        response = _call(client, method, url, body, token)
        got = scim_error(response, 401)
        assert got == stranger, (method, url, got)
        assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
        text = response.content.decode()
        for secret in acme.secrets() + globex.secrets():
            assert secret not in text, (method, url, secret)
    if before is not None:
        assert acme.snapshot() == before


def test_a_token_opens_only_its_own_endpoint_even_for_unknown_paths(acme, globex):
    response = _call(Client(), "GET", f"{acme.base}/NoSuchThing", token=globex.token)
    scim_error(response, 401)


def _masked(body: dict, *ids: str) -> dict:
    text = json.dumps(body)
    for value in ids:
        text = text.replace(value, "<id>")
    return json.loads(text)


@pytest.mark.parametrize("kind", ["Users", "Groups"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_another_organizations_id_is_indistinguishable_from_no_such_id(acme, globex, kind, method):
    """Globex's valid token, on Globex's own URL, names Acme's resource: the same 404 as a random id."""
    before = acme.snapshot()
    foreign = acme.user_id if kind == "Users" else acme.group_id
    unknown = str(uuid.uuid4())
    body = {
        ("Users", "PUT"): {"schemas": [USER_URN], "userName": "x@globex.test"},
        ("Groups", "PUT"): {"schemas": [GROUP_URN], "displayName": "X"},
        ("Users", "PATCH"): {
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        ("Groups", "PATCH"): {"schemas": [PATCH_URN], "Operations": [{"op": "remove", "path": "members"}]},
    }.get((kind, method))
    client = Client()
    theirs = scim_error(_call(client, method, f"{globex.base}/{kind}/{foreign}", body, globex.token), 404)
    nothing = scim_error(_call(client, method, f"{globex.base}/{kind}/{unknown}", body, globex.token), 404)
    assert _masked(theirs, foreign) == _masked(nothing, unknown)
    assert acme.snapshot() == before


def test_lists_searches_and_filters_never_show_another_organization(acme, globex):
    client = Client()
    queries = [
        ("GET", f"{globex.base}/Users", None),
        ("GET", f"{globex.base}/Users?filter=userName%20eq%20%22ceo@acme.test%22", None),
        ("GET", f"{globex.base}/Users?filter=externalId%20eq%20%22ext-Acme%22", None),
        ("GET", f"{globex.base}/Users?filter=emails.value%20co%20%22acme%22", None),
        ("GET", f"{globex.base}/Users?filter=id%20eq%20%22{acme.user_id}%22", None),
        ("GET", f"{globex.base}/Groups?filter=displayName%20sw%20%22Acme%22", None),
        ("GET", f"{globex.base}/Groups?filter=members.value%20eq%20%22{acme.user_id}%22", None),
        (
            "POST",
            f"{globex.base}/Users/.search",
            {"schemas": [SEARCH_URN], "filter": 'userName sw "ceo@acme"'},
        ),
        (
            "POST",
            f"{globex.base}/Groups/.search",
            {"schemas": [SEARCH_URN], "filter": 'displayName co "Acme"'},
        ),
    ]
    for method, url, body in queries:
        response = _call(client, method, url, body, globex.token)
        assert response.status_code == 200, (url, response.content)
        text = response.content.decode()
        for secret in acme.secrets():
            assert secret not in text, (url, secret)
        listing = json.loads(text)
        # Globex's own list holds only Globex's one user / one group.
        assert listing["totalResults"] <= 1, (url, listing["totalResults"])


def test_another_organizations_user_cannot_be_made_a_member(acme, globex):
    """Naming Acme's user as a member of a Globex group is answered exactly like an unknown id:
    skipped, and the answers differ only in the id they name."""
    before = acme.snapshot()
    client = Client()
    unknown = str(uuid.uuid4())

    def add(value):
        body = {
            "schemas": [PATCH_URN],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": value}]}],
        }
        response = _call(client, "PATCH", f"{globex.base}/Groups/{globex.group_id}", body, globex.token)
        assert response.status_code == 200, response.content
        document = json.loads(response.content)
        assert value not in [m["value"] for m in document.get("members") or []]
        return {k: v for k, v in document.items() if k != "meta"}

    assert add(acme.user_id) == add(unknown)

    def create(value):
        body = {"schemas": [GROUP_URN], "displayName": "G", "members": [{"value": value}]}
        response = _call(client, "POST", f"{globex.base}/Groups", body, globex.token)
        assert response.status_code == 201, response.content
        document = json.loads(response.content)
        _call(client, "DELETE", f"{globex.base}/Groups/{document['id']}", None, globex.token)
        return document.get("members") or []

    assert create(acme.user_id) == create(unknown) == []
    assert acme.snapshot() == before


def test_a_username_taken_in_another_organization_is_no_conflict(acme, globex):
    """Uniqueness is per organization: a 409 here would tell Globex that Acme has this person."""
    response = _call(
        Client(),
        "POST",
        f"{globex.base}/Users",
        {"schemas": [USER_URN], "userName": "ceo@acme.test"},
        globex.token,
    )
    assert response.status_code == 201, response.content


def test_no_such_id_and_not_yours_take_the_same_time(acme, globex):
    """Both answers run the same one indexed query; measured here so a regression (say, a lookup
    without the tenant followed by an ownership check) shows up."""
    client = Client()
    foreign, unknown = acme.user_id, str(uuid.uuid4())
    samples = {foreign: [], unknown: []}
    for _ in range(3):  # warm up
        for value in samples:
            _call(client, "GET", f"{globex.base}/Users/{value}", token=globex.token)
    for _ in range(40):
        for value in samples:
            started = time.perf_counter()
            _call(client, "GET", f"{globex.base}/Users/{value}", token=globex.token)
            samples[value].append(time.perf_counter() - started)
    theirs, nothing = statistics.median(samples[foreign]), statistics.median(samples[unknown])
    assert abs(theirs - nothing) < max(0.5 * min(theirs, nothing), 0.003), (theirs, nothing)


# ------------------------------------------------------------------------------- web pages


def web_pages(t: Tenant) -> dict[str, list[tuple[str, str, dict]]]:
    """Every page of organizations/urls.py and integrations/urls.py for tenant `t`, by who may open it."""
    slug, pid = t.org.slug, t.integration.public_id
    token_id = t.integration.tokens.get().pk
    team_id = ScimGroup.objects.get(scim_id=t.group_id).team_id
    return {
        "member": [
            ("GET", reverse("organizations:detail", args=[slug]), {}),
            ("GET", reverse("organizations:members", args=[slug]), {}),
            ("GET", reverse("organizations:member", args=[slug, t.admin.pk]), {}),
            ("GET", reverse("organizations:teams", args=[slug]), {}),
        ],
        "admin": [
            ("GET", reverse("integrations:list", args=[slug]), {}),
            ("GET", reverse("integrations:create", args=[slug]), {}),
            ("POST", reverse("integrations:create", args=[slug]), {"auth_type": "token"}),
            ("GET", reverse("integrations:detail", args=[slug, pid]), {}),
            ("GET", reverse("integrations:token", args=[slug, pid]), {}),
            ("POST", reverse("integrations:rotate", args=[slug, pid]), {"old_token": "revoke"}),
            ("POST", reverse("integrations:revoke", args=[slug, pid, token_id]), {}),
            ("POST", reverse("integrations:status", args=[slug, pid]), {"enabled": "0"}),
            ("GET", reverse("integrations:delete", args=[slug, pid]), {}),
            ("POST", reverse("integrations:delete", args=[slug, pid]), {}),
            ("POST", reverse("integrations:rename", args=[slug, pid]), {"name": "renamed"}),
            ("POST", reverse("organizations:member-role", args=[slug, t.member.pk]), {"role": "admin"}),
            (
                "POST",
                reverse("integrations:answers", args=[slug, pid]),
                {"response_media_type": "application/json"},
            ),
            ("GET", reverse("organizations:team-delete", args=[slug, team_id]), {}),
            ("POST", reverse("organizations:team-delete", args=[slug, team_id]), {}),
        ],
    }


def _web(client: Client, method: str, url: str, data: dict):
    return client.get(url) if method == "GET" else client.post(url, data)


def _all_pages(t: Tenant):
    pages = web_pages(t)
    return pages["member"] + pages["admin"]


def test_anonymous_visitors_are_sent_to_login_from_every_page(acme):
    before = acme.snapshot()
    for method, url, data in _all_pages(acme):
        response = _web(Client(), method, url, data)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response["Location"].startswith(reverse("login")), (method, url)
    assert acme.snapshot() == before


def test_a_member_sees_member_pages_and_is_forbidden_every_admin_page(acme, globex):
    before = acme.snapshot()
    client = Client()
    client.force_login(acme.member.user)
    for method, url, data in web_pages(acme)["member"]:
        assert _web(client, method, url, data).status_code in (200, 302), url
    for method, url, data in web_pages(acme)["admin"]:
        response = _web(client, method, url, data)
        assert response.status_code == 403, (method, url, response.status_code)
        text = response.content.decode()
        assert acme.token not in text and acme.integration.public_id not in text
    assert acme.snapshot() == before


def test_another_organizations_admin_gets_the_same_404_as_for_no_organization(acme, globex):
    before = acme.snapshot()
    client = Client()
    client.force_login(globex.admin.user)
    nowhere = client.get("/o/no-such-org/members/")
    assert nowhere.status_code == 404
    for method, url, data in _all_pages(acme):
        response = _web(client, method, url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.content == nowhere.content, (method, url)
    assert acme.snapshot() == before


def test_a_deactivated_admin_gets_404_everywhere(acme):
    Membership.objects.filter(pk=acme.admin.pk).update(is_active=False)
    before = acme.snapshot()
    client = Client()
    client.force_login(acme.admin.user)
    for method, url, data in _all_pages(acme):
        assert _web(client, method, url, data).status_code == 404, (method, url)
    assert acme.snapshot() == before


def test_an_admin_cannot_reach_another_organizations_objects_through_their_own_organization(acme, globex):
    """Acme's admin, under Acme's slug, names Globex's integration, token and person: 404 each."""
    before = globex.snapshot()
    client = Client()
    client.force_login(acme.admin.user)
    slug, pid = acme.org.slug, globex.integration.public_id
    globex_token = globex.integration.tokens.get().pk
    acme_pid = acme.integration.public_id
    targets = [
        ("GET", reverse("integrations:detail", args=[slug, pid]), {}),
        ("GET", reverse("integrations:token", args=[slug, pid]), {}),
        ("POST", reverse("integrations:rotate", args=[slug, pid]), {"old_token": "revoke"}),
        ("POST", reverse("integrations:revoke", args=[slug, pid, globex_token]), {}),
        # Acme's own integration with Globex's token id.
        ("POST", reverse("integrations:revoke", args=[slug, acme_pid, globex_token]), {}),
        ("POST", reverse("integrations:status", args=[slug, pid]), {"enabled": "0"}),
        ("GET", reverse("integrations:delete", args=[slug, pid]), {}),
        ("POST", reverse("integrations:delete", args=[slug, pid]), {}),
        ("GET", reverse("organizations:member", args=[slug, globex.admin.pk]), {}),
        ("GET", reverse("organizations:member", args=[slug, globex.member.pk]), {}),
        ("POST", reverse("organizations:member-role", args=[slug, globex.member.pk]), {"role": "admin"}),
    ]
    for method, url, data in targets:
        response = _web(client, method, url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        for secret in globex.secrets():
            assert secret not in response.content.decode(), (url, secret)
    assert globex.snapshot() == before


def test_staff_admin_is_closed_to_organization_admins(acme):
    client = Client()
    client.force_login(acme.admin.user)
    for url in ["/admin/", "/admin/scim/scimuser/", "/admin/integrations/integrationtoken/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_every_form_carries_a_csrf_token_and_every_post_enforces_it(acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme.admin.user)
    before = acme.snapshot()
    for method, url, data in web_pages(acme)["admin"]:
        if method == "POST":
            assert client.post(url, data).status_code == 403, url
    assert client.post(reverse("logout")).status_code == 403
    assert acme.snapshot() == before
    # Every page that shows a POST form renders the CSRF token inside it.
    for url in [
        reverse("integrations:detail", args=[acme.org.slug, acme.integration.public_id]),
        reverse("integrations:create", args=[acme.org.slug]),
        reverse("integrations:delete", args=[acme.org.slug, acme.integration.public_id]),
        reverse("organizations:members", args=[acme.org.slug]),
        reverse("organizations:member", args=[acme.org.slug, acme.member.pk]),
    ]:
        html = client.get(url).content.decode()
        forms = [part for part in html.split("<form")[1:] if 'method="post"' in part.split(">")[0].lower()]
        assert forms, url
        for form in forms:
            assert "csrfmiddlewaretoken" in form.split("</form>")[0], url
    login = Client(enforce_csrf_checks=True)
    assert login.post(reverse("login"), {"username": "x", "password": "y"}).status_code == 403
