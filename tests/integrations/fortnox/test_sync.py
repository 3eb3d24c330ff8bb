"""Customers and invoices back from Fortnox: `lastmodified` and paging, new records, changes on
one side or both (last write wins, the loser kept in the log), payment status. Fortnox's answers
are played with `responses`; each test says what Fortnox holds."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from accounting.models import Customer, Invoice, InvoicePayment
from integrations.engine.jobs import external_reference
from integrations.models import Connection, Link, SyncCursor, SyncJob, SyncLogEntry
from integrations.providers.fortnox import sync
from tests.integrations.fortnox.conftest import (
    API,
    AUTH,
    answer_invoice_create,
    echo,
    error_body,
    listing,
    requests_to,
    run,
    sent,
    stockholm_minutes,
)

pytestmark = pytest.mark.django_db
NOTHING = listing("Customers", [])


def _remote_customer(number="1001", **extra):
    return {"CustomerNumber": number, "Name": "Villa Ek", "Type": "PRIVATE", "Email": "ek@ex.se",
            "Phone1": "070-111", "Address1": "Ekvägen 2", "ZipCode": "12345", "City": "Täby",
            "CountryCode": "SE", "ExternalReference": "", **extra}


def _fortnox_holds_customers(rsps, *customers, changed=None, changed_after_ours=None):
    """Fortnox with these customers. Its `lastmodified` list answers the numbers in `changed`
    (all by default); a search by number with `lastmodified` (is Fortnox's change later than
    ours?) answers those in `changed_after_ours` (all by default)."""
    by_number = {c["CustomerNumber"]: c for c in customers}

    def listed(request):
        params = request.params
        rows = list(by_number.values())
        if "customernumber" in params:  # Fortnox's search matches substrings
            rows = [r for r in rows if params["customernumber"] in r["CustomerNumber"]]
            modified = changed_after_ours
        else:
            modified = changed
        if modified is not None and "lastmodified" in params:
            rows = [r for r in rows if r["CustomerNumber"] in modified]
        return 200, {}, json.dumps(listing("Customers", rows))

    def one(request):
        number = request.url.rsplit("/", 1)[-1]
        if number not in by_number:
            return 404, {}, json.dumps(error_body(2000729, "Hittades inte"))
        return 200, {}, json.dumps({"Customer": by_number[number]})

    rsps.add_callback("GET", f"{API}/customers", callback=listed)
    rsps.add_callback("GET", re.compile(rf"{re.escape(API)}/customers/[^/?]+$"), callback=one)
    return by_number


def _list_params(rsps, path):
    return [request.params for request in requests_to(rsps, "GET", path)]


def test_new_remote_customer_is_created_and_linked(connection, rsps):
    _fortnox_holds_customers(rsps, _remote_customer())
    result = sync.import_changes(connection, record_types=("customer",))
    assert result == {"customer": {"created": 1, "updated": 0, "conflicts": 0, "unchanged": 0}}
    link = Link.objects.get(connection=connection, record_type="customer", remote_id="1001")
    local = Customer.objects.get(pk=link.local_id)
    assert (local.name, local.city, local.country, local.kind) == ("Villa Ek", "Täby", "SE",
                                                                   "person")
    assert local.organization == connection.organization
    first = _list_params(rsps, "/customers")[0]
    assert "lastmodified" not in first and first["limit"] == "500"
    # The next run asks only for what changed since the first began, in Stockholm minutes.
    cursor = SyncCursor.objects.get(connection=connection, record_type="customer")
    again = sync.import_changes(connection, record_types=("customer",))
    assert again["customer"] == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 1}
    params = _list_params(rsps, "/customers")[-1]
    assert params["lastmodified"] == stockholm_minutes(
        datetime.datetime.fromisoformat(cursor.value))
    assert params["limit"] == "500"


def test_paging_goes_to_the_last_page(connection, rsps):
    customers = [_remote_customer(str(n), Name=f"Kund {n}") for n in range(1, 1003)]

    def page(request):
        number, size = int(request.params["page"]), int(request.params["limit"])
        rows = customers[(number - 1) * size:number * size]
        return 200, {}, json.dumps(listing("Customers", rows, page=number,
                                           pages=-(-len(customers) // size)))

    rsps.add_callback("GET", f"{API}/customers", callback=page)
    rsps.add_callback("GET", re.compile(rf"{re.escape(API)}/customers/\d+$"),
                      callback=lambda request: (200, {}, json.dumps(
                          {"Customer": customers[int(request.url.rsplit("/", 1)[-1]) - 1]})))
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["created"] == 1002
    assert [p["page"] for p in _list_params(rsps, "/customers")] == ["1", "2", "3"]


def test_since_overrides_the_cursor(connection, rsps):
    _fortnox_holds_customers(rsps, _remote_customer("1"), _remote_customer("2"),
                             changed={"2"})
    sync.import_changes(connection, record_types=("customer",))  # a cursor now exists
    since = timezone.now() - datetime.timedelta(minutes=30)
    Link.objects.filter(connection=connection).delete()
    Customer.objects.all().delete()
    result = sync.import_changes(connection, record_types=("customer",), since=since)
    assert _list_params(rsps, "/customers")[-1]["lastmodified"] == stockholm_minutes(since)
    assert result["customer"]["created"] == 1
    assert Link.objects.get(connection=connection).remote_id == "2"


def test_own_export_is_adopted_not_imported_twice(connection, rsps, customer):
    """An export whose job has not stored its Link yet, found by the import first."""
    number = f"H{customer.pk}"
    ours = external_reference("customer", customer.pk, organization=customer.organization)
    _fortnox_holds_customers(rsps, _remote_customer(number, Name="Brf Solrosen",
                                                    ExternalReference=ours))
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["created"] == 0
    assert Customer.objects.count() == 1
    assert Link.objects.get(record_type="customer").local_id == str(customer.pk)
    assert Link.objects.get(record_type="customer").remote_id == number


def _exported_customer(connection, rsps, customer):
    """Our customer sent to Fortnox; returns Fortnox's record as it now holds it."""
    echo(rsps, "POST", "/customers", "Customer", status=201)
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == "done", job.last_error
    return sent(requests_to(rsps, "POST", "/customers")[-1])["Customer"]


