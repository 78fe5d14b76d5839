"""The SCIM HTTP API. Views parse, authenticate, call one service or selector, and render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.functional import cached_property
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.models import Integration
from integrations.selectors import scim_base_url
from integrations.services import integration_touch

from . import activity, bulk, selectors, services
from .authentication import HasIntegration, IntegrationTokenAuthentication, hold_integration
from .content import (
    PlainJSONParser,
    PlainJSONRenderer,
    ScimContentNegotiation,
    ScimJSONParser,
    ScimJSONRenderer,
    TextJSONParser,
    states_preference,
    unstorable_text,
)
from .exceptions import is_transaction_conflict
from .protocol import discovery
from .protocol.errors import ScimError, bad_request
from .protocol.filters import parse_filter
from .protocol.pagination import parse_page
from .protocol.projection import parse_attribute_list, project, wants_attribute
from .protocol.schemas import GROUP, SEARCH_REQUEST_URN, USER, ResourceType, resource_type_by_id, schema_by_id
from .representation import etag, group_resource, user_resource, user_version
from .throttling import IntegrationRateThrottle, count_in_window


def _param(source, name: str):
    """A query or search-request parameter, its name matched case-insensitively."""
    if name in source:
        return source[name]
    lowered = name.lower()
    return next((source[key] for key in source if isinstance(key, str) and key.lower() == lowered), None)


def _refuse_unstorable_url(request) -> None:
    """A NUL (%00) in the path or a query parameter would reach the database, which cannot hold
    it (PostgreSQL raises): refuse it as a client error instead."""
    texts = [request.path, *(value for _, values in request.query_params.lists() for value in values)]
    if any(unstorable_text(text) for text in texts):
        raise bad_request("The URL holds a NUL character, which no attribute or id can contain.")


# A transaction PostgreSQL chose as a deadlock victim, or refused to serialize, changed nothing:
# run it again, as PostgreSQL's documentation advises, before telling the IdP.
TRANSACTION_ATTEMPTS = 3


def _in_transaction_retrying_conflicts(work):
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return work()
        except DatabaseError as error:
            if not is_transaction_conflict(error) or attempt == TRANSACTION_ATTEMPTS:
                raise


class ScimView(APIView):
    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [HasIntegration]
    parser_classes = [ScimJSONParser, PlainJSONParser, TextJSONParser]
    renderer_classes = [ScimJSONRenderer, PlainJSONRenderer]
    content_negotiation_class = ScimContentNegotiation
    throttle_classes = [IntegrationRateThrottle]

    # OPTIONS gets a SCIM 405 rather than DRF's description of the view, and `Allow` headers
    # don't offer it.
    metadata_class = None
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]

    def initial(self, request, *args, **kwargs):
        activity.start(request)
        super().initial(request, *args, **kwargs)
        if (
            self.integration.response_media_type == Integration.ResponseMediaType.JSON
            and not states_preference(request)
        ):
            # The integration's own setting, for an IdP that states no preference (OneLogin).
            request.accepted_renderer = PlainJSONRenderer()
            request.accepted_media_type = PlainJSONRenderer.media_type
        # Only a method this endpoint serves needs a body: POST /Schemas without one is a 405
        # like any other method the endpoint lacks (RFC 9110 section 15.5.6), not a 400.
        if (
            self.reads_body
            and hasattr(self, request.method.lower())
            and request.method in ("POST", "PUT", "PATCH")
            and not request.META.get("CONTENT_LENGTH", "").strip("0")
        ):
            raise ScimError(400, "The request body is empty: send a JSON object.", "invalidSyntax")
        _refuse_unstorable_url(request)

    @property
    def integration(self) -> Integration:
        return self.request.auth

    @cached_property  # one view instance per request; a page of 100 resources asks 100 times
    def base_url(self) -> str:
        return scim_base_url(integration=self.integration, request=self.request)

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise ScimError(405, f"The method {request.method} is not allowed on this endpoint.")

    # POST /.search reads like a GET.
    reads_only = False
    # A POST, PUT or PATCH without a body is a 400 (off where the answer is the same either way).
    reads_body = True

    def perform(self, request, work) -> Response:
        """Run `work` and record the request in one transaction: both commit or neither does.

        A read changes nothing, so its record is its only write: one statement that commits by
        itself, without the BEGIN and COMMIT round trips of a transaction (reads are most of an
        IdP's traffic: a lookup before every create)."""
        if self.reads_only or request.method in ("GET", "HEAD"):
            response = work()
            try:
                activity.record(request, response, integration=self.integration)
            except IntegrityError:
                pass  # the integration was deleted meanwhile, and its activity with it
            request.scim_recorded = True
        else:

            def recorded():
                # The integration stays until this change commits (its deletion waits), or this
                # request learns it is gone, instead of failing as it commits.
                hold_integration(self.integration)
                response = work()
                activity.record(request, response, integration=self.integration)
                return response

            response = _in_transaction_retrying_conflicts(recorded)
            request.scim_recorded = True
        integration_touch(
            integration=self.integration,
            client=request.META.get("HTTP_USER_AGENT", ""),
            idp=activity.detect_idp(request),
            token=request.user.token,
        )
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not getattr(request, "scim_recorded", False):
            self._record_refusal(request, response)
        return response

    def _record_refusal(self, request, response) -> None:
        """Requests refused before or during their work are recorded after the rollback, so the
        admin sees failed attempts (a revoked token, a bad filter) on the integration's page."""
        if response.status_code == 503:
            return  # the database is unreachable: nothing can be recorded
        try:
            integration = request.auth if isinstance(getattr(request, "_auth", None), Integration) else None
            authenticated = integration is not None
            if not authenticated:
                # Anyone who knows the URL can send these: a bounded number a minute is recorded
                # per client address (and ten times that in all), so a stranger can neither flood
                # the activity nor use up the budget of the IdP's own addresses.
                public_id = self.kwargs.get("integration_id", "")
                per_client, _ = count_in_window(
                    f"scim-refusals:{public_id}:{request.META.get('REMOTE_ADDR', '')}"
                )
                in_all, _ = count_in_window(f"scim-refusals:{public_id}")
                limit = settings.SCIM_REFUSALS_RECORDED_PER_MINUTE
                if per_client > limit or in_all > 10 * limit:
                    return
                integration = Integration.objects.filter(
                    public_id=self.kwargs.get("integration_id", "")
                ).first()
            if integration is None:
                return
            with transaction.atomic():
                activity.record(request, response, integration=integration, linked=authenticated)
        except DatabaseError:
            pass  # the database is the problem being reported; don't hide the answer behind it


class DiscoveryView(ScimView):
    def get(self, request, *args, **kwargs):
        if _param(request.query_params, "filter") is not None:
            # RFC 7644 section 4: a filter on discovery endpoints is refused with 403.
            raise ScimError(403, "Filtering is not supported on discovery endpoints.")
        return self.perform(request, lambda: Response(self.document(*args, **kwargs)))


def _capabilities() -> discovery.Capabilities:
    return discovery.Capabilities(
        max_results=settings.SCIM_MAX_PAGE_SIZE,
        default_page_size=settings.SCIM_DEFAULT_PAGE_SIZE,
        bulk_supported=True,
        bulk_max_operations=settings.SCIM_BULK_MAX_OPERATIONS,
        bulk_max_payload_bytes=settings.SCIM_MAX_PAYLOAD_BYTES,
    )


class ServiceProviderConfigView(DiscoveryView):
    def document(self, **kwargs):
        activity.note(self.request, outcome="Read the service provider configuration")
        return discovery.service_provider_config(_capabilities(), base_url=self.base_url)


class ResourceTypesView(DiscoveryView):
    def document(self, resource_id=None, **kwargs):
        documents = discovery.resource_type_documents(base_url=self.base_url)
        activity.note(self.request, outcome="Read the resource types")
        if resource_id is None:
            return discovery.list_response(documents)
        if resource_type_by_id(resource_id) is None:
            raise ScimError(404, f"No resource type {resource_id}.")
        return next(doc for doc in documents if doc["id"].lower() == resource_id.lower())


class SchemasView(DiscoveryView):
    def document(self, resource_id=None, **kwargs):
        documents = discovery.schema_documents(base_url=self.base_url)
        activity.note(self.request, outcome="Read the schemas")
        if resource_id is None:
            return discovery.list_response(documents)
        if schema_by_id(resource_id) is None:
            raise ScimError(404, f"No schema {resource_id}.")
        return next(doc for doc in documents if doc["id"].lower() == resource_id.lower())


class ListParams:
    """The parameters of a list or search request (RFC 7644 sections 3.4.2 and 3.4.3)."""

    def __init__(self, source, resource_type, sort_expression):
        raw_filter = _param(source, "filter")
        if raw_filter is not None and not isinstance(raw_filter, str):
            raise bad_request("filter must be a string.", "invalidFilter")
        if raw_filter is not None and len(raw_filter) > settings.SCIM_MAX_FILTER_LENGTH:
            raise ScimError(
                400,
                f"The filter is longer than {settings.SCIM_MAX_FILTER_LENGTH} characters.",
                "invalidFilter",
            )
        self.filter_text = raw_filter.strip() if raw_filter else None
        self.filter = parse_filter(self.filter_text) if self.filter_text else None
        self.page = parse_page(
            start_index=_param(source, "startIndex"),
            count=_param(source, "count"),
            cursor=_param(source, "cursor"),
            default_count=settings.SCIM_DEFAULT_PAGE_SIZE,
            max_count=settings.SCIM_MAX_PAGE_SIZE,
        )
        self.attributes = _param(source, "attributes")
        self.excluded = _param(source, "excludedAttributes")
        parse_attribute_list(self.attributes)  # refused before any work when malformed
        parse_attribute_list(self.excluded, where="excludedAttributes")
        sort_by = _param(source, "sortBy")
        order = str(_param(source, "sortOrder") or "ascending").lower()
        if order not in ("ascending", "descending"):
            raise bad_request("sortOrder must be 'ascending' or 'descending'.")
        self.order_by = None
        if sort_by:
            expression = sort_expression(str(sort_by))
            if expression is not None:
                self.order_by = [expression.desc() if order == "descending" else expression.asc()]
        self.resource_type = resource_type

    def wants(self, name: str) -> bool:
        return wants_attribute(self.resource_type, name, self.attributes, self.excluded)


def _list_body(result, resources: list[dict]) -> dict:
    body = discovery.list_response(resources, total=result.total, start_index=result.start_index)
    if result.next_cursor:
        body["nextCursor"] = result.next_cursor
    return body


def _search_source(request):
    body = request.data
    if not isinstance(body, dict):
        raise bad_request("A search request body must be a JSON object.", "invalidSyntax")
    schemas = _param(body, "schemas")
    if schemas is not None and SEARCH_REQUEST_URN not in (
        schemas if isinstance(schemas, list) else [schemas]
    ):
        raise bad_request(f"A search request must use the {SEARCH_REQUEST_URN} schema.", "invalidSyntax")
    return body


@dataclass(frozen=True)
class Kind:
    """What differs between Users and Groups for the HTTP layer; everything else is shared."""

    resource_type: ResourceType
    noun: str  # "user" / "group", for the activity record
    related: str  # the attribute loaded from memberships: "groups" of a user, "members" of a group
    get: Callable
    list: Callable
    related_of: Callable  # objects → {pk: [(id, display)]}, one query for any number
    render: Callable  # (obj, base_url, related) → resource document
    sort_expression: Callable
    create: Callable
    replace: Callable
    patch: Callable
    delete: Callable
    changed: Callable  # service result → the object it changed
    name: Callable  # object → the name the admin knows it by
    version: Callable  # object → its version, as its ETag names it


def _user_sort(path):
    from .filtering import user_sort_expression

    return user_sort_expression(path)


def _group_sort(path):
    from .filtering import group_sort_expression

    return group_sort_expression(path)


USERS = Kind(
    resource_type=USER,
    noun="user",
    related="groups",
    get=selectors.scim_user_get,
    list=selectors.scim_user_list,
    related_of=selectors.groups_by_user,
    render=lambda user, base_url, related: user_resource(user, base_url=base_url, groups=related),
    sort_expression=_user_sort,
    create=services.scim_user_create,
    replace=services.scim_user_replace,
    patch=services.scim_user_patch,
    delete=services.scim_user_delete,
    changed=lambda change: change.user,
    name=lambda user: user.user_name,
    version=lambda user: user_version(user, selectors.groups_by_user([user])[user.pk]),
)
GROUPS = Kind(
    resource_type=GROUP,
    noun="group",
    related="members",
    get=selectors.scim_group_get,
    list=selectors.scim_group_list,
    related_of=selectors.members_by_group,
    render=lambda group, base_url, related: group_resource(group, base_url=base_url, members=related),
    sort_expression=_group_sort,
    create=services.scim_group_create,
    replace=services.scim_group_replace,
    patch=services.scim_group_patch,
    delete=services.scim_group_delete,
    changed=lambda change: change.group,
    name=lambda group: group.display_name,
    version=lambda group: group.version,
)


class CollectionView(ScimView):
    """/Users and /Groups: list (GET) and create (POST)."""

    kind: Kind

    def get(self, request, *args, **kwargs):
        return self._list(request, request.query_params)

    def post(self, request, *args, **kwargs):
        def work():
            kind = self.kind
            change = kind.create(integration=self.integration, data=request.data)
            obj = kind.changed(change)
            _note_change(request, kind, obj, change.summary)
            resource = kind.render(obj, self.base_url, kind.related_of([obj])[obj.pk])
            headers = {"Location": resource["meta"]["location"], "ETag": resource["meta"]["version"]}
            return Response(resource, status=201, headers=headers)

        return self.perform(request, work)

    def _list(self, request, source):
        def work():
            kind = self.kind
            params = ListParams(source, kind.resource_type, kind.sort_expression)
            result = kind.list(
                integration=self.integration,
                filter_ast=params.filter,
                page=params.page,
                order_by=params.order_by,
            )
            related = kind.related_of(result.items) if params.wants(kind.related) and result.items else {}
            resources = [
                project(
                    kind.render(obj, self.base_url, related.get(obj.pk)),
                    kind.resource_type,
                    params.attributes,
                    params.excluded,
                )
                for obj in result.items
            ]
            what = f"filter {params.filter_text!r}" if params.filter_text else "list"
            activity.note(
                request,
                outcome=f"{kind.resource_type.endpoint[1:]} {what}: {result.total} found",
                resource_type=kind.resource_type.id,
            )
            return Response(_list_body(result, resources))

        return self.perform(request, work)


class SearchView(CollectionView):
    """POST /Users/.search and /Groups/.search: a list request with its parameters in the body."""

    reads_only = True
    http_method_names = ["post"]

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise ScimError(405, "Use POST for /.search.")

    def post(self, request, *args, **kwargs):
        return self._list(request, _search_source(request))


def _note_change(request, kind: Kind, obj, outcome: str) -> None:
    activity.note(
        request,
        outcome=outcome,
        resource_type=kind.resource_type.id,
        resource_id=obj.scim_id,
        resource_name=kind.name(obj),
    )


class ResourceView(ScimView):
    """/Users/{id} and /Groups/{id}: read, replace, modify, delete."""

    kind: Kind

    def _respond(self, request, obj):
        kind = self.kind
        params = request.query_params
        attributes, excluded = _param(params, "attributes"), _param(params, "excludedAttributes")
        related = (
            kind.related_of([obj])[obj.pk]
            if wants_attribute(kind.resource_type, kind.related, attributes, excluded)
            else None
        )
        resource = project(kind.render(obj, self.base_url, related), kind.resource_type, attributes, excluded)
        location = f"{self.base_url}{kind.resource_type.endpoint}/{obj.scim_id}"
        return Response(resource, headers={"ETag": etag(kind.version(obj)), "Location": location})

    def get(self, request, resource_id, *args, **kwargs):
        def work():
            obj = self.kind.get(integration=self.integration, scim_id=resource_id)
            _note_change(request, self.kind, obj, f"Read {self.kind.noun} {self.kind.name(obj)}")
            version = self.kind.version(obj)
            if services.etag_matches(version, request.META.get("HTTP_IF_NONE_MATCH")):
                return Response(status=304, headers={"ETag": etag(version)})
            return self._respond(request, obj)

        return self.perform(request, work)

    def _change(self, request, service, *, respond: bool = True, **extra):
        def work():
            change = service(
                integration=self.integration,
                scim_id=self.kwargs["resource_id"],
                if_match=request.META.get("HTTP_IF_MATCH"),
                if_none_match=request.META.get("HTTP_IF_NONE_MATCH"),
                **extra,
            )
            obj = self.kind.changed(change)
            _note_change(request, self.kind, obj, change.summary)
            return self._respond(request, obj) if respond else Response(status=204)

        return self.perform(request, work)

    def put(self, request, resource_id, *args, **kwargs):
        return self._change(request, self.kind.replace, data=request.data)

    def patch(self, request, resource_id, *args, **kwargs):
        return self._change(
            request, self.kind.patch, data=request.data, max_operations=settings.SCIM_MAX_PATCH_OPERATIONS
        )

    def delete(self, request, resource_id, *args, **kwargs):
        return self._change(request, self.kind.delete, respond=False)


class UsersView(CollectionView):
    kind = USERS


class UserSearchView(SearchView):
    kind = USERS


class UserView(ResourceView):
    kind = USERS


class GroupsView(CollectionView):
    kind = GROUPS


class GroupSearchView(SearchView):
    kind = GROUPS


class GroupView(ResourceView):
    kind = GROUPS


def _render(view, kind: str, resource) -> dict:
    if kind == "Users":
        return user_resource(resource, base_url=view.base_url)
    return group_resource(resource, base_url=view.base_url)


class BulkView(ScimView):
    def post(self, request, *args, **kwargs):
        def work():
            result = bulk.run_bulk(
                integration=self.integration,
                data=request.data,
                base_url=self.base_url,
                max_operations=settings.SCIM_BULK_MAX_OPERATIONS,
                render=lambda kind, resource: _render(self, kind, resource),
            )
            activity.note(request, outcome=f"Bulk: {result.operations} operations, {result.failures} failed")
            return Response(result.response)

        return self.perform(request, work)


class RootSearchView(ScimView):
    """POST /.search at the root (RFC 7644 section 3.4.3): users, then groups, paged as one list.
    A filter applies to each resource type that defines its attributes."""

    def post(self, request, *args, **kwargs):
        source = _search_source(request)

        def work():
            from .filtering import group_filter_q, user_filter_q

            if _param(source, "sortBy") or _param(source, "cursor") is not None:
                raise bad_request("sortBy and cursor are not supported on a search across resource types.")
            parts = []
            errors = []
            for resource_type, queryset, compile_filter in (
                (USER, selectors.users_of(self.integration), user_filter_q),
                (GROUP, selectors.groups_of(self.integration), group_filter_q),
            ):
                params = ListParams(source, resource_type, lambda path: None)
                if params.filter is not None:
                    try:
                        queryset = queryset.filter(compile_filter(params.filter))
                    except ScimError as error:
                        errors.append(error)
                        continue
                parts.append((resource_type, params, queryset.order_by("pk")))
            if not parts:
                raise errors[0]
            page = parts[0][1].page
            totals = [queryset.count() for _, _, queryset in parts]
            resources, skip, room = [], page.offset, page.count
            for (resource_type, params, queryset), total in zip(parts, totals, strict=True):
                if room <= 0:
                    break
                if skip >= total:
                    skip -= total
                    continue
                rows = list(queryset[skip : skip + room])
                skip = 0
                room -= len(rows)
                if resource_type is USER:
                    groups = selectors.groups_by_user(rows) if params.wants("groups") and rows else {}
                    docs = [user_resource(u, base_url=self.base_url, groups=groups.get(u.pk)) for u in rows]
                else:
                    members = selectors.members_by_group(rows) if params.wants("members") and rows else {}
                    docs = [
                        group_resource(g, base_url=self.base_url, members=members.get(g.pk)) for g in rows
                    ]
                resources += [project(doc, resource_type, params.attributes, params.excluded) for doc in docs]
            total = sum(totals)
            activity.note(request, outcome=f"Search across resource types: {total} found")
            return Response(discovery.list_response(resources, total=total, start_index=page.start_index))

        return self.perform(request, work)


class NotFoundView(ScimView):
    """Any other path under an integration's base URL: a SCIM 404, after authentication."""

    reads_body = False

    def _not_found(self, request, *args, **kwargs):
        def work():
            raise ScimError(404, f"No SCIM endpoint at {request.path}. Resources live at /Users and /Groups.")

        return self.perform(request, work)

    get = post = put = patch = delete = _not_found
