"""One test base per identity provider, each sending that IdP's exact requests (Sentry-style).

A base gives its tests `self.<idp>`: a client that knows the IdP's headers (User-Agent, Accept,
Content-Type with or without a charset, or no headers at all) and builds its request bodies the
way IDP-BEHAVIORS.md (../shared) documents them, with the source ids it cites. Tests then state
what that IdP needs from each answer.

    class TestOktaCreate(OktaTestBase):
        def test_create_returns_201_with_id(self):
            response = self.okta.create_user("ada@example.test", "Ada", "Lovelace")
            assert response.status_code == 201
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

import pytest

from tests.factories import make_integration

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
ADSCIM_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def quoted_filter(attribute: str, value: str) -> str:
    """`attribute eq "value"`, percent-encoded the way IdPs put it in a query string."""
    return urllib.parse.quote(f'{attribute} eq "{value}"', safe="")


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


class IdpClient:
    """Django's test client sending one IdP's requests to one integration's base URL.

    `headers` are sent on every request (a None value: never sent); `body_headers` only on
    requests with a body. Responses get `.doc`, the parsed JSON body (None when there is none)."""

    name = ""
    headers: dict[str, str | None] = {}
    body_headers: dict[str, str | None] = {}
    query_suffix = ""  # appended to every query string (Entra's aadOptscim062020 flag)

    def __init__(self, client, integration, token: str):
        self.client = client
        self.integration = integration
        self.token = token
        self.base = f"/scim/v2/{integration.public_id}"
        self.sent: list[dict] = []

    # ------------------------------------------------------------------ transport

    def _url(self, path: str) -> str:
        if not self.query_suffix:
            return self.base + path
        joiner = "&" if "?" in path else "?"
        return f"{self.base}{path}{joiner}{self.query_suffix}"

    def request(self, method: str, path: str, body=None, *, headers: dict | None = None):
        sent = {"Authorization": f"Bearer {self.token}", **self.headers}
        if body is not None:
            sent.update(self.body_headers)
        for name, value in (headers or {}).items():
            sent = {k: v for k, v in sent.items() if k.lower() != name.lower()}
            sent[name] = value
        sent = {name: value for name, value in sent.items() if value is not None}
        # WSGI names; Content-Type goes in CONTENT_TYPE, also on GETs (Okta sends it everywhere).
        meta = {}
        for name, value in sent.items():
            key = name.upper().replace("-", "_")
            meta[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        data = json.dumps(body) if body is not None else ""
        url = self._url(path)
        response = self.client.generic(method, url, data=data, **meta)
        self.sent.append({"method": method, "url": url, "headers": sent, "body": body})
        response.doc = json.loads(response.content) if response.content else None
        return response

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, *operations: dict, **kw):
        return self.request("PATCH", path, patch_body(*operations), **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)

    # ------------------------------------------------------------------ shared reads

    def get_user(self, user_id: str):
        return self.get(f"/Users/{user_id}")

    def get_group(self, group_id: str):
        return self.get(f"/Groups/{group_id}")

    def find_user(self, user_name: str):
        return self.get(f"/Users?filter={quoted_filter('userName', user_name)}")

    def delete_user(self, user_id: str):
        return self.delete(f"/Users/{user_id}")

    def delete_group(self, group_id: str):
        return self.delete(f"/Groups/{group_id}")


class OktaClient(IdpClient):
    """An Okta OIN template app: profile push by PUT, status and password by path-less PATCH,
    group push by PATCH (OKTA-REF, OKTA-CONCEPTS). Headers as captured in OKTA-PR1956 and
    documented in OKTA-REF: `Content-Type` carries a charset and is sent on GETs too."""

    name = "Okta"
    user_agent = "Okta SCIM Client 1.0.0"
    headers = {
        "User-Agent": user_agent,
        "Accept": "application/scim+json",
        "Accept-Charset": "utf-8",
        "Accept-Encoding": "gzip,deflate",
        "Content-Type": "application/scim+json; charset=utf-8",
    }

    def test_connection(self):
        """ "Test Connector Configuration" (DELINEA-OKTA)."""
        return self.get("/Users?startIndex=1&count=2")

    def user_exists(self, user_name: str):
        return self.get(f"/Users?filter={quoted_filter('userName', user_name)}&startIndex=1&count=100")

    def create_user(
        self,
        user_name: str,
        given_name: str,
        family_name: str,
        *,
        email: str | None = None,
        external_id: str | None = None,
        password: str = "1mz050nq",
        **extra,
    ):
        """POST /Users as in OKTA-REF: `groups: []` and a placeholder `password` included."""
        body = {
            "schemas": [USER_URN],
            "userName": user_name,
            "name": {"givenName": given_name, "familyName": family_name},
            "emails": [{"primary": True, "value": email or user_name, "type": "work"}],
            "displayName": f"{given_name} {family_name}",
            "locale": "en-US",
            "externalId": external_id or f"00u{uuid.uuid4().hex[:17]}",
            "groups": [],
            "password": password,
            "active": True,
            **extra,
        }
        return self.post("/Users", body)

    def profile_push(self, user_id: str, changes=None, **attributes):
        """GET the user, change what Okta manages, PUT the whole object back, `id`, `meta` and
        `groups` included (OKTA-REF "Update a specific User (PUT)"). `changes` is a function
        that edits the fetched document in place; keyword arguments replace top-level keys."""
        document = self.get_user(user_id).doc
        assert document is not None, "profile push starts with a GET of the user"
        document.setdefault("groups", [])
        if changes is not None:
            changes(document)
        document.update(attributes)
        return self.put(f"/Users/{user_id}", document)

    def deactivate(self, user_id: str):
        return self.patch(f"/Users/{user_id}", {"op": "replace", "value": {"active": False}})

    def reactivate(self, user_id: str):
        return self.patch(f"/Users/{user_id}", {"op": "replace", "value": {"active": True}})

    def sync_password(self, user_id: str, password: str):
        return self.patch(f"/Users/{user_id}", {"op": "replace", "value": {"password": password}})

    def aiw_deactivate(self, user_id: str):
        """App Integration Wizard apps deactivate by PUT of the whole user (CODER-15828)."""
        return self.profile_push(user_id, active=False)

    def group_exists(self, display_name: str):
        return self.get(f"/Groups?filter={quoted_filter('displayName', display_name)}&startIndex=1&count=100")

    def push_group(self, display_name: str):
        return self.post("/Groups", {"schemas": [GROUP_URN], "displayName": display_name, "members": []})

    def add_member(self, group_id: str, user_id: str, display: str):
        return self.patch(
            f"/Groups/{group_id}",
            {"op": "add", "path": "members", "value": [{"value": user_id, "display": display}]},
        )

    def resync_name(self, group_id: str, display_name: str):
        """Sent on every membership update, and for a rename (OKTA-REF)."""
        return self.patch(
            f"/Groups/{group_id}", {"op": "replace", "value": {"id": group_id, "displayName": display_name}}
        )

    def swap_member(self, group_id: str, remove_id: str, add_id: str, add_display: str):
        return self.patch(
            f"/Groups/{group_id}",
            {"op": "remove", "path": f'members[value eq "{remove_id}"]'},
            {"op": "add", "path": "members", "value": [{"value": add_id, "display": add_display}]},
        )

    def push_members(self, group_id: str, members: list[tuple[str, str]]):
        """ "Push now": the full membership, `[]` for an empty group (SCIMSDK-757)."""
        value = [{"value": uid, "display": display} for uid, display in members]
        return self.patch(f"/Groups/{group_id}", {"op": "replace", "path": "members", "value": value})

    def import_users(self, start_index: int = 1):
        return self.get(f"/Users?startIndex={start_index}&count=100")


class EntraClient(IdpClient):
    """Microsoft Entra ID's non-gallery SCIM job in its default dialect (ENTRA-TUT, ENTRA-COMPAT):
    capitalised ops, string booleans, `Add` on single values, member removal by value list,
    manager as a bare id string. No User-Agent (SUNA-7297) and no Accept header is assumed;
    bodies are sent as `application/scim+json`. `flag=True` appends `aadOptscim062020`, the
    Tenant URL flag that switches Entra to its RFC-compliant dialect (KEYCLOAK-26)."""

    name = "Microsoft Entra ID"
    headers = {}
    body_headers = {"Content-Type": "application/scim+json"}

    def __init__(self, client, integration, token: str, *, flag: bool = False):
        super().__init__(client, integration, token)
        self.flag = flag
        self.query_suffix = "aadOptscim062020" if flag else ""

    def test_connection(self):
        """A user lookup by a random GUID, then a group lookup (ENTRA-TUT), with no headers but
        Authorization."""
        user = self.get(f"/Users?filter={quoted_filter('userName', str(uuid.uuid4()))}")
        group = self.get(
            f"/Groups?excludedAttributes=members&filter={quoted_filter('displayName', str(uuid.uuid4()))}"
        )
        return user, group

    def match_user(self, user_name: str):
        return self.find_user(user_name)

    def match_by(self, attribute: str, value: str):
        return self.get(f"/Users?filter={quoted_filter(attribute, value)}".replace("%20", "+"))

    def create_user(
        self,
        upn: str,
        mail_nickname: str,
        given_name: str,
        family_name: str,
        *,
        employee_number: str | None = None,
        department: str | None = None,
        manager_id: str | None = None,
        title: str | None = None,
    ):
        """POST /Users as in ENTRA-TUT: enterprise URN, `meta.resourceType`, `roles: []`, explicit
        nulls, and `manager` as a bare string (SCIMPLE-1242) or null."""
        return self.post(
            "/Users",
            {
                "schemas": [USER_URN, ENTERPRISE_URN],
                "externalId": mail_nickname,
                "userName": upn,
                "active": True,
                "displayName": f"{given_name} {family_name}",
                "title": title,
                "emails": [{"primary": True, "type": "work", "value": upn}],
                "meta": {"resourceType": "User"},
                "name": {
                    "formatted": f"{given_name} {family_name}",
                    "familyName": family_name,
                    "givenName": given_name,
                },
                "addresses": None,
                "phoneNumbers": None,
                "preferredLanguage": None,
                "roles": [],
                ENTERPRISE_URN: {
                    "employeeNumber": employee_number,
                    "department": department,
                    "manager": manager_id,
                },
            },
        )

    def update(self, user_id: str, **paths):
        """One `Replace` per attribute with a path (default) or, with the flag, the filtered email
        as a pathed op and everything else as one path-less replace with dotted keys."""
        if not self.flag:
            ops = [{"op": "Replace", "path": path, "value": value} for path, value in paths.items()]
            return self.patch(f"/Users/{user_id}", *ops)
        pathed = {p: v for p, v in paths.items() if "[" in p}
        dotted = {p: v for p, v in paths.items() if "[" not in p}
        ops = [{"op": "replace", "path": path, "value": value} for path, value in pathed.items()]
        if dotted:
            ops.append({"op": "replace", "value": dotted})
        return self.patch(f"/Users/{user_id}", *ops)

    def add(self, user_id: str, path: str, value):
        return self.patch(
            f"/Users/{user_id}", {"op": "Add" if not self.flag else "add", "path": path, "value": value}
        )

    def set_manager(self, user_id: str, manager_id: str):
        """SCIMSDK-686: `Add` on the enterprise manager path with a bare id string."""
        return self.add(user_id, f"{ENTERPRISE_URN}:manager", manager_id)

    def check_manager(self, user_id: str, manager_id: str):
        """The reference check before a manager update (ENTRA-LEGACY-DOC)."""
        text = urllib.parse.quote(f'id eq "{user_id}" and manager eq "{manager_id}"', safe="")
        return self.get(f"/Users?filter={text}&attributes=id")

    def deactivate(self, user_id: str):
        if self.flag:
            return self.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": False})
        return self.patch(f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "False"})

    def reactivate(self, user_id: str):
        if self.flag:
            return self.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": True})
        return self.patch(f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "True"})

    def match_group(self, display_name: str):
        return self.get(
            f"/Groups?excludedAttributes=members&filter={quoted_filter('displayName', display_name)}"
        )

    def read_group(self, group_id: str):
        return self.get(f"/Groups/{group_id}?excludedAttributes=members")

    def create_group(self, display_name: str, object_id: str | None = None):
        return self.post(
            "/Groups",
            {
                "schemas": [GROUP_URN, ADSCIM_GROUP_URN],
                "externalId": object_id or str(uuid.uuid4()),
                "displayName": display_name,
                "meta": {"resourceType": "Group"},
            },
        )

    def add_members(self, group_id: str, *user_ids: str):
        value = [{"$ref": None, "value": uid} for uid in user_ids]
        return self.patch(
            f"/Groups/{group_id}",
            {"op": "Add" if not self.flag else "add", "path": "members", "value": value},
        )

    def remove_member(self, group_id: str, *user_ids: str):
        """Default: `Remove` with a value list (only those members go). Flag: a filter path."""
        if self.flag:
            ops = [{"op": "remove", "path": f'members[value eq "{uid}"]'} for uid in user_ids]
            return self.patch(f"/Groups/{group_id}", *ops)
        value = [{"value": uid} for uid in user_ids]
        return self.patch(f"/Groups/{group_id}", {"op": "Remove", "path": "members", "value": value})

    def rename_group(self, group_id: str, display_name: str):
        return self.patch(
            f"/Groups/{group_id}",
            {"op": "Replace" if not self.flag else "replace", "path": "displayName", "value": display_name},
        )


class OneLoginClient(IdpClient):
    """OneLogin's "SCIM Provisioner with SAML (SCIM v2 Enterprise)": bodies rendered from the
    admin's SCIM JSON Template (OL-KB, OL-TEMPLATES), updates by PUT (OL-IMPL, OL-SAMPLE), and
    answers expected as `application/json` (OL-IMPL). Its User-Agent is undocumented: none sent."""

    name = "OneLogin"
    headers = {"Accept": "application/json"}
    body_headers = {"Content-Type": "application/json"}

    def initial_connection(self):
        """Enabling the API connection: a userName lookup known to match nothing (OL-IMPL)."""
        return self.find_user(f"onelogin-nonexistent-{uuid.uuid4().hex[:6]}@example.test")

    def template(
        self,
        user_name: str,
        given_name: str,
        family_name: str,
        *,
        title: str | None = None,
        department: str | None = None,
        manager: tuple[str, str] | None = None,
        **extra,
    ) -> dict:
        """A typical v2 Enterprise template rendered: `id: null`, `meta`, no `active`."""
        enterprise = {"department": department}
        if manager is not None:
            enterprise["manager"] = {"value": manager[0], "displayName": manager[1]}
        body = {
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": None,
            "userName": user_name,
            "name": {
                "familyName": family_name,
                "givenName": given_name,
                "formatted": f"{given_name} {family_name}",
            },
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "title": title,
            "meta": {"resourceType": "User"},
            ENTERPRISE_URN: enterprise,
        }
        body.update(extra)
        return body

    def create_user(self, user_name: str, given_name: str, family_name: str, **kw):
        return self.post("/Users", self.template(user_name, given_name, family_name, **kw))

    def update_user(self, user_id: str, body: dict):
        return self.put(f"/Users/{user_id}", body)

    def suspend(self, user_id: str, body: dict):
        """ "When users are deleted in OneLogin… Suspend" (OL-TEST): the template with `active`
        rendered from `{$user.active}`, a string (OL-TEMPLATES)."""
        return self.put(f"/Users/{user_id}", {**body, "active": "false"})

    def refresh_entitlements(self):
        return self.get("/Groups")

    def create_group(self, display_name: str):
        return self.post("/Groups", {"schemas": [GROUP_URN], "displayName": display_name})

    def add_members(self, group_id: str, *user_ids: str):
        return self.patch(
            f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": u} for u in user_ids]}
        )

    def remove_members(self, group_id: str, *user_ids: str):
        return self.patch(
            f"/Groups/{group_id}",
            {"op": "remove", "path": "members", "value": [{"value": u} for u in user_ids]},
        )

    def remove_member_by_filter(self, group_id: str, user_id: str):
        return self.patch(f"/Groups/{group_id}", {"op": "remove", "path": f'members[value eq "{user_id}"]'})

    def get_users(self):
        return self.get("/Users")


class JumpCloudClient(IdpClient):
    """JumpCloud's Custom SCIM Identity Management (JC-CUSTOM, JC-GROUPS): a write-heavy Test
    Connection, one PATCH op per attribute with a path, member objects with only `value`, and
    repeated member adds (INFISICAL-2138). Its headers are undocumented beyond `Authorization`:
    bodies go as `application/scim+json`, no User-Agent."""

    name = "JumpCloud"
    headers = {}
    body_headers = {"Content-Type": "application/scim+json"}

    def test_connection(self, email: str):
        """POST a test user (from "Test User Email") and a test group, then DELETE both."""
        user = self.post(
            "/Users",
            {
                "schemas": [USER_URN],
                "userName": email,
                "name": {"givenName": "JumpCloud", "familyName": "Test"},
                "displayName": "JumpCloud Test",
                "emails": [{"value": email, "type": "work", "primary": True}],
                "active": True,
            },
        )
        group = self.post(
            "/Groups", {"schemas": [GROUP_URN], "displayName": f"jc-scim-test-group-{uuid.uuid4().hex[:4]}"}
        )
        delete_group = self.delete_group(group.doc["id"]) if group.status_code == 201 else None
        delete_user = self.delete_user(user.doc["id"]) if user.status_code == 201 else None
        return {"user": user, "group": group, "delete_group": delete_group, "delete_user": delete_user}

    def create_user(self, user_name: str, given_name: str, family_name: str, **extra):
        return self.post(
            "/Users",
            {
                "schemas": [USER_URN] + ([ENTERPRISE_URN] if ENTERPRISE_URN in extra else []),
                "userName": user_name,
                "name": {"givenName": given_name, "familyName": family_name},
                "displayName": f"{given_name} {family_name}",
                "emails": [{"value": user_name, "type": "work", "primary": True}],
                "active": True,
                **extra,
            },
        )

    def find_group(self, display_name: str):
        return self.get(f"/Groups?filter={quoted_filter('displayName', display_name)}")

    def create_group(self, display_name: str, *member_ids: str):
        """Empty groups are not created (JC-GROUPS): a group arrives with its members."""
        return self.post(
            "/Groups",
            {
                "schemas": [GROUP_URN],
                "displayName": display_name,
                "members": [{"value": m} for m in member_ids],
            },
        )

    def add_member(self, group_id: str, user_id: str):
        return self.patch(
            f"/Groups/{group_id}", {"op": "add", "path": "members", "value": [{"value": user_id}]}
        )

    def remove_member(self, group_id: str, user_id: str):
        return self.patch(
            f"/Groups/{group_id}", {"op": "remove", "path": "members", "value": [{"value": user_id}]}
        )

    def rename_group(self, group_id: str, display_name: str):
        return self.patch(
            f"/Groups/{group_id}", {"op": "replace", "path": "displayName", "value": display_name}
        )

    def update_user(self, user_id: str, **paths):
        ops = [{"op": "replace", "path": path, "value": value} for path, value in paths.items()]
        return self.patch(f"/Users/{user_id}", *ops)

    def deprovision(self, user_id: str):
        return self.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": False})

    def reprovision(self, user_id: str):
        return self.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": True})


class IdpTestBase:
    """A fresh organization and integration per test, and `self.<attr>` speaking for the IdP."""

    client_class: type[IdpClient] = IdpClient
    attr = "idp"

    @pytest.fixture(autouse=True)
    def _idp_session(self, client, db):
        self.integration, self.token = make_integration()
        self.idp = self.client_class(client, self.integration, self.token)
        setattr(self, self.attr, self.idp)

    def refresh_integration(self):
        self.integration.refresh_from_db()
        return self.integration


class OktaTestBase(IdpTestBase):
    client_class = OktaClient
    attr = "okta"


class EntraTestBase(IdpTestBase):
    client_class = EntraClient
    attr = "entra"

    def flagged(self) -> EntraClient:
        """The same tenant, with `?aadOptscim062020` on its Tenant URL."""
        return EntraClient(self.entra.client, self.integration, self.token, flag=True)


class OneLoginTestBase(IdpTestBase):
    client_class = OneLoginClient
    attr = "onelogin"


class JumpCloudTestBase(IdpTestBase):
    client_class = JumpCloudClient
    attr = "jumpcloud"