def test_remote_change_reaches_us_without_touching_updated_at(connection, rsps, customer):
    remote = _exported_customer(connection, rsps, customer)
    before = Customer.objects.get(pk=customer.pk).updated_at
    _fortnox_holds_customers(rsps, {**remote, "City": "Nacka"})
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["updated"] == 1
    local = Customer.objects.get(pk=customer.pk)
    assert local.city == "Nacka" and local.updated_at == before
    assert sync.import_changes(connection, record_types=("customer",))["customer"][
        "unchanged"] == 1


def test_local_change_stays_and_is_sent(connection, rsps, customer):
    remote = _exported_customer(connection, rsps, customer)
    Customer.objects.filter(pk=customer.pk).update(email="ny@solrosen.example.se")
    _fortnox_holds_customers(rsps, remote)  # modified in Fortnox, but no value changed
    result = sync.import_changes(connection, record_types=("customer",))
    assert result["customer"]["unchanged"] == 1
    assert Customer.objects.get(pk=customer.pk).email == "ny@solrosen.example.se"
    assert SyncJob.objects.filter(operation="customer.export", status="queued",
                                  idempotency_key__contains=":sync-").count() == 1


def _conflict(connection, rsps, customer, *, fortnox_changed_later):
    """Phone changed here ten minutes ago and in Fortnox; Fortnox's `lastmodified` search
    says whether its change came at or after ours."""
    remote = _exported_customer(connection, rsps, customer)
    Customer.objects.filter(pk=customer.pk).update(
        phone="08-999 99 99", updated_at=timezone.now() - datetime.timedelta(minutes=10))
    number = remote["CustomerNumber"]
    _fortnox_holds_customers(rsps, {**remote, "Phone1": "08-555 55 55"},
                             changed_after_ours={number} if fortnox_changed_later else set())
    return number


def _asked_whether_changed_after_ours(rsps, customer, number):
    searches = [p for p in _list_params(rsps, "/customers") if "customernumber" in p]
    ours = Customer.objects.get(pk=customer.pk).updated_at
    assert searches == [{"customernumber": number, "lastmodified": stockholm_minutes(ours),
                         "limit": "500", "page": "1"}]


