from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm

from .models import Membership, Organization, Team, TeamMembership, User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipOfUserInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("organization", "role", "is_active", "deactivated_at", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("organization",)
    show_change_link = True


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's UserAdmin, with the email as the login name (there is no username)."""

    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
    inlines = [MembershipOfUserInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "is_active", "deactivated_at", "created_at")
    list_filter = ("role", "is_active", "organization")
    search_fields = ("user__email", "user__full_name", "organization__name", "organization__slug")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")
    date_hierarchy = "created_at"
    # For a person an IdP manages, whether they may enter is the IdP's call (SCIM `active`):
    # a change here would be silently undone at the next sync, so it is not offered.
    SCIM_OWNED = ("organization", "user", "is_active", "deactivated_at")

    def _scim_managed(self, obj) -> bool:
        if obj is None:
            return False
        scim_user = getattr(obj, "scim_user", None)  # reverse one-to-one: missing → None
        return scim_user is not None and scim_user.integration_id is not None and scim_user.deleted_at is None

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if self._scim_managed(obj):
            return tuple(readonly) + self.SCIM_OWNED
        return readonly

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            from integrations.services import audit

            audit(
                organization=obj.organization,
                actor=request.user,
                action="membership.changed",
                summary=f"Changed {obj.user}'s membership: {', '.join(form.changed_data)}.",
                staff=True,
            )


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    fields = ("membership", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("membership",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "granted_role", "created_at")
    list_filter = ("granted_role", "organization")
    search_fields = ("name", "organization__name")
    list_select_related = ("organization",)
    inlines = [TeamMembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    """Who is in which team, searchable by person and team: "why is Ada an admin?" in one search."""

    list_display = ("team", "membership", "display", "created_at")
    list_filter = ("team__granted_role", "team__organization")
    search_fields = (
        "team__name",
        "membership__user__email",
        "membership__user__full_name",
        "membership__scim_user__user_name",
    )
    list_select_related = ("team__organization", "membership__user", "membership__organization")
    autocomplete_fields = ("team", "membership")
    readonly_fields = ("created_at",)
