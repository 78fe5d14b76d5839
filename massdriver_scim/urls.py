from django.contrib import admin
from django.urls import include, path

from scim.openapi import openapi_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scim/openapi.json", openapi_view, name="scim-openapi"),
    path("scim/v2/", include("scim.urls")),
    path("docs/idp/", include("integrations.guide_urls")),
    path("", include("integrations.urls")),
    path("", include("organizations.urls")),
]