def test_conflict_fortnox_newer_wins_and_ours_is_logged(connection, rsps, customer):
    number = _conflict(connection, rsps, customer, fortnox_changed_later=True)
    # The log line is written in the active language (a task sets the organization's): pinned
    # here, so the test does not depend on LANGUAGE_CODE or on what an earlier test activated.
    with translation.override("en"):
        result = sync.import_changes(connection, record_types=("customer",),
                                     since=timezone.now() - datetime.timedelta(hours=1))
    assert result["customer"]["conflicts"] == 1
    _asked_whether_changed_after_ours(rsps, customer, number)
    assert Customer.objects.get(pk=customer.pk).phone == "08-555 55 55"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["winner"] == "fortnox"
    assert entry.details["lost"] == {"phone": "08-999 99 99"}
    assert entry.details["kept"] == {"phone": "08-555 55 55"}
    assert entry.local_id == str(customer.pk) and "made in Fortnox" in entry.message
    assert not SyncJob.objects.filter(idempotency_key__contains=":sync-").exists()


def test_conflict_local_newer_wins_and_fortnox_value_is_logged(connection, rsps, customer):
    number = _conflict(connection, rsps, customer, fortnox_changed_later=False)
    result = sync.import_changes(connection, record_types=("customer",),
                                 since=timezone.now() - datetime.timedelta(hours=1))
    assert result["customer"]["conflicts"] == 1
    _asked_whether_changed_after_ours(rsps, customer, number)
    assert Customer.objects.get(pk=customer.pk).phone == "08-999 99 99"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["winner"] == "local"
    assert entry.details["lost"] == {"phone": "08-555 55 55"}
    # Ours goes out, so both sides end equal.
    job = SyncJob.objects.get(idempotency_key__contains=":sync-")
    echo(rsps, "PUT", f"/customers/{number}", "Customer")
    from integrations.engine import run_job

    assert run_job(job.pk) == "done"
    put = sent(requests_to(rsps, "PUT", f"/customers/{number}")[-1])["Customer"]
    assert put["Phone1"] == "08-999 99 99"
    _fortnox_holds_customers(rsps, {**put, "CustomerNumber": number})
    after = sync.import_changes(connection, record_types=("customer",))
    assert after["customer"]["conflicts"] == 0


def _fortnox_holds_invoices(rsps, *invoices, changed=None, payments=()):
    """Fortnox with these invoices (`changed`: the numbers its `lastmodified` list answers,
    all by default) and these invoice payments."""
    by_number = {str(i["DocumentNumber"]): i for i in invoices}
    listed = [i for n, i in by_number.items() if changed is None or n in changed]
    rsps.add("GET", f"{API}/invoices", json=listing("Invoices", listed))
    for number, invoice in by_number.items():
        rsps.add("GET", f"{API}/invoices/{number}", json={"Invoice": invoice})
    rsps.add("GET", f"{API}/invoicepayments", json=listing("InvoicePayments", list(payments)))


def test_new_remote_invoice_is_created_with_its_customer(connection, rsps, mappings):
    _fortnox_holds_customers(rsps, _remote_customer("1001"))
    _fortnox_holds_invoices(rsps, {
        "DocumentNumber": "1", "CustomerNumber": "1001", "InvoiceDate": "2026-11-05",
        "DueDate": "2026-12-05", "Currency": "SEK", "OurReference": "Karin",
        "YourReference": "Eva", "VATIncluded": False,
        "InvoiceRows": [{"Description": "Altanbygge", "DeliveredQuantity": "10", "Price": 550,
                         "AccountNumber": 3051, "VAT": 25, "RowId": 1}],
        "Total": 6875, "Balance": 6875, "Booked": True, "Cancelled": False, "Sent": True})
    result = sync.import_changes(connection, record_types=("invoice",))
    assert result["invoice"]["created"] == 1
    invoice = Invoice.objects.get(number="1")
    assert invoice.customer.name == "Villa Ek"
    assert Link.objects.get(record_type="customer").local_id == str(invoice.customer_id)
    assert (invoice.status, invoice.booked, invoice.due_date) == (
        "sent", True, datetime.date(2026, 12, 5))
    line = invoice.lines.get()
    assert (line.description, line.quantity, line.unit_price, line.category) == (
        "Altanbygge", Decimal("10"), Decimal("550.00"), "material")


def _exported_invoice(connection, rsps, invoice):
    """Our invoice sent to Fortnox (its customer and project first); returns Fortnox's invoice
    as it now holds it."""
    echo(rsps, "POST", "/customers", "Customer", status=201)
    echo(rsps, "POST", "/projects", "Project", status=201)
    answer_invoice_create(rsps)
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == "done", job.last_error
    return json.loads(rsps.calls[-1].response.text)["Invoice"]


