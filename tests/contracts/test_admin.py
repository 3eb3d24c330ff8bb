import pytest

from contracts.models import Contract
from tests.accounting.cases import AdminCases, admin_models, admin_url, change_form_data

pytestmark = pytest.mark.django_db


class TestContractsAdmin(AdminCases):
    ADMIN_MODELS = admin_models("contracts")


def test_every_contracts_model_has_an_admin():
    from django.apps import apps
    from django.contrib import admin

    assert set(apps.get_app_config("contracts").get_models()) <= set(admin.site._registry)


def test_org_admin_cannot_attach_another_organizations_customer(
    client, org_admin, records, other_records
):
    from accounting.models import Customer

    contract = records[Contract]
    client.force_login(org_admin)
    url = admin_url(Contract, "change", contract.pk)
    data = change_form_data(client.get(url)) | {"customer": other_records[Customer].pk}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    contract.refresh_from_db()
    assert contract.customer == records[Customer]
