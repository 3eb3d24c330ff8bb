"""The mapping editor: VAT and account per category, the overview, and the deep links into it."""

from html import escape

import pytest
from django.urls import reverse

from integrations.admin_links import mapping_fix_url
from integrations.models import AccountingSettings, AccountMapping, VatMapping
from tests.integrations.admin_helpers import PROVIDER


@pytest.fixture(autouse=True)
def only_test_providers():
    """These tests describe the editor with the test provider alone; the built-in providers
    (PowerOffice Go, Fortnox) are set aside for their duration."""
    from integrations.providers import registry

    saved = dict(registry._paths), dict(registry._classes)
    registry._paths.clear()
    registry._classes.clear()
    yield
    registry._paths.clear()
    registry._classes.clear()
    registry._paths.update(saved[0])
    registry._classes.update(saved[1])

pytest_plugins = ["tests.integrations.admin_fixtures"]
pytestmark = pytest.mark.django_db

OVERVIEW = reverse("admin:integrations_mapping_overview")


def _vat(org, category, code, provider=PROVIDER):
    return VatMapping.objects.create(organization=org, provider=provider, category=category,
                                     vat_code=code)


def _account(org, category, number, provider=PROVIDER):
    return AccountMapping.objects.create(organization=org, provider=provider, category=category,
                                         account_number=number)


def test_mapping_fix_url_links_the_existing_row_or_a_prefilled_add_page(org, other_org, conn):
    vat = _vat(org, "addon", "3")
    _account(other_org, "addon", "3000")  # another organization's row does not count

    assert mapping_fix_url(organization=org, provider=PROVIDER, category="addon",
                           kind="vat") == reverse("admin:integrations_vatmapping_change",
                                                  args=[vat.pk])
    assert mapping_fix_url(organization=org, provider=PROVIDER, category="addon",
                           kind="account") == (reverse("admin:integrations_accountmapping_add")
                                               + "?provider=adminbooks&category=addon")
    with pytest.raises(ValueError):
        mapping_fix_url(organization=org, provider=PROVIDER, category="addon", kind="vatt")


@pytest.mark.parametrize("kind, model", [("vat", VatMapping), ("account", AccountMapping)])
def test_the_add_page_of_a_fix_link_is_prefilled(kind, model, admin_of, org, adminbooks):
    url = mapping_fix_url(organization=org, provider=PROVIDER, category="addon", kind=kind)
    response = admin_of.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["provider"].value() == PROVIDER and form["category"].value() == "addon"
    html = response.content.decode()
    assert '<option value="adminbooks" selected>AdminBooks Go</option>' in html
    assert 'name="category" value="addon"' in html


def test_a_fix_link_for_a_provider_not_registered_yet_still_preselects_it(admin_of, org):
    url = mapping_fix_url(organization=org, provider="tripletex", category="car", kind="vat")
    form = admin_of.get(url).context["adminform"].form
    assert ("tripletex", "tripletex") in form.fields["provider"].choices
    assert form["provider"].value() == "tripletex"
    # The add form posts back to its own URL, query string included, so the choice stays valid.
    response = admin_of.post(url, {"provider": "tripletex", "category": "car", "vat_code": "5",
                                   "description": ""})
    assert response.status_code == 302
    assert VatMapping.objects.filter(organization=org, provider="tripletex").exists()
    # A query string is not a way to inject arbitrary choices.
    form = admin_of.get(reverse("admin:integrations_vatmapping_add") + "?provider=<b>x</b>")
    assert "<b>x</b>" not in dict(form.context["adminform"].form.fields["provider"].choices)


def test_provider_choices_are_registered_providers_and_own_rows_only(
        admin_of, org, other_org, adminbooks):
    _vat(org, "car", "5", provider="legacybooks")
    _vat(other_org, "car", "5", provider="theirbooks")
    form = admin_of.get(reverse("admin:integrations_accountmapping_add")).context["adminform"].form
    keys = [key for key, _ in form.fields["provider"].choices]
    assert keys == ["", PROVIDER, "legacybooks"]
    assert "organization" not in form.fields


def test_adding_a_mapping_puts_it_in_the_admins_organization_and_refuses_a_duplicate(
        admin_of, org, adminbooks):
    add = reverse("admin:integrations_vatmapping_add")
    data = {"provider": PROVIDER, "category": "addon", "vat_code": "3", "description": ""}
    assert admin_of.post(add, data).status_code == 302
    row = VatMapping.objects.get()
    assert (row.organization, row.provider, row.category, row.vat_code) == (
        org, PROVIDER, "addon", "3")

    response = admin_of.post(add, {**data, "vat_code": "6"})
    assert response.status_code == 200  # the form again, with the reason; not a 500
    assert "already has a VAT mapping" in str(response.context["adminform"].form.non_field_errors())
    assert VatMapping.objects.count() == 1


def test_vat_codes_are_edited_in_the_list(admin_of, org, other_org, conn):
    row = _vat(org, "addon", "3")
    changelist = reverse("admin:integrations_vatmapping_changelist")
    response = admin_of.post(changelist, {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000", "form-0-id": str(row.pk), "form-0-vat_code": "31",
        "form-0-description": "Tilbehør 25 %", "_save": "Save",
    })
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.vat_code, row.description) == ("31", "Tilbehør 25 %")


