"""The rest of RFC 7644 over HTTP (issue 4): projection, sorting, search, ETags, cursors, Bulk."""

import pytest

from tests.factories import make_scim_user

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def listing(scim, path="/Users", **params):
    response = scim.client.get(f"{scim.base}{path}", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert response.status_code == 200, response.content
    return response.json()


class TestProjection:
    def test_attributes_returns_only_those_plus_id_and_schemas(self, scim):
        doc = scim.create_user("proj@example.test", title="T", name={"givenName": "G", "familyName": "F"})
        got = scim.client.get(
            f"{scim.base}/Users/{doc['id']}",
            {"attributes": "name.givenName,title"},
            HTTP_AUTHORIZATION=f"Bearer {scim.token}",
        ).json()
        assert got == {"schemas": doc["schemas"], "id": doc["id"], "name": {"givenName": "G"}, "title": "T"}

    def test_excluded_attributes_never_removes_id(self, scim):
        doc = scim.create_user("excl@example.test", title="T")
        got = scim.client.get(
            f"{scim.base}/Users/{doc['id']}",
            {"excludedAttributes": "title,id,meta"},
            HTTP_AUTHORIZATION=f"Bearer {scim.token}",
        ).json()
        assert "title" not in got and "meta" not in got and got["id"] == doc["id"]

    def test_a_schema_urn_or_an_extension_attribute_named_alone_is_understood(self, scim):
        # Found by an adversarial run: these were silently ignored, while filters and PATCH paths
        # read them. The URN of a schema stands for all of its attributes.
        enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        doc = scim.create_user(
            "ext@example.test",
            title="T",
            schemas=[USER_URN, enterprise],
            **{enterprise: {"department": "D1", "employeeNumber": "7"}},
        )

        def get(**params):
            return scim.client.get(
                f"{scim.base}/Users/{doc['id']}", params, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
            ).json()

        assert (
            enterprise not in get(excludedAttributes=enterprise)
            and get(excludedAttributes=enterprise)["title"] == "T"
        )
        assert get(attributes=enterprise)[enterprise] == {"department": "D1", "employeeNumber": "7"}
        assert "title" not in get(attributes=enterprise)
        assert get(attributes="department")[enterprise] == {"department": "D1"}
        assert get(excludedAttributes="department")[enterprise] == {"employeeNumber": "7"}
        core = get(attributes=USER_URN)
        assert core["userName"] == "ext@example.test" and core["title"] == "T" and enterprise not in core

    def test_list_projection_applies_to_every_resource(self, scim):
        scim.create_user("a@example.test", title="A")
        body = listing(scim, attributes="userName")
        assert set(body["Resources"][0]) == {"schemas", "id", "userName"}


class TestSortingAndSearch:
    def test_sort_by_user_name_both_ways(self, scim):
        for name in ("carol@example.test", "alice@example.test", "Bob@example.test"):
            scim.create_user(name)
        up = [r["userName"] for r in listing(scim, sortBy="userName")["Resources"]]
        down = [r["userName"] for r in listing(scim, sortBy="userName", sortOrder="descending")["Resources"]]
        assert up == ["alice@example.test", "Bob@example.test", "carol@example.test"]
        assert down == list(reversed(up))

    def test_post_search_on_users(self, scim):
        scim.create_user("find@example.test")
        scim.create_user("other@example.test")
        response = scim.post(
            "/Users/.search",
            {"schemas": [SEARCH], "filter": 'userName sw "find"', "attributes": ["userName"]},
        )
        assert response.status_code == 200
        assert [r["userName"] for r in response.doc["Resources"]] == ["find@example.test"]

    def test_search_with_count_zero_returns_only_the_total(self, scim):
        scim.create_user("x@example.test")
        response = scim.post("/Users/.search", {"schemas": [SEARCH], "count": 0})
        assert response.doc["totalResults"] == 1 and not response.doc.get("Resources")

    def test_search_at_the_root_spans_users_and_groups(self, scim):
        user = scim.create_user("root@example.test")
        group = scim.create_group("Root group")
        response = scim.post("/.search", {"schemas": [SEARCH]})
        assert response.status_code == 200
        assert {r["id"] for r in response.doc["Resources"]} == {user["id"], group["id"]}
        response = scim.post("/.search", {"schemas": [SEARCH], "filter": 'displayName eq "Root group"'})
        assert [r["id"] for r in response.doc["Resources"]] == [group["id"]]

    def test_get_on_search_is_not_allowed(self, scim):
        assert scim.get("/Users/.search").status_code == 405


class TestETags:
    def test_every_resource_carries_its_version(self, scim):
        doc = scim.create_user("etag@example.test")
        response = scim.get(f"/Users/{doc['id']}")
        assert response["ETag"] == doc["meta"]["version"] == response.doc["meta"]["version"]

    def test_if_none_match_with_the_current_version_is_304(self, scim):
        doc = scim.create_user("cache@example.test")
        response = scim.get(f"/Users/{doc['id']}", HTTP_IF_NONE_MATCH=doc["meta"]["version"])
        assert response.status_code == 304

    def test_a_users_version_changes_when_its_groups_do(self, scim):
        # Found by an adversarial run: a user's ETag stayed W/"1" while its `groups` changed, so
        # If-None-Match answered 304 and a caching client kept the old groups.
        user = scim.create_user("grouped@example.test")
        seen = [scim.get(f"/Users/{user['id']}")["ETag"]]
        group = scim.create_group("Readers", members=[user["id"]])
        seen.append(scim.get(f"/Users/{user['id']}")["ETag"])
        scim.patch(f"/Groups/{group['id']}", [{"op": "replace", "path": "displayName", "value": "Writers"}])
        seen.append(scim.get(f"/Users/{user['id']}")["ETag"])
        scim.patch(f"/Groups/{group['id']}", [{"op": "remove", "path": f'members[value eq "{user["id"]}"]'}])
        seen.append(scim.get(f"/Users/{user['id']}")["ETag"])
        assert len(set(seen[:3])) == 3 and seen[3] == seen[0], seen
        # The old tag no longer matches: a full answer, not a 304; a change made on it is a 412.
        stale = seen[1]
        assert scim.get(f"/Users/{user['id']}", HTTP_IF_NONE_MATCH=stale).status_code == 200
        assert (
            scim.patch(
                f"/Users/{user['id']}",
                [{"op": "replace", "path": "title", "value": "X"}],
                HTTP_IF_MATCH=stale,
            ).status_code
            == 412
        )

    def test_a_grouped_users_version_is_the_same_wherever_it_is_read(self, scim):
        user = scim.create_user("everywhere@example.test")
        scim.create_group("Everywhere", members=[user["id"]])
        tag = scim.get(f"/Users/{user['id']}")["ETag"]
        assert scim.get(f"/Users/{user['id']}", HTTP_IF_NONE_MATCH=tag).status_code == 304
        for query in ("", "?excludedAttributes=groups", "?attributes=userName,meta"):
            listed = scim.get(f"/Users{query}").doc["Resources"][0]
            assert listed["meta"]["version"] == tag, query
        assert scim.get(f"/Users/{user['id']}?excludedAttributes=groups")["ETag"] == tag
        changed = scim.patch(
            f"/Users/{user['id']}", [{"op": "replace", "path": "title", "value": "X"}], HTTP_IF_MATCH=tag
        )
        assert changed.status_code == 200
        assert changed["ETag"] == changed.doc["meta"]["version"] == scim.get(f"/Users/{user['id']}")["ETag"]

    def test_if_match_with_a_stale_version_is_412_and_changes_nothing(self, scim):
        doc = scim.create_user("stale@example.test", title="Before")
        scim.patch(f"/Users/{doc['id']}", [{"op": "replace", "path": "title", "value": "Now"}])
        response = scim.patch(
            f"/Users/{doc['id']}",
            [{"op": "replace", "path": "title", "value": "Lost"}],
            HTTP_IF_MATCH=doc["meta"]["version"],
        )
        assert response.status_code == 412
        assert scim.get(f"/Users/{doc['id']}").doc["title"] == "Now"

    def test_if_match_with_the_current_version_succeeds(self, scim):
        doc = scim.create_user("fresh@example.test")
        response = scim.put(
            f"/Users/{doc['id']}",
            {"schemas": [USER_URN], "userName": "fresh@example.test", "title": "X"},
            HTTP_IF_MATCH=doc["meta"]["version"],
        )
        assert response.status_code == 200 and response.doc["meta"]["version"] != doc["meta"]["version"]

    def test_version_changes_with_every_change_and_delete_honours_if_match(self, scim):
        doc = scim.create_user("del@example.test")
        assert scim.delete(f"/Users/{doc['id']}", HTTP_IF_MATCH='W/"999"').status_code == 412
        assert scim.delete(f"/Users/{doc['id']}", HTTP_IF_MATCH=doc["meta"]["version"]).status_code == 204

    def test_service_provider_config_advertises_etags(self, scim):
        assert scim.get("/ServiceProviderConfig").doc["etag"]["supported"] is True


class TestCursorPagination:
    def test_cursor_pages_walk_every_user_once_despite_concurrent_changes(self, scim):
        users = [make_scim_user(scim.integration, f"c{i:02d}@example.test") for i in range(7)]
        first = listing(scim, cursor="", count=3)
        assert [r["userName"] for r in first["Resources"]] == [u.user_name for u in users[:3]]
        # a user on a later page is deleted and a new one arrives between pages
        scim.delete(f"/Users/{users[4].scim_id}")
        newcomer = make_scim_user(scim.integration, "late@example.test")
        seen = [r["userName"] for r in first["Resources"]]
        page = first
        while "nextCursor" in page:
            page = listing(scim, cursor=page["nextCursor"], count=3)
            seen += [r["userName"] for r in page["Resources"]]
        expected = [u.user_name for u in users if u is not users[4]] + [newcomer.user_name]
        assert seen == expected

    def test_a_cursor_we_did_not_issue_is_refused(self, scim):
        response = scim.client.get(
            f"{scim.base}/Users", {"cursor": "garbage!!"}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
        )
        assert response.status_code == 400 and response.json()["scimType"] == "invalidCursor"

    def test_cursor_and_start_index_together_are_refused(self, scim):
        response = scim.client.get(
            f"{scim.base}/Users", {"cursor": "", "startIndex": 2}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
        )
        assert response.status_code == 400


class TestQueryCounts:
    @pytest.mark.parametrize("size", [5, 40])
    def test_list_filter_and_cursor_pages_cost_the_same_whatever_their_size(
        self, scim, size, django_assert_max_num_queries
    ):
        for i in range(size):
            make_scim_user(
                scim.integration,
                f"p{i}@example.test",
                attributes={"emails": [{"value": f"p{i}@example.test", "type": "work"}]},
            )
        listing(scim)  # the first request of a minute also notes that the IdP reached us
        for params in ({}, {"filter": 'emails.value co "@example.test"'}, {"cursor": "", "count": 30}):
            with django_assert_max_num_queries(8):
                body = listing(scim, **params)
            assert body["totalResults"] == size


class TestBulk:
    def test_bulk_creates_with_bulk_id_references_and_reports_each_operation(self, scim):
        response = scim.post(
            "/Bulk",
            {
                "schemas": [BULK],
                "Operations": [
                    {
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": "u1",
                        "data": {"schemas": [USER_URN], "userName": "bulk1@example.test"},
                    },
                    {
                        "method": "POST",
                        "path": "/Groups",
                        "bulkId": "g1",
                        "data": {
                            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                            "displayName": "Bulk team",
                            "members": [{"value": "bulkId:u1"}],
                        },
                    },
                    {
                        "method": "PATCH",
                        "path": "/Users/bulkId:u1",
                        "data": {
                            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations": [{"op": "replace", "path": "title", "value": "Bulked"}],
                        },
                    },
                ],
            },
        )
        assert response.status_code == 200
        ops = response.doc["Operations"]
        assert [op["status"] for op in ops] == ["201", "201", "200"]
        user_id = ops[0]["location"].rsplit("/", 1)[1]
        group = scim.get("/Groups/" + ops[1]["location"].rsplit("/", 1)[1]).doc
        assert [m["value"] for m in group["members"]] == [user_id]
        assert scim.get(f"/Users/{user_id}").doc["title"] == "Bulked"

    def test_fail_on_errors_stops_after_that_many_failures(self, scim):
        scim.create_user("exists@example.test")
        ops = [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": f"b{i}",
                "data": {"userName": "exists@example.test"},
            }
            for i in range(3)
        ]
        ops.append(
            {"method": "POST", "path": "/Users", "bulkId": "ok", "data": {"userName": "new@example.test"}}
        )
        response = scim.post("/Bulk", {"schemas": [BULK], "failOnErrors": 2, "Operations": ops})
        assert [op["status"] for op in response.doc["Operations"]] == ["409", "409"]
        assert response.doc["Operations"][0]["response"]["scimType"] == "uniqueness"

    def test_too_many_operations_is_413(self, scim, settings):
        settings.SCIM_BULK_MAX_OPERATIONS = 2
        ops = [{"method": "DELETE", "path": f"/Users/{i}"} for i in range(3)]
        response = scim.post("/Bulk", {"schemas": [BULK], "Operations": ops})
        assert response.status_code == 413 and response.doc["status"] == "413"

    def test_bulk_limits_are_advertised(self, scim):
        bulk = scim.get("/ServiceProviderConfig").doc["bulk"]
        assert bulk["supported"] is True and bulk["maxOperations"] >= 1 and bulk["maxPayloadSize"] >= 1024

    def test_a_reference_to_an_unknown_bulk_id_fails_that_operation_only(self, scim):
        response = scim.post(
            "/Bulk",
            {
                "schemas": [BULK],
                "Operations": [
                    {
                        "method": "PATCH",
                        "path": "/Users/bulkId:nope",
                        "data": {"Operations": [{"op": "replace", "path": "title", "value": "x"}]},
                    },
                    {
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": "fine",
                        "data": {"userName": "fine@example.test"},
                    },
                ],
            },
        )
        assert [op["status"] for op in response.doc["Operations"]] == ["400", "201"]


