"""What every SCIM answer looks like on the wire: authentication, media types, errors, discovery."""

import json

import pytest
from django.db import connection

from integrations.services import integration_set_enabled, token_revoke, token_rotate
from scim.models import RequestRecord

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json"), response["Content-Type"]
    body = json.loads(response.content)
    assert body["schemas"] == [ERROR_URN] and body["status"] == str(status) and body["detail"]
    if scim_type:
        assert body.get("scimType") == scim_type, body
    return body


class TestAuthentication:
    @pytest.mark.parametrize(
        "header", [None, "", "Bearer", "Basic dXNlcjpwYXNz", "non-token", "Bearer wrong-token"]
    )
    def test_missing_or_wrong_token_is_a_scim_401(self, scim, header):
        extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
        response = scim.client.get(f"{scim.base}/Users", **extra)
        body = assert_error(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "org" not in body["detail"].lower()

    def test_bearer_scheme_is_case_insensitive(self, scim):
        response = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"bearer {scim.token}")
        assert response.status_code == 200

    def test_another_integrations_token_is_refused(self, scim, other_scim):
        response = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {other_scim.token}")
        assert_error(response, 401)

    def test_revoked_token_is_refused_and_the_refusal_is_recorded(self, scim):
        token = scim.integration.tokens.get()
        token_revoke(token=token)
        assert_error(scim.get("/Users"), 401)
        record = RequestRecord.objects.filter(integration=scim.integration).latest("id")
        assert record.status == 401 and "revoked" in record.outcome

    def test_rotation_with_no_grace_ends_the_old_token_now(self, scim):
        new = token_rotate(integration=scim.integration)
        assert_error(scim.get("/Users"), 401)
        assert scim.get("/Users", token=new).status_code == 200

    def test_disabled_integration_is_refused_with_a_clear_error(self, scim):
        integration_set_enabled(integration=scim.integration, enabled=False)
        body = assert_error(scim.get("/Users"), 403)
        assert "disabled" in body["detail"]

    def test_the_token_is_stored_nowhere_in_the_database(self, scim):
        scim.create_user("scan@example.test")
        scim.get("/Users")
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            for table in tables:
                cursor.execute(f'SELECT * FROM "{table}"')
                for row in cursor.fetchall():
                    assert scim.token not in repr(row), table
                    assert scim.token.split("_", 1)[1] not in repr(row), table


class TestMediaTypes:
    def _post_json(self, scim, content_type, **headers):
        body = json.dumps(
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "json@example.test"}
        )
        return scim.client.post(
            f"{scim.base}/Users",
            body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {scim.token}",
            **headers,
        )

    def test_plain_json_with_charset_is_accepted_and_answered_in_kind(self, scim):
        # OneLogin sends application/json and its documentation requires application/json back.
        response = self._post_json(scim, "application/json; charset=utf-8")
        assert response.status_code == 201
        assert response["Content-Type"] == "application/json"

    @pytest.mark.parametrize("accept", ["application/scim+json", "application/scim+json, application/json"])
    def test_a_client_that_asks_for_scim_json_gets_it_whatever_it_sent(self, scim, accept):
        response = self._post_json(scim, "application/json", HTTP_ACCEPT=accept)
        assert response.status_code == 201 and response["Content-Type"] == "application/scim+json"

    @pytest.mark.parametrize("accept", [None, "*/*"])
    def test_scim_json_in_scim_json_out_when_no_preference_is_stated(self, scim, accept):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = self._post_json(scim, "application/scim+json", **headers)
        assert response.status_code == 201 and response["Content-Type"] == "application/scim+json"
        listing = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}", **headers)
        assert listing["Content-Type"] == "application/scim+json"

    def test_a_client_asking_for_application_json_gets_it(self, scim):
        response = scim.client.get(
            f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}", HTTP_ACCEPT="application/json"
        )
        assert response["Content-Type"] == "application/json"

    def test_errors_follow_the_same_rule(self, scim):
        response = scim.client.post(
            f"{scim.base}/Users",
            "{not json",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {scim.token}",
        )
        assert response.status_code == 400 and response["Content-Type"] == "application/json"

    def test_trailing_slash_or_not_never_redirects(self, scim):
        for path in ("/Users", "/Users/", "/Groups", "/Groups/", "/ServiceProviderConfig/", "/Schemas/"):
            response = scim.get(path)
            assert response.status_code == 200, path

    def test_unknown_path_under_the_base_url_is_a_scim_404(self, scim):
        assert_error(scim.get("/Nope"), 404)

    def test_unknown_integration_is_a_scim_error_not_html(self, client, db):
        response = client.get("/scim/v2/" + "0" * 32 + "/Users", HTTP_AUTHORIZATION="Bearer x")
        assert_error(response, 401)
        response = client.get("/scim/v2/not-an-id/Users")
        assert_error(response, 404)

    def test_a_host_this_service_does_not_answer_to_is_named_as_the_cause(self, scim, settings):
        # Found by an adversarial run: the 400 said only "The request could not be understood."
        settings.ALLOWED_HOSTS = ["scim.example.com"]
        response = scim.get("/Users", HTTP_HOST="evil.example")
        assert "Host header" in assert_error(response, 400)["detail"]

    @pytest.mark.parametrize("path", ["/scim", "/SCIM", "/scim/", "/scim/v2", "/scim/v2/"])
    def test_the_bare_scim_prefix_is_a_scim_404_not_html(self, client, db, path):
        # Found by an adversarial run: "/scim" without the slash was Django's HTML 404.
        assert_error(client.get(path, HTTP_AUTHORIZATION="Bearer x"), 404)

    def test_malformed_json_is_invalid_syntax(self, scim):
        response = scim.request("POST", "/Users", raw='{"userName": ')
        assert_error(response, 400, "invalidSyntax")

    def test_a_body_that_is_not_an_object_is_a_clear_400(self, scim):
        response = scim.request("POST", "/Users", raw="[1, 2]")
        assert_error(response, 400)

    def test_oversized_body_is_413(self, scim, settings):
        settings.SCIM_MAX_PAYLOAD_BYTES = 1000
        response = scim.request("POST", "/Users", raw=json.dumps({"userName": "x" * 2000}))
        assert_error(response, 413)

    def test_deeply_nested_json_is_refused(self, scim):
        response = scim.request("POST", "/Users", raw="[" * 5000 + "]" * 5000)
        assert_error(response, 400, "invalidSyntax")

    def test_unsupported_media_type_is_415(self, scim):
        response = scim.request("POST", "/Users", raw="<user/>", content_type="application/xml")
        assert_error(response, 415)

    def test_method_not_allowed_is_a_scim_405(self, scim):
        assert_error(scim.request("DELETE", "/Users"), 405)

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
    @pytest.mark.parametrize(
        "path", ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/ResourceTypes/User"]
    )
    def test_a_method_discovery_lacks_is_405_with_or_without_a_body(self, scim, method, path):
        # scim2-tester sends these without a body; the answer must not depend on one.
        for body in (None, {}):
            response = scim.request(method, path, body)
            assert_error(response, 405)
            assert "GET" in response["Allow"]

    def test_post_to_a_resource_is_405_with_or_without_a_body(self, scim):
        user_id = scim.create_user("ada@example.test")["id"]
        for body in (None, {}):
            assert_error(scim.request("POST", f"/Users/{user_id}", body), 405)

    def test_an_unknown_path_is_404_with_or_without_a_body(self, scim):
        for body in (None, {}):
            assert_error(scim.request("POST", "/Nothing", body), 404)

    def test_missing_user_agent_is_fine(self, scim):
        response = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}")
        assert response.status_code == 200


