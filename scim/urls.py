from django.urls import path

app_name = "scim"
urlpatterns: list = []
