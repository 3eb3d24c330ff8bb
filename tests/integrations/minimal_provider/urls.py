from django.urls import path

from tests.integrations.minimal_provider import views

app_name = "minimalbooks"

urlpatterns = [
    path("settings/minimalbooks/", views.settings_page, name="settings"),
]