class TestDiscovery:
    def test_service_provider_config_describes_what_is_supported(self, scim):
        doc = scim.get("/ServiceProviderConfig").doc
        assert doc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
        assert doc["patch"]["supported"] is True
        assert doc["filter"]["supported"] is True and doc["filter"]["maxResults"] >= 100
        assert doc["authenticationSchemes"][0]["type"] == "oauthbearertoken"
        assert doc["meta"]["resourceType"] == "ServiceProviderConfig"

    def test_schemas_is_a_list_response_of_schema_resources(self, scim):
        doc = scim.get("/Schemas").doc
        assert doc["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
        ids = {r["id"] for r in doc["Resources"]}
        assert {
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        } <= ids
        for resource in doc["Resources"]:
            assert resource["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
            assert resource["meta"]["resourceType"] == "Schema"
            single = scim.get(f"/Schemas/{resource['id']}")
            assert single.status_code == 200 and single.doc["id"] == resource["id"]

    def test_resource_types_name_users_and_groups(self, scim):
        doc = scim.get("/ResourceTypes").doc
        by_id = {r["id"]: r for r in doc["Resources"]}
        assert by_id["User"]["endpoint"] == "/Users"
        assert by_id["User"]["schemaExtensions"][0]["schema"].endswith("enterprise:2.0:User")
        assert by_id["Group"]["endpoint"] == "/Groups"
        assert scim.get("/ResourceTypes/User").doc["id"] == "User"
        assert_error(scim.get("/ResourceTypes/Nope"), 404)


class TestBodiesWithoutLength:
    def test_a_chunked_body_is_read(self, scim, client):
        from django.test import RequestFactory

        from scim.middleware import _read_chunked_body

        body = json.dumps({"userName": "chunked@example.test"}).encode()
        request = RequestFactory().generic(
            "POST", f"{scim.base}/Users", b"", content_type="application/scim+json"
        )
        request.META.pop("CONTENT_LENGTH", None)
        request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
        request.META["wsgi.input"] = __import__("io").BytesIO(body)
        assert _read_chunked_body(request) is None
        assert request.body == body and request.META["CONTENT_LENGTH"] == str(len(body))

    def test_an_oversized_chunked_body_is_413(self, scim, settings):
        from django.test import RequestFactory

        from scim.middleware import _read_chunked_body

        settings.SCIM_MAX_PAYLOAD_BYTES = 10
        request = RequestFactory().generic(
            "POST", f"{scim.base}/Users", b"", content_type="application/scim+json"
        )
        request.META.pop("CONTENT_LENGTH", None)
        request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
        request.META["wsgi.input"] = __import__("io").BytesIO(b"x" * 100)
        assert _read_chunked_body(request).status == 413

    def test_an_empty_body_is_invalid_syntax(self, scim):
        assert_error(scim.request("POST", "/Users", raw=""), 400, "invalidSyntax")

    def test_huge_start_index_is_an_empty_page_not_an_error(self, scim):
        response = scim.client.get(
            f"{scim.base}/Users",
            {"startIndex": "100000000000000000000"},
            HTTP_AUTHORIZATION=f"Bearer {scim.token}",
        )
        assert response.status_code == 200 and response.json()["Resources"] == []

    def test_options_is_a_scim_405(self, scim):
        response = scim.request("OPTIONS", "/Users")
        assert_error(response, 405)
        assert "OPTIONS" not in response["Allow"] and "GET" in response["Allow"]

    def test_allow_never_offers_options(self, scim):
        response = scim.request("GET", "/Users/.search")
        assert_error(response, 405)
        assert [m.strip() for m in response["Allow"].split(",")] == ["POST"]

    def test_upper_case_prefix_is_a_scim_404_not_html(self, scim):
        response = scim.client.get(scim.base.replace("/scim/v2/", "/SCIM/V2/") + "/Users")
        assert_error(response, 404)


def test_plain_http_to_the_scim_api_is_refused_not_redirected(scim, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^scim/"]
    response = scim.get("/Users")
    assert_error(response, 403)
    assert "HTTPS" in json.loads(response.content)["detail"]
    assert (
        scim.client.get(
            f"{scim.base}/Users", secure=True, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
        ).status_code
        == 200
    )


class TestResponseMediaTypeSetting:
    """An integration can answer application/json when the IdP states no preference (OneLogin)."""

    @pytest.fixture
    def json_answers(self, scim):
        from integrations.models import Integration

        Integration.objects.filter(pk=scim.integration.pk).update(
            response_media_type=Integration.ResponseMediaType.JSON
        )
        return scim

    @pytest.mark.parametrize("accept", [None, "*/*"])
    def test_answers_and_errors_are_application_json_when_no_preference_is_stated(self, json_answers, accept):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        auth = {"HTTP_AUTHORIZATION": f"Bearer {json_answers.token}"}
        listing = json_answers.client.get(f"{json_answers.base}/Users", **auth, **headers)
        assert listing.status_code == 200 and listing["Content-Type"] == "application/json"
        error = json_answers.client.get(f"{json_answers.base}/Users/nope", **auth, **headers)
        assert error.status_code == 404 and error["Content-Type"] == "application/json"

    def test_a_client_that_asks_for_scim_json_still_gets_it(self, json_answers):
        response = json_answers.client.get(
            f"{json_answers.base}/Users",
            HTTP_AUTHORIZATION=f"Bearer {json_answers.token}",
            HTTP_ACCEPT="application/scim+json",
        )
        assert response["Content-Type"] == "application/scim+json"

    def test_the_default_is_the_scim_media_type(self, scim):
        response = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}")
        assert response["Content-Type"] == "application/scim+json"


class TestNegotiationDetails:
    """Found by an adversarial run."""

    @pytest.mark.parametrize(
        "accept, expected",
        [
            ("application/scim+json;q=0, application/json", "application/json"),
            ("application/jsonx", "application/scim+json"),
            ("application/json; q=0", "application/scim+json"),
            ("text/html, application/json;q=0.5", "application/json"),
        ],
    )
    def test_accept_is_read_as_media_ranges(self, scim, accept, expected):
        response = scim.client.get(
            f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}", HTTP_ACCEPT=accept
        )
        assert response["Content-Type"] == expected

    def test_errors_answered_outside_the_views_follow_the_same_rule(self, scim):
        response = scim.client.get("/scim/v2/nothing-here", HTTP_ACCEPT="application/json")
        assert response.status_code == 404 and response["Content-Type"] == "application/json"

    @pytest.mark.parametrize("separator", ["\t", "  "])
    def test_any_whitespace_may_follow_bearer(self, scim, separator):
        response = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer{separator}{scim.token}")
        assert response.status_code == 200

    def test_a_jwt_in_place_of_our_token_is_the_same_401_and_recorded_as_such(self, scim):
        from scim.activity import AUTH_FAILURES
        from scim.models import RequestRecord

        jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl"
        response = scim.client.get(f"{scim.base}/Users", HTTP_AUTHORIZATION=f"Bearer {jwt}")
        assert response.status_code == 401
        assert RequestRecord.objects.latest("id").outcome == AUTH_FAILURES["jwt"]

    def test_a_method_an_endpoint_lacks_names_itself(self, scim):
        response = scim.request("DELETE", "/Users")
        assert response.status_code == 405
        assert response.doc["detail"] == "The method DELETE is not allowed on this endpoint."
