"""Tripletex's own address: pasting the employee token. Namespace "tripletex"."""

from django.urls import path

from integrations.providers.tripletex import views

app_name = "tripletex"

urlpatterns = [
    path("settings/accounting/tripletex/token/", views.connect_with_token, name="connect"),
]