class TestBulkReferences:
    def test_a_reference_may_point_forward(self, scim):
        response = scim.post(
            "/Bulk",
            {
                "schemas": [BULK],
                "Operations": [
                    {
                        "method": "POST",
                        "path": "/Groups",
                        "bulkId": "g",
                        "data": {"displayName": "Forward", "members": [{"value": "bulkId:u"}]},
                    },
                    {
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": "u",
                        "data": {"userName": "forward@example.test"},
                    },
                ],
            },
        )
        assert [op["status"] for op in response.doc["Operations"]] == ["201", "201"]
        assert [op["bulkId"] for op in response.doc["Operations"]] == ["g", "u"]
        group = scim.get("/Groups/" + response.doc["Operations"][0]["location"].rsplit("/", 1)[1]).doc
        assert [m["value"] for m in group["members"]] == [
            response.doc["Operations"][1]["location"].rsplit("/", 1)[1]
        ]

    def test_a_circular_reference_fails_both_operations(self, scim):
        response = scim.post(
            "/Bulk",
            {
                "schemas": [BULK],
                "Operations": [
                    {
                        "method": "POST",
                        "path": "/Groups",
                        "bulkId": "a",
                        "data": {"displayName": "A", "members": [{"value": "bulkId:b"}]},
                    },
                    {
                        "method": "POST",
                        "path": "/Groups",
                        "bulkId": "b",
                        "data": {"displayName": "B", "members": [{"value": "bulkId:a"}]},
                    },
                ],
            },
        )
        assert [op["status"] for op in response.doc["Operations"]] == ["409", "409"]

    def test_duplicate_bulk_ids_are_refused(self, scim):
        response = scim.post(
            "/Bulk",
            {
                "schemas": [BULK],
                "Operations": [
                    {
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": "same",
                        "data": {"userName": "one@example.test"},
                    },
                    {
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": "same",
                        "data": {"userName": "two@example.test"},
                    },
                ],
            },
        )
        assert response.status_code == 400 and "same" in response.doc["detail"]


