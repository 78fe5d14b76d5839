"""Staff views of what identity providers provisioned, for troubleshooting without a database
shell. Read-mostly: SCIM data changes through the SCIM API, so the IdP stays the source of truth."""

import re

from django.contrib import admin
from django.db.models import Q

from .models import RequestRecord, ScimGroup, ScimUser, ScimUserValue

_SCIM_PREFIX = re.compile(r"^/scim/v2/[0-9a-fA-F]{32}")


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Not deleted"), ("yes", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class ScimUserValueInline(admin.TabularInline):
    model = ScimUserValue
    fields = ("attribute", "position", "value", "type", "primary", "display")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScimUser)
class ScimUserAdmin(admin.ModelAdmin):
    list_display = (
        "user_name",
        "display_name",
        "external_id",
        "organization",
        "integration",
        "active",
        "deleted_at",
    )
    list_filter = ("active", DeletedFilter, "organization")
    # Email lives in the attributes JSON; the login's email is the indexed copy staff search by.
    search_fields = ("user_name", "external_id", "display_name", "membership__user__email", "scim_id")
    list_select_related = ("organization", "integration")
    readonly_fields = (
        "scim_id",
        "organization",
        "integration",
        "membership",
        "user_name",
        "external_id",
        "display_name",
        "active",
        "attributes",
        "created",
        "last_modified",
        "version",
        "deleted_at",
    )
    inlines = [ScimUserValueInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScimGroup)
class ScimGroupAdmin(admin.ModelAdmin):
    list_display = ("display_name", "external_id", "organization", "integration", "team", "last_modified")
    list_filter = ("organization",)
    search_fields = ("display_name", "external_id", "scim_id", "team__name")
    list_select_related = ("organization", "integration", "team")
    readonly_fields = (
        "scim_id",
        "organization",
        "integration",
        "team",
        "display_name",
        "external_id",
        "created",
        "last_modified",
        "version",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RequestOutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [
            ("ok", "Succeeded"),
            ("errors", "Failed (4xx/5xx)"),
            ("refused", "Refused at the door (token)"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "ok":
            return queryset.filter(status__lt=400)
        if self.value() == "errors":
            return queryset.filter(status__gte=400)
        if self.value() == "refused":
            return queryset.filter(outcome__startswith="Refused")
        return queryset


@admin.register(RequestRecord)
class RequestRecordAdmin(admin.ModelAdmin):
    # Fits a laptop's 1280 px: the resource name stays searchable, the latency on the detail page.
    list_display = ("created_at", "organization", "request_line", "status", "short_outcome")
    list_display_links = ("created_at",)
    list_filter = (RequestOutcomeFilter, "organization", "status", "method", "resource_type", "created_at")
    search_fields = ("path", "outcome", "resource_name", "resource_id", "client", "integration__public_id")
    list_select_related = ("organization", "integration")
    date_hierarchy = "created_at"
    show_full_result_count = False  # the table grows large; skip the unfiltered COUNT(*)

    @admin.display(description="request", ordering="path")
    def request_line(self, obj) -> str:
        # The path as the IdP sees it under its base URL; the integration id is in the filter.
        return f"{obj.method} {_SCIM_PREFIX.sub('', obj.path, count=1) or '/'}"

    @admin.display(description="outcome", ordering="outcome")
    def short_outcome(self, obj) -> str:
        return obj.outcome if len(obj.outcome) <= 80 else obj.outcome[:79] + "…"

    def get_search_results(self, request, queryset, search_term):
        """Also find the requests about a person searched by email or externalId, which live on
        the SCIM user rather than on the record (one subquery, no extra round trip)."""
        filtered = queryset  # already narrowed by the list filters
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            people = ScimUser.objects.filter(
                Q(external_id=term) | Q(membership__user__email__iexact=term) | Q(values__value__iexact=term)
            ).values("scim_id")
            queryset = queryset | filtered.filter(resource_id__in=people)
        return queryset, may_have_duplicates

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
