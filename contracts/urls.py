from django.urls import path

from accounting.recordpages import record_urls
from contracts import views
from contracts.pages import PAGES

app_name = "contracts"

urlpatterns = [
    path("contracts/new/", views.contract_edit, name="contract_create"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    *[pattern for page in PAGES for pattern in record_urls(page)],
]
