"""Staff views of integrations. A token's digest never appears: staff see the prefix, when it was
made and used, and whether it is revoked. Every change goes through integrations.services, so
it is audited like a change made in the web UI."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from . import services
from .models import AuditEvent, Integration, IntegrationToken

TOKEN_FIELDS = ("prefix", "created_at", "created_by", "revoked_at", "last_used_at")


class IntegrationTokenInline(admin.TabularInline):
    model = IntegrationToken
    fields = TOKEN_FIELDS
    readonly_fields = TOKEN_FIELDS
    exclude = ("digest",)
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # A token made here could not be shown to anyone: tokens come from the web UI or command.
        return False


class IntegrationAdminForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = ("name",)  # everything else is read-only here

    def clean_name(self) -> str:
        # The same rule as the web UI: names tell an organization's integrations apart.
        name = (self.cleaned_data.get("name") or "").strip()
        problem = services.integration_name_problem(
            organization=self.instance.organization, name=name, exclude_pk=self.instance.pk
        )
        if problem:
            raise forms.ValidationError(problem)
        return name


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationAdminForm
    list_display = (
        "name",
        "organization",
        "public_id",
        "status",
        "auth_type",
        "last_request_at",
        "detected_idp",
    )
    list_filter = ("status", "auth_type", "detected_idp", "organization")
    search_fields = ("public_id", "name", "organization__name", "organization__slug")
    list_select_related = ("organization",)
    readonly_fields = (
        "public_id",
        "organization",
        "auth_type",
        "status",
        "created_at",
        "created_by",
        "last_request_at",
        "last_client",
        "detected_idp",
    )
    inlines = [IntegrationTokenInline]
    actions = ["disable_integrations", "enable_integrations"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # Only the name is editable here; it changes through the audited service.
        if change and "name" in form.changed_data:
            new_name = obj.name
            obj.name = form.initial.get("name", obj.name)
            services.integration_rename(integration=obj, name=new_name, actor=request.user, staff=True)
        elif not change:  # pragma: no cover - adding is not allowed
            super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        # Tokens cannot be deleted on their own (revoke them), but they go with their integration.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(IntegrationToken._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        services.integration_delete(integration=obj, actor=request.user, staff=True)

    def delete_queryset(self, request, queryset):
        for integration in queryset.select_related("organization"):
            services.integration_delete(integration=integration, actor=request.user, staff=True)

    @admin.action(description="Disable selected integrations", permissions=["change"])
    def disable_integrations(self, request, queryset):
        for integration in queryset.select_related("organization"):
            services.integration_set_enabled(
                integration=integration, enabled=False, actor=request.user, staff=True
            )
        self.message_user(request, f"Disabled {queryset.count()} integration(s).", messages.SUCCESS)

    @admin.action(description="Enable selected integrations", permissions=["change"])
    def enable_integrations(self, request, queryset):
        for integration in queryset.select_related("organization"):
            services.integration_set_enabled(
                integration=integration, enabled=True, actor=request.user, staff=True
            )
        self.message_user(request, f"Enabled {queryset.count()} integration(s).", messages.SUCCESS)


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("valid", "Working"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "valid":
            return queryset.exclude(revoked_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__lte=now)
        return queryset


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "integration", "created_at", "revoked_at", "last_used_at")
    list_filter = (TokenStateFilter, "integration__organization")
    search_fields = ("prefix", "integration__public_id", "integration__organization__slug")
    list_select_related = ("integration", "integration__organization")
    fields = ("integration",) + TOKEN_FIELDS
    readonly_fields = fields
    exclude = ("digest",)
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only pages; the only change is the audited revoke action.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting a token would erase when it was used; revoking keeps that and is audited.
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("integrations.change_integrationtoken")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset.select_related("integration__organization"):
            services.token_revoke(token=token, actor=request.user, staff=True)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    # Fits a laptop's 1280 px beside Django admin's sidebar and filters: the summary says what
    # happened (the action is a filter and on the detail page), one column says where.
    list_display = ("created_at", "where", "actor", "summary")
    list_filter = ("action", "organization")
    search_fields = ("summary", "action", "actor__email", "organization__slug", "integration__public_id")
    list_select_related = ("organization", "integration", "actor")
    date_hierarchy = "created_at"

    @admin.display(description="where", ordering="organization__name")
    def where(self, obj) -> str:
        if obj.integration is not None:
            return f"{obj.organization.name} · {obj.integration.name}"
        return obj.organization.name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
