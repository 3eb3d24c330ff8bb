"""Visma payroll's own addresses: the TLU file download (namespace "visma_payroll")."""

from django.urls import path

from integrations.providers.visma_payroll import views

app_name = "visma_payroll"

urlpatterns = [
    path("integrations/visma-payroll/tlu", views.tlu_download, name="tlu"),
]
