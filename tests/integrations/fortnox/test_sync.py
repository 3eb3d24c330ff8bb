"""Customers and invoices back from Fortnox: `lastmodified` and paging, new records, changes on
one side or both (last write wins, the loser kept in the log), payment status."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounting.models import Customer, Invoice, InvoicePayment
from integrations.models import Connection, Link, SyncCursor, SyncJob, SyncLogEntry
from integrations.providers.fortnox import sync
from tests.integrations.fortnox.conftest import run
from tests.integrations.fortnox.fake import stockholm

pytestmark = pytest.mark.django_db


def _remote_customer(fortnox, number="1001", modified=None, **extra):
    return fortnox.add("customers", {
        "CustomerNumber": number, "Name": "Villa Ek", "Type": "PRIVATE", "Email": "ek@ex.se",
        "Phone1": "070-111", "Address1": "Ekvägen 2", "ZipCode": "12345", "City": "Täby",
        "CountryCode": "SE", "ExternalReference": "", **extra}, modified=modified)


def test_new_remote_customer_is_created_and_linked(connection, fortnox):
    _remote_customer(fortnox)
    result = sync.import_changes(connection, record_types=("customer",))
    assert result == {"customer": {"created": 1, "updated": 0, "conflicts": 0, "unchanged": 0}}
    link = Link.objects.get(connection=connection, record_type="customer", remote_id="1001")
    local = Customer.objects.get(pk=link.local_id)
    assert (local.name, local.city, local.country, local.kind) == ("Villa Ek", "Täby", "SE",
                                                                   "person")
    assert local.organization == connection.organization
    # The next run asks only for what changed since the first began, in Stockholm minutes.
    cursor = SyncCursor.objects.get(connection=connection, record_type="customer")
    again = sync.import_changes(connection, record_types=("customer",))
    assert again["customer"] == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 1}
    params = [c for c in fortnox.calls("GET") if c[1] == "/3/customers"][-1][2]
    started = datetime.datetime.fromisoformat(cursor.value)
    assert params["lastmodified"] == started.astimezone(
        datetime.timezone(stockholm().utcoffset())).strftime("%Y-%m-%d %H:%M")
    assert params["limit"] == "500"


def test_paging_goes_to_the_last_page(connection, fortnox):
    for n in range(1, 1003):
        _remote_customer(fortnox, number=str(n), Name=f"Kund {n}")
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["created"] == 1002
    assert [c[2]["page"] for c in fortnox.calls("GET", "/3/customers") if "page" in c[2]] == [
        "1", "2", "3"]


def test_since_overrides_the_cursor(connection, fortnox):
    _remote_customer(fortnox, "1", modified=stockholm(minutes_ago=120))
    _remote_customer(fortnox, "2", modified=stockholm(minutes_ago=5))
    result = sync.import_changes(connection, record_types=("customer",),
                                 since=timezone.now() - datetime.timedelta(minutes=30))
    assert result["customer"]["created"] == 1
    assert Link.objects.filter(connection=connection, remote_id="2").exists()


def _exported_customer(connection, fortnox, customer):
    outcome, _ = run(connection, "customer.export", customer)
    assert outcome == "done"
    return f"H{customer.pk}"


def test_own_export_is_adopted_not_imported_twice(connection, fortnox, customer):
    number = _exported_customer(connection, fortnox, customer)
    Link.objects.filter(record_type="customer").delete()  # the job has not stored it yet
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["created"] == 0
    assert Customer.objects.count() == 1
    assert Link.objects.get(record_type="customer").remote_id == number


def test_remote_change_reaches_us_without_touching_updated_at(connection, fortnox, customer):
    number = _exported_customer(connection, fortnox, customer)
    before = Customer.objects.get(pk=customer.pk).updated_at
    fortnox.touch("customers", number, City="Nacka")
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["updated"] == 1
    local = Customer.objects.get(pk=customer.pk)
    assert local.city == "Nacka" and local.updated_at == before
    assert sync.import_changes(connection, record_types=("customer",))["customer"][
        "unchanged"] == 1


def test_local_change_stays_and_is_sent(connection, fortnox, customer):
    number = _exported_customer(connection, fortnox, customer)
    Customer.objects.filter(pk=customer.pk).update(email="ny@solrosen.example.se")
    fortnox.touch("customers", number)  # modified in Fortnox, but no value changed
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["unchanged"] == 1
    assert Customer.objects.get(pk=customer.pk).email == "ny@solrosen.example.se"
    assert SyncJob.objects.filter(operation="customer.export", status="queued",
                                  idempotency_key__contains=":sync-").count() == 1


def _conflict(connection, fortnox, customer, *, remote_minutes_ago, local_minutes_ago):
    number = _exported_customer(connection, fortnox, customer)
    Customer.objects.filter(pk=customer.pk).update(
        phone="08-999 99 99",
        updated_at=timezone.now() - datetime.timedelta(minutes=local_minutes_ago))
    fortnox.touch("customers", number, at=stockholm(minutes_ago=remote_minutes_ago),
                  Phone1="08-555 55 55")
    return number


def test_conflict_fortnox_newer_wins_and_ours_is_logged(connection, fortnox, customer):
    _conflict(connection, fortnox, customer, remote_minutes_ago=2, local_minutes_ago=10)
    result = sync.import_changes(connection, record_types=("customer",),
                                 since=timezone.now() - datetime.timedelta(hours=1))
    assert result["customer"]["conflicts"] == 1
    assert Customer.objects.get(pk=customer.pk).phone == "08-555 55 55"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["winner"] == "fortnox"
    assert entry.details["lost"] == {"phone": "08-999 99 99"}
    assert entry.details["kept"] == {"phone": "08-555 55 55"}
    assert entry.local_id == str(customer.pk) and "made in Fortnox" in entry.message
    assert not SyncJob.objects.filter(idempotency_key__contains=":sync-").exists()


def test_conflict_local_newer_wins_and_fortnox_value_is_logged(connection, fortnox, customer):
    number = _conflict(connection, fortnox, customer, remote_minutes_ago=10,
                       local_minutes_ago=2)
    result = sync.import_changes(connection, record_types=("customer",),
                                 since=timezone.now() - datetime.timedelta(hours=1))
    assert result["customer"]["conflicts"] == 1
    assert Customer.objects.get(pk=customer.pk).phone == "08-999 99 99"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["winner"] == "local"
    assert entry.details["lost"] == {"phone": "08-555 55 55"}
    # Ours goes out, so both sides end equal.
    job = SyncJob.objects.get(idempotency_key__contains=":sync-")
    from integrations.engine import run_job

    assert run_job(job.pk) == "done"
    assert fortnox.data["customers"][number]["Phone1"] == "08-999 99 99"
    after = sync.import_changes(connection, record_types=("customer",))
    assert after["customer"]["conflicts"] == 0


def test_new_remote_invoice_is_created_with_its_customer(connection, fortnox, mappings):
    _remote_customer(fortnox, "1001")
    fortnox.add("invoices", {
        "CustomerNumber": "1001", "InvoiceDate": "2026-11-05", "DueDate": "2026-12-05",
        "Currency": "SEK", "OurReference": "Karin", "YourReference": "Eva", "VATIncluded": False,
        "InvoiceRows": [{"Description": "Altanbygge", "DeliveredQuantity": "10", "Price": 550,
                         "AccountNumber": 3051, "VAT": 25, "RowId": 1}],
        "Total": 6875, "Balance": 6875, "Booked": True, "Cancelled": False, "Sent": True})
    result = sync.import_changes(connection, record_types=("invoice",))
    assert result["invoice"]["created"] == 1
    invoice = Invoice.objects.get(number="1")
    assert invoice.customer.name == "Villa Ek"
    assert (invoice.status, invoice.booked, invoice.due_date) == (
        "sent", True, datetime.date(2026, 12, 5))
    line = invoice.lines.get()
    assert (line.description, line.quantity, line.unit_price, line.category) == (
        "Altanbygge", Decimal("10"), Decimal("550.00"), "material")


def _exported_invoice(connection, fortnox, invoice):
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "done", job.last_error
    return "1"


def test_partial_payment_reaches_the_invoice(connection, fortnox, invoice):
    number = _exported_invoice(connection, fortnox, invoice)
    total = fortnox.data["invoices"][number]["Total"]
    # Fortnox registers a payment; the invoice's own modification time is left alone, so the
    # payment list is what tells us.
    fortnox.data["invoices"][number].update(Balance=total - 5000)
    fortnox.add("invoicepayments", {"InvoiceNumber": int(number), "Amount": 5000,
                                    "PaymentDate": "2026-11-20", "Currency": "SEK"})
    result = sync.import_changes(connection, record_types=("invoice",),
                                 since=timezone.now() - datetime.timedelta(minutes=1))
    assert result["invoice"]["updated"] == 1
    local = Invoice.objects.get(pk=invoice.pk)
    assert local.status == "partly_paid"
    assert local.paid_amount == Decimal("5000.00")
    assert local.remaining_amount == Decimal(str(total)) - 5000
    payment = InvoicePayment.objects.get(invoice=local)
    assert (payment.amount, payment.paid_on) == (Decimal("5000.00"), datetime.date(2026, 11, 20))
    sync.import_changes(connection, record_types=("invoice",))
    assert InvoicePayment.objects.count() == 1  # seen again, not added twice


def test_full_payment_and_booking(connection, fortnox, invoice):
    number = _exported_invoice(connection, fortnox, invoice)
    fortnox.touch("invoices", number, Balance=0, FinalPayDate="2026-11-25", Booked=True)
    sync.import_record(connection, "invoice", number)
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.booked, local.final_pay_date, local.remaining_amount) == (
        "paid", True, datetime.date(2026, 11, 25), Decimal("0.00"))


def test_overdue_without_any_change_in_fortnox(connection, fortnox, invoice):
    _exported_invoice(connection, fortnox, invoice)
    Invoice.objects.filter(pk=invoice.pk).update(due_date=datetime.date(2020, 1, 1))
    sync.import_changes(connection, record_types=("invoice",),
                        since=timezone.now() + datetime.timedelta(minutes=5))
    assert Invoice.objects.get(pk=invoice.pk).status == "overdue"


def test_cancelled_in_fortnox(connection, fortnox, invoice):
    number = _exported_invoice(connection, fortnox, invoice)
    fortnox.touch("invoices", number, Cancelled=True)
    assert sync.import_record(connection, "invoice", number) == "updated"
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def test_invoice_line_changed_in_fortnox(connection, fortnox, invoice):
    number = _exported_invoice(connection, fortnox, invoice)
    rows = fortnox.data["invoices"][number]["InvoiceRows"]
    fortnox.touch("invoices", number, InvoiceRows=[{**rows[0], "DeliveredQuantity": "14"},
                                                   rows[1]])
    assert sync.import_record(connection, "invoice", number) == "updated"
    quantities = list(Invoice.objects.get(pk=invoice.pk).lines.values_list("quantity", flat=True))
    assert quantities == [Decimal("14"), Decimal("18")]


def test_scheduled_poll_marks_a_revoked_connection(connection, fortnox):
    from integrations.providers.fortnox.provider import Fortnox

    fortnox.access_token = "somebody-else"
    fortnox.refresh_token = "gone"
    summary = Fortnox.poll_all()
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert "connect Fortnox again" in summary[connection.pk]["error"]


def test_schedule_is_declared_and_runs_the_poll_loop(settings):
    from integrations.management.commands.setup_schedules import provider_schedules
    from integrations.providers.base import Schedule
    from integrations.providers.fortnox.provider import Fortnox

    settings.FORTNOX_IMPORT_MINUTES = 45
    assert Fortnox.schedules() == [Schedule("sync: Fortnox import", 45, "poll_all")]
    assert provider_schedules()["sync: Fortnox import"] == (
        "integrations.tasks.run_provider_schedule", ("fortnox", "poll_all"), 45)
