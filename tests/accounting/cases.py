"""Tenancy cases shared by the accounting and contracts tests (as django-anymail shares its
backend cases): a subclass names its pages (`PAGES`) or admin models (`ADMIN_MODELS`), and every
case runs for each of them.

`org` is the user's organization, `other_org` the one whose rows must stay invisible.
"""

import pytest
from django.contrib import admin
from django.forms import ModelChoiceField
from django.urls import reverse

from accounting.models import Membership, Organization
from tests.accounting.factories import MARKS


def pytest_generate_tests(metafunc):
    cls = metafunc.cls
    if "page" in metafunc.fixturenames and getattr(cls, "PAGES", None):
        metafunc.parametrize("page", cls.PAGES, ids=[page.name for page in cls.PAGES])
    if "model" in metafunc.fixturenames and getattr(cls, "ADMIN_MODELS", None):
        metafunc.parametrize(
            "model", cls.ADMIN_MODELS, ids=[m._meta.model_name for m in cls.ADMIN_MODELS]
        )


def detail_url(page, obj):
    return reverse(page.detail_url_name, args=[obj.pk])


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def change_form_data(response) -> dict:
    """POST data that re-submits an admin change form (and its inlines) as rendered."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is True:
                data[bound.html_name] = "on"
            elif value is not None and value is not False:
                data[bound.html_name] = value
    return data


def organization_of(obj):
    """The organization a row belongs to, through its parent for lines."""
    if isinstance(obj, Organization):
        return obj
    if hasattr(obj, "organization_id"):
        return obj.organization
    for parent in ("contract", "quote", "invoice", "payslip"):
        if hasattr(obj, parent):
            return getattr(obj, parent).organization
    raise AssertionError(f"Do not know how {type(obj).__name__} reaches its organization")


class RecordPageCases:
    PAGES = ()

    def test_detail_of_another_organization_is_404(
        self, client, page, staff_user, records, other_records
    ):
        client.force_login(staff_user)
        assert client.get(detail_url(page, records[page.model])).status_code == 200
        assert client.get(detail_url(page, other_records[page.model])).status_code == 404

    def test_list_shows_only_own_organization(
        self, client, page, staff_user, org, other_org, records, other_records
    ):
        client.force_login(staff_user)
        response = client.get(reverse(page.list_url_name))
        assert response.status_code == 200
        listed = list(response.context["object_list"])
        assert listed and all(organization_of(obj) == org for obj in listed)
        html = response.content.decode()
        assert detail_url(page, records[page.model]) in html
        assert detail_url(page, other_records[page.model]) not in html
        assert MARKS[other_org.slug] not in html

    def test_search_stays_in_own_organization(
        self, client, page, staff_user, org, other_org, records, other_records
    ):
        client.force_login(staff_user)
        url = reverse(page.list_url_name)
        own = client.get(url, {"q": MARKS[org.slug]}).context["object_list"]
        assert list(own) == [records[page.model]]
        other = client.get(url, {"q": MARKS[other_org.slug]}).context["object_list"]
        assert list(other) == []

    def test_detail_shows_no_other_organization_data(
        self, client, page, staff_user, other_org, records, other_records
    ):
        client.force_login(staff_user)
        html = client.get(detail_url(page, records[page.model])).content.decode()
        assert MARKS[other_org.slug] not in html

    def test_anonymous_is_sent_to_login(self, client, page, records):
        for url in (reverse(page.list_url_name), detail_url(page, records[page.model])):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))

    def test_user_without_organization_sees_nothing(
        self, client, page, django_user_model, records
    ):
        client.force_login(django_user_model.objects.create_user("drifter", password="x-123456"))
        response = client.get(reverse(page.list_url_name))
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []
        assert client.get(detail_url(page, records[page.model])).status_code == 404


class AdminCases:
    ADMIN_MODELS = ()

    def test_changelist_shows_only_own_organization(
        self, client, model, org, other_org, org_admin, records, other_records
    ):
        client.force_login(org_admin)
        response = client.get(admin_url(model, "changelist"))
        assert response.status_code == 200
        rows = list(response.context["cl"].result_list)
        assert rows and all(organization_of(row) == org for row in rows)
        assert MARKS[other_org.slug] not in response.content.decode()
        assert other_org.name not in response.content.decode()

    def test_change_page_of_another_organization_is_404(
        self, client, model, org_admin, records, other_records, own_and_other
    ):
        own, other = own_and_other(model)
        client.force_login(org_admin)
        assert client.get(admin_url(model, "change", own.pk)).status_code == 200
        assert client.get(admin_url(model, "change", other.pk)).status_code == 404
        assert client.get(admin_url(model, "delete", other.pk)).status_code == 404
        assert client.get(admin_url(model, "history", other.pk)).status_code == 404

    def test_foreign_key_choices_are_own_organization(
        self, client, model, org, org_admin, records, other_records, own_and_other
    ):
        own, _ = own_and_other(model)
        client.force_login(org_admin)
        response = client.get(admin_url(model, "change", own.pk))
        forms = [response.context["adminform"].form]
        forms += [inline.formset.empty_form for inline in response.context["inline_admin_formsets"]]
        for form in forms:
            for name, field in form.fields.items():
                # A formset's hidden row id is checked against the formset's own rows on save;
                # its choices are never shown.
                if name == form._meta.model._meta.pk.name:
                    continue
                if not isinstance(field, ModelChoiceField):
                    continue
                choices = list(field.queryset)
                assert choices, f"{model.__name__}.{name} offers no choice at all"
                assert all(organization_of(choice) == org for choice in choices), (
                    f"{model.__name__}.{name} offers another organization's rows"
                )

    def test_staff_role_cannot_use_admin(self, client, model, org, make_user, own_and_other):
        # Even with is_staff set by mistake, a staff membership gives no admin rights.
        user = make_user("staffer", org, role="staff")
        user.is_staff = True
        user.save()
        own, _ = own_and_other(model)
        client.force_login(user)
        assert client.get(admin_url(model, "changelist")).status_code == 403
        assert client.get(admin_url(model, "change", own.pk)).status_code in (403, 404)


@pytest.fixture
def own_and_other(org, other_org, records, other_records):
    """The model's row in `org` and in `other_org` (memberships come from the user fixtures)."""

    def pick(model):
        if model is Membership:
            return (
                Membership.objects.filter(organization=org).first(),
                Membership.objects.filter(organization=other_org).first(),
            )
        return records[model], other_records[model]

    return pick


def admin_models(app_label, *, exclude=()):
    return [
        model for model in admin.site._registry
        if model._meta.app_label == app_label and model not in exclude
    ]
