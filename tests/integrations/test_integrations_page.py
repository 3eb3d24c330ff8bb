"""The Integrations page (in Swedish for the Swedish organization) and the sync state on each
record's page."""

from datetime import date

import pytest
from django.urls import reverse

from accounting.models import Customer, Employee, Invoice, Project, TimeEntry
from integrations.models import Connection, Link, SyncJob, SyncLogEntry
from integrations.providers.fortnox.webhooks import REVOKED_REASON
from tests.integrations.test_integrations_api_fake_provider import (
    Calls,
    browser,
    make_connection,
    queued_tasks,
)

pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]

pytestmark = pytest.mark.django_db
PAGE = "/integrations/"


@pytest.fixture
def admin_user(make_user, swedish_org):
    return make_user("frost-admin", swedish_org, role="admin")


@pytest.fixture
def swedish_admin(admin_user):
    return browser(admin_user)  # no language cookie: the organization's language


@pytest.fixture
def swedish_staff(make_user, swedish_org):
    return browser(make_user("frost-staff", swedish_org))


@pytest.fixture
def conn(swedish_org, hubbooks):
    return make_connection(swedish_org, remote_company_name="Frost Bygg AB i HubBooks")


@pytest.fixture
def customer(swedish_org):
    return Customer.objects.create(organization=swedish_org, name="Kund AB", kind="company")


def invoice(org, customer, number):
    return Invoice.objects.create(organization=org, customer=customer, number=number,
                                  issue_date=date(2026, 1, 5))


def test_the_page_reads_in_swedish_with_its_buttons(swedish_admin, conn):
    html = swedish_admin.get(PAGE).content.decode()
    for text in ("Integrationer", "HubBooks", "Frost Bygg AB i HubBooks", "Ansluten",
                 "Koppla från", "Exportera", "Synka", "Posttyp", "Riktning", "Senaste synk",
                 "aldrig", "Export och import", "Inga fel."):
        assert text in html, text
    for english in ("Integrations<", ">Sync<", "Record type", "Disconnect", "Last sync", "never"):
        assert english not in html, english
    # One export button per record type it exports, a sync button per type it imports.
    assert html.count('name="type" value="invoice"') == 2
    assert html.count('name="type" value="payslip"') == 1
    assert f'action="/integrations/{conn.pk}/export/"' in html
    assert f'action="/integrations/{conn.pk}/sync/"' in html


def test_a_connection_needing_reauthorization_says_what_to_do(swedish_admin, conn):
    Connection.objects.filter(pk=conn.pk).update(status=Connection.Status.NEEDS_REAUTH,
                                                 status_reason=REVOKED_REASON)
    html = swedish_admin.get(PAGE).content.decode()
    assert "Behöver godkännas igen" in html and "Anslutningen behöver godkännas igen." in html
    assert "medgivandet för den här integrationen har återkallats" in html
    assert "Gör så här" in html and "Anslut igen" in html
    assert "Exportera" not in html  # nothing can be sent until then


def test_a_provider_without_a_connection_offers_connect(swedish_admin, hubbooks):
    html = swedish_admin.get(PAGE).content.decode()
    assert 'action="/integrations/hubbooks/connect/"' in html
    assert "Inte ansluten" in html and "som tjänstekonto" in html


