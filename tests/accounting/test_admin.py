import pytest
from django.urls import reverse

from accounting.models import Membership, Organization
from tests.accounting.cases import AdminCases, admin_models, admin_url, change_form_data

pytestmark = pytest.mark.django_db


class TestAccountingAdmin(AdminCases):
    ADMIN_MODELS = admin_models("accounting", exclude=[Organization])


def test_every_accounting_model_has_an_admin_or_an_inline():
    from django.apps import apps
    from django.contrib import admin

    covered = set(admin.site._registry)
    for model_admin in admin.site._registry.values():
        covered |= {inline.model for inline in model_admin.inlines}
    assert set(apps.get_app_config("accounting").get_models()) <= covered


def test_organizations_are_for_superusers_only(client, org, org_admin, django_user_model):
    client.force_login(org_admin)
    assert client.get(admin_url(Organization, "changelist")).status_code == 403
    assert client.get(admin_url(Organization, "change", org.pk)).status_code in (403, 404)
    root = django_user_model.objects.create_superuser("root", password="root-123456")
    client.force_login(root)
    assert client.get(admin_url(Organization, "changelist")).status_code == 200


def test_org_admin_sees_own_members_but_cannot_add(client, org, other_org, org_admin, make_user):
    make_user("bjorn", other_org)
    client.force_login(org_admin)
    response = client.get(admin_url(Membership, "changelist"))
    assert [m.user.username for m in response.context["cl"].result_list] == ["ingrid"]
    assert client.get(admin_url(Membership, "add")).status_code == 403


def test_staff_member_without_is_staff_is_sent_to_admin_login(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_payment_added_inline_takes_the_invoice_organization(client, org, org_admin, records):
    from accounting.models import Invoice, InvoicePayment

    invoice = records[Invoice]
    client.force_login(org_admin)
    url = admin_url(Invoice, "change", invoice.pk)
    data = change_form_data(client.get(url))
    new = int(data["payments-TOTAL_FORMS"])
    data |= {
        "payments-TOTAL_FORMS": new + 1,
        f"payments-{new}-paid_on": "2025-04-01",
        f"payments-{new}-amount": "50.00",
        f"payments-{new}-currency": "NOK",
        f"payments-{new}-reference": "Innbetaling",
    }
    response = client.post(url, data)
    assert response.status_code == 302, [
        response.context["adminform"].form.errors,
        *[inline.formset.errors for inline in response.context["inline_admin_formsets"]],
    ]
    assert InvoicePayment.objects.get(reference="Innbetaling").organization == org