class TestPreconditionsWithStar:
    def test_if_none_match_star_on_get_is_304(self, scim):
        doc = scim.create_user("star@example.test")
        assert scim.get(f"/Users/{doc['id']}", HTTP_IF_NONE_MATCH="*").status_code == 304

    def test_if_none_match_on_a_change_to_an_existing_resource_is_412(self, scim):
        doc = scim.create_user("star2@example.test", title="Kept")
        response = scim.patch(
            f"/Users/{doc['id']}", [{"op": "replace", "path": "title", "value": "No"}], HTTP_IF_NONE_MATCH="*"
        )
        assert response.status_code == 412
        assert scim.get(f"/Users/{doc['id']}").doc["title"] == "Kept"


class TestOddInputIsAClientError:
    """Found by an adversarial run: each was a 500."""

    @pytest.mark.parametrize("path", ["/Users", "/Groups"])
    @pytest.mark.parametrize("attribute", ["meta.resourceType", "groups.type", "members.type"])
    def test_sorting_by_an_attribute_every_resource_shares_keeps_the_default_order(
        self, scim, path, attribute
    ):
        if (path, attribute) in (("/Users", "members.type"), ("/Groups", "groups.type")):
            pytest.skip("not an attribute of that resource type")
        for name in ("b@example.test", "a@example.test"):
            scim.create_user(name)
        for name in ("team b", "team a"):
            scim.post(
                "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}
            )
        for order in ("ascending", "descending"):
            body = listing(scim, path, sortBy=attribute, sortOrder=order)
            assert body["totalResults"] == 2
            key = "userName" if path == "/Users" else "displayName"
            assert [r[key] for r in body["Resources"]] == (
                ["b@example.test", "a@example.test"] if path == "/Users" else ["team b", "team a"]
            )

    def test_a_number_too_long_for_python_is_invalid_syntax(self, scim):
        raw = '{"schemas":["%s"],"userName":"a@example.test","title":%s}' % (USER_URN, "1" * 5000)  # noqa: UP031
        response = scim.request("POST", "/Users", raw=raw)
        assert response.status_code == 400 and response.doc["scimType"] == "invalidSyntax"

    @pytest.mark.parametrize("version", [5, ['W/"1"'], {"v": 1}])
    def test_a_bulk_version_that_is_not_a_string_fails_that_operation(self, scim, version):
        user = scim.create_user("ada@example.test")
        op = {
            "method": "PATCH",
            "path": f"/Users/{user['id']}",
            "version": version,
            "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []},
        }
        response = scim.post("/Bulk", {"schemas": [BULK], "Operations": [op]})
        assert response.status_code == 200
        assert response.doc["Operations"][0]["status"] == "400"

    @pytest.mark.parametrize("field", ["attributes", "excludedAttributes"])
    @pytest.mark.parametrize("value", [[5], {}, 7, [["userName"]]])
    def test_a_search_naming_attributes_with_something_other_than_strings_is_invalid(
        self, scim, field, value
    ):
        response = scim.post("/Users/.search", {"schemas": [SEARCH], field: value})
        assert response.status_code == 400 and response.doc["scimType"] == "invalidValue"
        assert field in response.doc["detail"]


def test_a_bulk_request_shares_one_patch_budget_across_its_operations(scim):
    # Sixty PATCHes, each under the limit, held a worker 30 s in one Bulk request.
    from scim.protocol.patch import MAX_PATCH_WORK

    user = scim.create_user(
        "heavy@example.test", emails=[{"value": f"e{i}@x.test", "type": "work"} for i in range(1000)]
    )
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": 'emails[value co "@"].display', "value": f"d{j}"} for j in range(8)
        ],
    }
    per_operation = 8 * 1000
    ops = [
        {"method": "PATCH", "path": f"/Users/{user['id']}", "data": patch}
        for _ in range(MAX_PATCH_WORK // per_operation + 2)
    ]
    response = scim.post("/Bulk", {"schemas": [BULK], "Operations": ops})
    assert response.status_code == 200
    statuses = [op["status"] for op in response.doc["Operations"]]
    assert statuses[0] == "200" and statuses[-1] == "400", statuses
