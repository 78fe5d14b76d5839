"""Public setup guides: /docs/idp/ and /docs/idp/<name>/ (linked from the Integrations pages)."""

from django.urls import path

from . import guides

app_name = "guides"
urlpatterns = [
    path("", guides.guide_list, name="list"),
    path("<slug:slug>/", guides.guide_detail, name="detail"),
]
