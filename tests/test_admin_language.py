"""Django admin speaks the organization's language: the dealer's admin reads bokmål, the
builder's admin Swedish, in the section titles, model names, column headers, filters, form
labels and actions (models' and fields' `verbose_name`, apps' `verbose_name`)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounting.models import Customer, Employee, TimeEntry
from tests.integrations.admin_helpers import make_connection, make_job

pytest_plugins = ["tests.integrations.admin_fixtures"]
pytestmark = pytest.mark.django_db


def browser(user):
    # No language cookie: the organization's language is the one spoken.
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def nb_admin(make_user, org):
    return browser(make_user("nina-admin", org, role="admin"))


@pytest.fixture
def sv_admin(make_user, other_org):
    other_org.language = "sv"
    other_org.save(update_fields=["language"])
    return browser(make_user("sven-admin", other_org, role="admin"))


# Page -> what it says in bokmål and in Swedish, and English it must no longer show.
INDEX = {
    "nb": ["Regnskap", "Kunder", "Ansatte", "Fakturaer", "Lønnsslipper", "Biler",
           "Kontokoblinger", "MVA-koblinger", "Tilkoblinger", "Webhook-hendelser",
           "TLU-koder (Visma Lön 300/600)", "Visma Lønn"],
    "sv": ["Bokföring", "Kunder", "Anställda", "Fakturor", "Lönebesked", "Bilar",
           "Kontokopplingar", "Momskopplingar", "Anslutningar", "Webhook-händelser",
           "TLU-koder (Visma Lön 300/600)", "Visma Lön"],
    "en": ["Account mappings", "Vat mappings", "Connections", "Webhook events", "Employees",
           "Payslips", "Time entries"],
}
CONNECTIONS = {
    "nb": ["Velg tilkobling", "Regnskapssystem", "Selskap hos regnskapssystemet",
           "Sist synkronisert", "Tilkoblet"],
    "sv": ["Välj anslutning", "Bokföringssystem", "Företag i bokföringssystemet",
           "Senast synkroniserad", "Ansluten"],
    "en": ["Remote company name", "Last sync at", "Connected at"],
}
CONNECTION_PAGE = {
    "nb": ["Klient-ID hos regnskapssystemet"],
    "sv": ["Klient-id i bokföringssystemet"],
    "en": ["Remote tenant id", "Status reason"],
}
CUSTOMERS = {
    "nb": ["Velg kunde", "Navn", "Type", "E-post", "Telefon", "Sted", "Endret"],
    "sv": ["Välj kund", "Namn", "Typ", "E-post", "Telefon", "Ort", "Ändrad"],
    "en": ["Kind", "Phone", "City", "Updated at"],
}
TIME_ENTRIES = {
    "nb": ["Timeføringer", "Ansatt", "Prosjekt", "Timer", "Fravær"],
    "sv": ["Tidrapporter", "Anställd", "Projekt", "Timmar", "Frånvaro"],
    "en": ["Time entries", "Hours"],
}
SYNC_JOBS = {
    "nb": ["Synkroniseringsjobber", "Forsøk", "Prøv valgte feilede/oppgitte jobber igjen"],
    "sv": ["Synkjobb", "Försök", "Försök igen med valda misslyckade/uppgivna jobb"],
    "en": ["Sync jobs", "Attempts", "Next attempt at"],
}


def pages(conn):
    return [
        (reverse("admin:index"), INDEX),
        (reverse("admin:integrations_connection_changelist"), CONNECTIONS),
        (reverse("admin:integrations_connection_change", args=[conn.pk]), CONNECTION_PAGE),
        (reverse("admin:accounting_customer_changelist"), CUSTOMERS),
        (reverse("admin:accounting_timeentry_changelist"), TIME_ENTRIES),
        (reverse("admin:integrations_syncjob_changelist"), SYNC_JOBS),
    ]


def rows(org, conn):
    """One row of each list, so the lists show their column headers."""
    Customer.objects.create(organization=org, name="Kari Nordmann", city="Oslo")
    employee = Employee.objects.create(organization=org, employee_number="1", first_name="Kari",
                                       last_name="Nordmann")
    TimeEntry.objects.create(organization=org, employee=employee, date="2026-03-02", hours=7)
    make_job(conn)


def check(client, conn, lang):
    rows(conn.organization, conn)
    for url, words in pages(conn):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        missing = [w for w in words[lang] if w not in text]
        assert not missing, f"{url} lacks {missing}"
        english = [w for w in words["en"] if w in text]
        assert not english, f"{url} still says {english}"


def test_the_dealers_admin_reads_bokmal(nb_admin, org, adminbooks):
    conn = make_connection(org, remote_company_name="Nordbil AS")
    check(nb_admin, conn, "nb")


def test_the_builders_admin_reads_swedish(sv_admin, other_org, adminbooks):
    conn = make_connection(other_org, remote_company_name="Frost Bygg AB")
    check(sv_admin, conn, "sv")


def test_the_language_cookie_still_wins(make_user, org, adminbooks):
    """A person who chose English (the cookie) reads the English source strings."""
    client = browser(make_user("eve-admin", org, role="admin"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    make_connection(org)
    text = client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert "Company at the provider" in text and "Connections" in text
    assert "Tilkoblinger" not in text
