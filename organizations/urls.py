from django.urls import include, path

import massdriver_scim.converters  # noqa: F401 (registers <id:...>)

from . import views

# Login, logout, password change and home keep global names: settings.LOGIN_URL, LOGIN_REDIRECT_URL and
# LOGOUT_REDIRECT_URL refer to them as "login", "home" and "login".
organization_patterns = [
    path("o/<slug:slug>/", views.organization_home, name="detail"),
    path("o/<slug:slug>/members/", views.member_list, name="members"),
    path("o/<slug:slug>/members/<id:membership_id>/", views.member_detail, name="member"),
    path("o/<slug:slug>/members/<id:membership_id>/role/", views.member_role, name="member-role"),
    path("o/<slug:slug>/teams/", views.team_list, name="teams"),
    path("o/<slug:slug>/teams/<id:team_id>/delete/", views.orphaned_team_delete, name="team-delete"),
]

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include((organization_patterns, "organizations"))),
]
