"""Which IdP a request came from: named only on evidence, blank otherwise."""

import json

import pytest
from django.test import RequestFactory
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from scim.activity import detect_idp

BASE = "/scim/v2/" + "0" * 32
GUID = "0c8e4f4e-9b1d-4f1e-8a53-2f0d6e1f7a11"


def _request(method="GET", path="/Users", body=None, **headers):
    factory = RequestFactory()
    data = json.dumps(body) if body is not None else ""
    django_request = factory.generic(
        method, BASE + path, data=data, content_type="application/json", **headers
    )
    return Request(django_request, parsers=[JSONParser()])


@pytest.mark.parametrize(
    "agent, expected",
    [
        ("Okta SCIM Client 1.0.0", "Okta"),
        ("OKTA SCIM Integration", "Okta"),
        ("OneLogin SCIM", "OneLogin"),
        ("JumpCloud SCIM Client", "JumpCloud"),
        ("Microsoft.Identity.Provisioning", "Microsoft Entra ID"),
        ("curl/8.5.0", ""),
        ("python-requests/2.32", ""),
    ],
)
def test_user_agent_names_the_idp(agent, expected):
    assert detect_idp(_request(HTTP_USER_AGENT=agent)) == expected


def test_no_user_agent_alone_is_not_a_guess():
    assert detect_idp(_request(path="/Users?filter=userName%20eq%20%22ada%40example.test%22")) == ""


def test_entra_url_flag():
    assert detect_idp(_request(path="/Users?aadOptscim062020")) == "Microsoft Entra ID"


def test_entra_test_connection_guid_lookup():
    assert detect_idp(_request(path=f"/Users?filter=userName%20eq%20%22{GUID}%22")) == "Microsoft Entra ID"


def test_entra_group_read_without_members():
    path = "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Analysts%22"
    assert detect_idp(_request(path=path)) == "Microsoft Entra ID"


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "x"}]},
        {"op": "replace", "path": "active", "value": "True"},
    ],
)
def test_entra_default_patch_dialect(operation):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [operation]}
    assert detect_idp(_request("PATCH", "/Users/x", body)) == "Microsoft Entra ID"


def test_rfc_patch_without_a_user_agent_stays_blank():
    body = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert detect_idp(_request("PATCH", "/Users/x", body)) == ""


def test_a_named_client_is_never_overridden_by_a_fingerprint():
    path = f"/Users?filter=userName%20eq%20%22{GUID}%22"
    assert detect_idp(_request(path=path, HTTP_USER_AGENT="curl/8.5.0")) == ""