def test_the_page_connect_button_sends_the_admin_to_the_provider(swedish_admin, hubbooks):
    response = swedish_admin.post("/integrations/hubbooks/connect/", {"service_account": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://hubbooks.test/oauth/auth?state=")
    assert "account_type=service" in response["Location"]


def test_staff_see_the_state_but_no_buttons(swedish_staff, conn):
    html = swedish_staff.get(PAGE).content.decode()
    assert "Frost Bygg AB i HubBooks" in html
    assert "Exportera" not in html and "Koppla från" not in html
    assert "Endast organisationens administratörer" in html
    assert swedish_staff.post(f"/integrations/{conn.pk}/export/",
                              {"type": "invoice"}).status_code == 403


def test_counts_failures_and_the_last_errors_with_a_link_to_the_monitor(swedish_admin, conn,
                                                                      swedish_org):
    Link.objects.create(organization=swedish_org, connection=conn, record_type="invoice",
                        local_id="1", remote_id="R1")
    job = SyncJob.objects.create(organization=swedish_org, connection=conn,
                                 operation="invoice.export", record_type="invoice",
                                 local_id="2", status="failed", idempotency_key="k",
                                 external_reference="r", last_error="Kunde inte hitta konto")
    SyncLogEntry.objects.create(organization=swedish_org, connection=conn, job=job,
                                provider="hubbooks", entity="invoice", local_id="2",
                                action="invoice.export", status="failed",
                                message="Kunde inte hitta konto 3001")
    html = swedish_admin.get(PAGE).content.decode()
    row = html.split('id="record-type-invoice"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row  # linked
    assert '<span class="badge err">1</span>' in row  # failed
    assert "Kunde inte hitta konto 3001" in row
    monitor = f"/admin/integrations/synclogentry/?connection__id__exact={conn.pk}"
    assert monitor in html and "Öppna synkövervakningen" in html
    assert swedish_admin.get(monitor).status_code == 200


def test_another_organizations_connection_is_not_shown(swedish_admin, conn, norwegian_org):
    make_connection(norwegian_org, remote_company_name="Nordbil i HubBooks")
    assert "Nordbil i HubBooks" not in swedish_admin.get(PAGE).content.decode()
    theirs = Connection.objects.get(organization=norwegian_org)
    assert swedish_admin.post(f"/integrations/{theirs.pk}/export/",
                              {"type": "invoice"}).status_code == 404


def test_export_button_sends_what_is_not_at_the_provider_yet(swedish_admin, conn, swedish_org,
                                                             customer):
    sent, new = invoice(swedish_org, customer, "F-1"), invoice(swedish_org, customer, "F-2")
    Link.objects.create(organization=swedish_org, connection=conn, record_type="invoice",
                        local_id=str(sent.pk), remote_id="R1")
    response = swedish_admin.post(f"/integrations/{conn.pk}/export/", {"type": "invoice"},
                                  follow=True)
    assert [j.local_id for j in SyncJob.objects.all()] == [str(new.pk)]
    assert "1 export köad." in response.content.decode()
    swedish_admin.post(f"/integrations/{conn.pk}/export/", {"type": "invoice"})
    assert SyncJob.objects.count() == 1


def test_sync_button_queues_an_import(swedish_admin, conn):
    response = swedish_admin.post(f"/integrations/{conn.pk}/sync/", {"type": "invoice"},
                                  follow=True)
    assert [func for func, _ in queued_tasks()] == ["integrations.tasks.import_changes"]
    assert queued_tasks()[0][1][1] == ["invoice"]
    assert "Import från HubBooks köad." in response.content.decode()


# -- the record pages ---------------------------------------------------------------------------

def test_a_record_page_shows_the_remote_id_with_its_link_and_the_last_job(
        swedish_admin, conn, swedish_org, customer):
    inv = invoice(swedish_org, customer, "F-9")
    Link.objects.create(organization=swedish_org, connection=conn, record_type="invoice",
                        local_id=str(inv.pk), remote_id="4711", remote_number="4711")
    SyncJob.objects.create(organization=swedish_org, connection=conn, operation="invoice.export",
                           record_type="invoice", local_id=str(inv.pk), status="failed",
                           idempotency_key="k", external_reference="r",
                           last_error="Kunde inte hitta konto 3001")
    html = swedish_admin.get(reverse("accounting:invoice_detail", args=[inv.pk])).content.decode()
    assert 'href="https://hubbooks.test/app/4711"' in html
    assert "Nummer i HubBooks" in html and "Misslyckades" in html
    assert "Försök igen" in html  # the failed job can be tried again where it shows
    assert "Kunde inte hitta konto 3001" in html
    assert "Exportera till HubBooks" in html


@pytest.mark.parametrize("record_type", ["customer", "project", "employee", "time_entry"])
def test_every_record_type_page_has_the_panel(swedish_admin, swedish_staff, conn, swedish_org,
                                              customer, record_type):
    project = Project.objects.create(organization=swedish_org, number="P1", name="Bygge")
    employee = Employee.objects.create(organization=swedish_org, employee_number="E1",
                                       first_name="Eva", last_name="Ek")
    records = {
        "customer": (customer, "contracts:customer_detail"),
        "project": (project, "accounting:project_detail"),
        "employee": (employee, "accounting:employee_detail"),
        "time_entry": (TimeEntry.objects.create(organization=swedish_org, employee=employee,
                                                project=project, date=date(2026, 1, 2),
                                                hours=8), "accounting:timeentry_detail"),
    }
    record, url_name = records[record_type]
    Link.objects.create(organization=swedish_org, connection=conn, record_type=record_type,
                        local_id=str(record.pk), remote_id=f"X{record.pk}")
    html = swedish_admin.get(reverse(url_name, args=[record.pk])).content.decode()
    assert f"https://hubbooks.test/app/X{record.pk}" in html
    assert f'name="type" value="{record_type}"' in html
    staff_html = swedish_staff.get(reverse(url_name, args=[record.pk])).content.decode()
    assert f"X{record.pk}" in staff_html and "Exportera till" not in staff_html


def test_a_record_page_export_button_queues_that_record_and_comes_back(swedish_admin, conn,
                                                                       swedish_org, customer):
    inv = invoice(swedish_org, customer, "F-3")
    detail = reverse("accounting:invoice_detail", args=[inv.pk])
    response = swedish_admin.post(f"/integrations/{conn.pk}/export/",
                                  {"type": "invoice", "ids": [inv.pk], "next": detail})
    assert response.status_code == 302 and response["Location"] == detail
    job = SyncJob.objects.get()
    assert (job.local_id, job.operation) == (str(inv.pk), "invoice.export")
    html = swedish_admin.get(detail).content.decode()
    assert "I kö" in html  # the last job's status


def test_disconnect_on_the_page_revokes_at_the_provider_like_the_api(swedish_admin, conn):
    asked = swedish_admin.post(f"/integrations/{conn.pk}/disconnect/")
    assert asked.status_code == 200 and Calls.revoked == []  # it asks first
    response = swedish_admin.post(f"/integrations/{conn.pk}/disconnect/", {"confirm": "1"},
                                  follow=True)
    assert response.status_code == 200
    assert Calls.revoked == [(conn.pk, "r")]
    conn.refresh_from_db()
    assert conn.status == Connection.Status.DISCONNECTED and conn.credentials == {}