def test_partial_payment_reaches_the_invoice(connection, rsps, invoice):
    remote = _exported_invoice(connection, rsps, invoice)
    total = remote["Total"]
    # Fortnox registers a payment; the invoice's own modification time is left alone, so the
    # payment list is what tells us.
    payment = {"Number": 7, "InvoiceNumber": 1, "Amount": 5000, "PaymentDate": "2026-11-20",
               "Currency": "SEK"}
    _fortnox_holds_invoices(rsps, {**remote, "Balance": total - 5000}, changed=set(),
                            payments=[payment])
    result = sync.import_changes(connection, record_types=("invoice",),
                                 since=timezone.now() - datetime.timedelta(minutes=1))
    assert result["invoice"]["updated"] == 1
    local = Invoice.objects.get(pk=invoice.pk)
    assert local.status == "partly_paid"
    assert local.paid_amount == Decimal("5000.00")
    assert local.remaining_amount == (Decimal(str(total)) - 5000).quantize(Decimal("0.01"))
    payment = InvoicePayment.objects.get(invoice=local)
    assert (payment.amount, payment.paid_on) == (Decimal("5000.00"), datetime.date(2026, 11, 20))
    sync.import_changes(connection, record_types=("invoice",))
    assert InvoicePayment.objects.count() == 1  # seen again, not added twice


def test_full_payment_and_booking(connection, rsps, invoice):
    remote = _exported_invoice(connection, rsps, invoice)
    _fortnox_holds_invoices(rsps, {**remote, "Balance": 0, "FinalPayDate": "2026-11-25",
                                   "Booked": True})
    sync.import_record(connection, "invoice", "1")
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.booked, local.final_pay_date, local.remaining_amount) == (
        "paid", True, datetime.date(2026, 11, 25), Decimal("0.00"))


def test_overdue_without_any_change_in_fortnox(connection, rsps, invoice):
    remote = _exported_invoice(connection, rsps, invoice)
    _fortnox_holds_invoices(rsps, remote, changed=set())
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate()
                                                 - datetime.timedelta(days=1))
    sync.import_changes(connection, record_types=("invoice",),
                        since=timezone.now() + datetime.timedelta(minutes=5))
    assert not requests_to(rsps, "GET", "/invoices/1")
    assert Invoice.objects.get(pk=invoice.pk).status == "overdue"


def test_cancelled_in_fortnox(connection, rsps, invoice):
    remote = _exported_invoice(connection, rsps, invoice)
    _fortnox_holds_invoices(rsps, {**remote, "Cancelled": True})
    assert sync.import_record(connection, "invoice", "1") == "updated"
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def test_invoice_line_changed_in_fortnox(connection, rsps, invoice):
    remote = _exported_invoice(connection, rsps, invoice)
    rows = remote["InvoiceRows"]
    _fortnox_holds_invoices(rsps, {**remote, "InvoiceRows": [
        {**rows[0], "DeliveredQuantity": "14"}, rows[1]]})
    assert sync.import_record(connection, "invoice", "1") == "updated"
    quantities = list(Invoice.objects.get(pk=invoice.pk).lines.values_list("quantity", flat=True))
    assert quantities == [Decimal("14"), Decimal("18")]


def requests_to_token(rsps):
    return [call.request for call in rsps.calls if call.request.url == f"{AUTH}/token"][-1]


def sent_form(request):
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.body))


def test_scheduled_poll_marks_a_revoked_connection(connection, rsps):
    from integrations.providers.fortnox.provider import Fortnox

    # The company withdrew our access: the token is refused, and so is the refresh token.
    rsps.add("GET", re.compile(rf"{re.escape(API)}/.*"), status=401,
             json=error_body(2000311, "Saknar behörighet"))
    rsps.add("POST", f"{AUTH}/token", status=400,
             json={"error": "invalid_grant", "error_description": "Invalid refresh token"})
    summary = Fortnox.poll_all()
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert "connect Fortnox again" in summary[connection.pk]["error"]
    assert sent_form(requests_to_token(rsps)) == {"grant_type": "refresh_token",
                                                  "refresh_token": "rt-0"}


def test_schedule_is_declared_and_runs_the_poll_loop(settings):
    from integrations.management.commands.setup_schedules import provider_schedules
    from integrations.providers.base import Schedule
    from integrations.providers.fortnox.provider import Fortnox

    settings.FORTNOX_IMPORT_MINUTES = 45
    assert Fortnox.schedules() == [Schedule("sync: Fortnox import", 45, "poll_all")]
    assert provider_schedules()["sync: Fortnox import"] == (
        "integrations.tasks.run_provider_schedule", ("fortnox", "poll_all"), 45)
