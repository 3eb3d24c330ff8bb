from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from accounting.models import Membership, Organization
from contracts.demo_data import DEMO_PASSWORD, USERS
from contracts.models import ContractLine
from integrations.models import AccountMapping, VatMapping

pytestmark = pytest.mark.django_db


def row_counts():
    models = [
        *apps.get_app_config("accounting").get_models(),
        *apps.get_app_config("contracts").get_models(),
        *apps.get_app_config("integrations").get_models(),
        get_user_model(),
    ]
    return {model._meta.label: model.objects.count() for model in models}


def load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_twice_creates_nothing_the_second_time():
    load_demo()
    first = row_counts()
    assert "nothing changed" in load_demo()
    assert row_counts() == first
    assert first["contracts.Contract"] >= 3
    assert first["accounting.TimeEntry"] > 0
    assert first["accounting.Payslip"] == 2


def test_load_demo_creates_the_logins():
    load_demo()
    nordbil = Organization.objects.get(slug="nordbil")
    frost = Organization.objects.get(slug="frost")
    assert (nordbil.country, nordbil.currency, nordbil.language) == ("NO", "NOK", "nb")
    assert (frost.country, frost.currency, frost.language) == ("SE", "SEK", "sv")
    for username, (slug, role, *_) in USERS.items():
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        membership = Membership.objects.get(user=user)
        assert (membership.organization.slug, membership.role) == (slug, role)
        assert user.is_staff == (role == "admin")
        assert not user.is_superuser


def test_demo_leaves_the_fee_category_unmapped_for_poweroffice():
    load_demo()
    nordbil = Organization.objects.get(slug="nordbil")
    for model in (VatMapping, AccountMapping):
        mapped = set(
            model.objects.for_org(nordbil).filter(provider="poweroffice_go")
            .values_list("category", flat=True)
        )
        assert mapped == {"car", "addon", "part", "labor"}
    assert ContractLine.objects.filter(contract__organization=nordbil, category="fee").exists()


def test_demo_keeps_what_people_changed():
    load_demo()
    vat = VatMapping.objects.get(organization__slug="nordbil", category="car")
    vat.vat_code = "5"
    vat.save()
    load_demo()
    vat.refresh_from_db()
    assert vat.vat_code == "5"


def banner(**options):
    out = StringIO()
    call_command("demo_banner", stdout=out, **options)
    return out.getvalue()


def test_banner_prints_urls_and_the_logins_that_exist():
    load_demo()
    text = banner(url="http://127.0.0.1:8000/", sandbox="http://127.0.0.1:8001/sandbox/")
    assert "http://127.0.0.1:8000/admin/" in text
    assert "http://127.0.0.1:8001/sandbox/" in text
    for username in USERS:
        assert username in text
    assert DEMO_PASSWORD in text
    assert "mapping editor" in text


def test_banner_without_logins_says_how_to_create_them():
    text = banner(url="http://127.0.0.1:8000/")
    assert "make run" in text
    assert "nordbil-admin" not in text
