from django.urls import path

import massdriver_scim.converters  # noqa: F401 (registers <id:...>)

from . import views

app_name = "integrations"
urlpatterns = [
    path("o/<slug:slug>/integrations/", views.integration_list, name="list"),
    path("o/<slug:slug>/integrations/new/", views.integration_create, name="create"),
    path("o/<slug:slug>/integrations/audit/", views.audit_trail, name="audit"),
    path("o/<slug:slug>/integrations/<str:public_id>/", views.integration_detail, name="detail"),
    path("o/<slug:slug>/integrations/<str:public_id>/token/", views.integration_token, name="token"),
    path(
        "o/<slug:slug>/integrations/<str:public_id>/connection.json",
        views.integration_connection,
        name="connection",
    ),
    path("o/<slug:slug>/integrations/<str:public_id>/rotate/", views.token_rotate, name="rotate"),
    path("o/<slug:slug>/integrations/<str:public_id>/rename/", views.integration_rename, name="rename"),
    path("o/<slug:slug>/integrations/<str:public_id>/answers/", views.integration_answers, name="answers"),
    path(
        "o/<slug:slug>/integrations/<str:public_id>/groups/<id:team_id>/role/",
        views.group_role,
        name="group-role",
    ),
    path(
        "o/<slug:slug>/integrations/<str:public_id>/tokens/<id:token_id>/revoke/",
        views.token_revoke,
        name="revoke",
    ),
    path("o/<slug:slug>/integrations/<str:public_id>/status/", views.integration_set_enabled, name="status"),
    path("o/<slug:slug>/integrations/<str:public_id>/delete/", views.integration_delete, name="delete"),
]