def test_list_filters_by_provider_and_category(admin_of, org, conn):
    addon, car = _vat(org, "addon", "3"), _vat(org, "car", "5")
    legacy = _vat(org, "addon", "1", provider="legacybooks")
    changelist = reverse("admin:integrations_vatmapping_changelist")

    def listed(query):
        return {m.pk for m in admin_of.get(changelist + query).context["cl"].result_list}

    assert listed("?provider=adminbooks") == {addon.pk, car.pk}
    assert listed("?category=addon") == {addon.pk, legacy.pk}
    assert listed("?provider=legacybooks&category=addon") == {legacy.pk}


def test_overview_shows_vat_and_account_side_by_side_and_marks_what_is_missing(
        admin_of, org, other_org, conn):
    from accounting.models import Customer
    from contracts.models import Car, Contract

    Contract.objects.create(  # a dealer: its contract line categories all need mappings
        organization=org, number="K-1",
        customer=Customer.objects.create(organization=org, name="Kari"),
        car=Car.objects.create(organization=org, make="Volvo", model="EX30", vin="V1"))
    addon_vat, addon_account = _vat(org, "addon", "3"), _account(org, "addon", "3020")
    car_vat = _vat(org, "car", "5")
    _account(other_org, "car", "OTHER-ORG-9999", provider=PROVIDER)

    response = admin_of.get(OVERVIEW)
    assert response.status_code == 200
    [table] = response.context["providers"]
    assert table["name"] == "AdminBooks Go"
    rows = {row["category"]: row for row in table["rows"]}
    # The dealer's categories are listed, mapped or not; nothing of another trade's.
    assert set(rows) == {"car", "addon", "part", "labor", "fee"}

    assert rows["addon"]["vat"]["value"] == "3" and rows["addon"]["account"]["value"] == "3020"
    assert rows["addon"]["vat"]["url"] == reverse("admin:integrations_vatmapping_change",
                                                  args=[addon_vat.pk])
    assert rows["addon"]["account"]["url"] == reverse(
        "admin:integrations_accountmapping_change", args=[addon_account.pk])
    assert rows["car"]["vat"]["url"] == reverse("admin:integrations_vatmapping_change",
                                                args=[car_vat.pk])
    assert rows["car"]["account"]["missing"]

    html = response.content.decode()
    car_add = mapping_fix_url(organization=org, provider=PROVIDER, category="car", kind="account")
    assert f'<a class="addlink" href="{escape(car_add)}">Add</a>' in html
    assert "OTHER-ORG-9999" not in html
    # 5 categories x 2 columns, 3 of them set.
    assert table["missing"] == 7


def test_overview_lists_categories_in_use_and_unregistered_providers_with_rows(
        admin_of, org, conn):
    _vat(org, "rental", "3", provider="legacybooks")
    response = admin_of.get(OVERVIEW)
    tables = {t["key"]: t for t in response.context["providers"]}
    assert set(tables) == {PROVIDER, "legacybooks"}
    rental = {row["category"]: row for row in tables[PROVIDER]["rows"]}["rental"]
    assert rental["vat"]["missing"]  # mapped at legacybooks only


def test_overview_links_the_accounting_defaults(admin_of, org, conn):
    tables = admin_of.get(OVERVIEW).context["providers"]
    assert tables[0]["defaults_url"] == (reverse("admin:integrations_accountingsettings_add")
                                         + "?provider=adminbooks")
    defaults = AccountingSettings.objects.create(organization=org, provider=PROVIDER)
    tables = admin_of.get(OVERVIEW).context["providers"]
    assert tables[0]["defaults_url"] == reverse("admin:integrations_accountingsettings_change",
                                                args=[defaults.pk])


def test_accounting_defaults_are_added_for_the_admins_organization_once(admin_of, org, adminbooks):
    add = reverse("admin:integrations_accountingsettings_add")
    form = admin_of.get(add + "?provider=adminbooks").context["adminform"].form
    assert form["provider"].value() == PROVIDER
    data = {"provider": PROVIDER, "payment_terms_days": "30", "invoice_delivery_channel": "ehf",
            "default_project_code": "P1", "default_department_code": ""}
    assert admin_of.post(add, data).status_code == 302
    saved = AccountingSettings.objects.get()
    assert (saved.organization, saved.payment_terms_days, saved.invoice_delivery_channel) == (
        org, 30, "ehf")
    assert admin_of.post(add, data).status_code == 200
    assert AccountingSettings.objects.count() == 1


def test_superuser_picks_the_organization_of_the_overview(superuser_browser, org, other_org,
                                                          adminbooks):
    _vat(other_org, "car", "SE-25")
    response = superuser_browser.get(OVERVIEW + f"?organization={other_org.pk}")
    assert response.context["mapping_organization"] == other_org
    assert "SE-25" in response.content.decode()


def test_overview_says_so_when_there_is_nothing_to_map(admin_of):
    response = admin_of.get(OVERVIEW)
    assert response.status_code == 200 and response.context["providers"] == []
    assert "nothing to map" in response.content.decode()
