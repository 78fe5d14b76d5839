"""SCIM endpoints under each integration's base URL: /scim/v2/<integration id>/...

Every route matches with or without a trailing slash: a redirect would lose the IdP's request."""

from django.urls import re_path

from . import views

app_name = "scim"

# `/*`: a base URL pasted with a trailing slash (OneLogin's examples end in one) makes IdPs that
# append "/Users" send `<id>//Users`; that is the same endpoint, not a 404.
_BASE = r"^(?P<integration_id>[0-9a-fA-F]{32})/*"
_ID = r"(?P<resource_id>[^/]+)"

urlpatterns = [
    re_path(
        _BASE + r"/ServiceProviderConfigs?/?$",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    re_path(_BASE + r"/ResourceTypes/?$", views.ResourceTypesView.as_view(), name="resource-types"),
    re_path(
        _BASE + r"/ResourceTypes/" + _ID + r"/?$", views.ResourceTypesView.as_view(), name="resource-type"
    ),
    re_path(_BASE + r"/Schemas/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(_BASE + r"/Schemas/" + _ID + r"/?$", views.SchemasView.as_view(), name="schema"),
    re_path(_BASE + r"/Users/\.search/?$", views.UserSearchView.as_view(), name="users-search"),
    re_path(_BASE + r"/Users/?$", views.UsersView.as_view(), name="users"),
    re_path(_BASE + r"/Users/" + _ID + r"/?$", views.UserView.as_view(), name="user"),
    re_path(_BASE + r"/Groups/\.search/?$", views.GroupSearchView.as_view(), name="groups-search"),
    re_path(_BASE + r"/Groups/?$", views.GroupsView.as_view(), name="groups"),
    re_path(_BASE + r"/Groups/" + _ID + r"/?$", views.GroupView.as_view(), name="group"),
    re_path(_BASE + r"/Bulk/?$", views.BulkView.as_view(), name="bulk"),
    re_path(_BASE + r"/\.search/?$", views.RootSearchView.as_view(), name="search"),
    re_path(_BASE + r"(?:/.*)?$", views.NotFoundView.as_view(), name="not-found"),
]
