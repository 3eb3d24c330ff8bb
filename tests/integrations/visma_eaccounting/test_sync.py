"""Customers and invoices back from Visma eAccounting (sync.py) against the fake: every page,
the watermark from Visma's clock less the overlap, what the overlap lists again skipped, payment
status on our invoice, the command that starts it by hand, and webhooks that wake it."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from integrations.inbound import read_cursor
from integrations.models import Link
from integrations.providers import registry
from integrations.providers.visma_eaccounting import sync, webhooks
from integrations.webhooks import new_secret
from tests.integrations.test_integrations_api_fake_provider import run_queued
from tests.integrations.visma_eaccounting import fake
from tests.integrations.visma_eaccounting.conftest import run

pytestmark = pytest.mark.django_db


def visma_customer(visma, name, **fields):
    row = {"Id": str(uuid.uuid4()), "Name": name, "IsPrivatePerson": False,
           "InvoicePostalCode": "11345", "InvoiceCity": "Stockholm", "IsActive": True,
           "ChangedUtc": timezone.now().isoformat(), **fields}
    visma.customers[row["Id"]] = row
    return row


def test_every_page_comes_in_and_the_watermark_is_vismas_clock_less_the_overlap(
        visma, connection, frost, monkeypatch):
    from accounting.models import Customer
    from integrations.providers.visma_eaccounting import client as client_module

    monkeypatch.setattr(client_module, "PAGE_SIZE", 2)
    for n in range(5):
        visma_customer(visma, f"Kund {n}")
    result = registry.for_connection(connection).poll(record_types=["customer"])
    assert result["customer"]["created"] == 5
    assert Customer.objects.for_org(frost).count() == 5
    pages = [c.request.url for c in visma.rsps.calls if "/v2/customers" in c.request.url]
    assert len(pages) == 3  # 2 + 2 + 1
    cursor = datetime.fromisoformat(read_cursor(connection, "customer"))
    assert timedelta(minutes=1) < timezone.now() - cursor < timedelta(minutes=3)


def test_the_next_poll_asks_from_the_watermark_and_skips_what_it_applied(visma, connection):
    visma_customer(visma, "Kund A")
    provider = registry.for_connection(connection)
    provider.poll(record_types=["customer"])
    before = len(visma.rsps.calls)
    again = provider.poll(record_types=["customer"])
    assert again["customer"] == {"created": 0, "updated": 0, "conflicts": 0, "unchanged": 1}
    [call] = visma.rsps.calls[before:]
    assert re.search(r"%24filter=ChangedUtc\+gt\+\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d\dZ",
                     call.request.url)


def test_a_customer_changed_in_visma_updates_ours(visma, connection, customer):
    from accounting.models import Customer

    assert run(connection, "customer.export", customer)[0] == "done"
    remote_id = Link.objects.get(record_type="customer").remote_id
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        visma.customers[remote_id].update({"InvoiceCity": "Solna",
                                           "ChangedUtc": timezone.now().isoformat()})
        result = registry.for_connection(connection).poll(
            record_types=["customer"], since=timezone.now() - timedelta(hours=1))
    assert result["customer"]["updated"] == 1
    assert Customer.objects.get(pk=customer.pk).city == "Solna"


def test_a_conflict_keeps_our_later_write_and_logs_vismas(visma, connection, customer):
    from accounting.models import Customer
    from integrations.models import SyncJob, SyncLogEntry

    assert run(connection, "customer.export", customer)[0] == "done"
    remote_id = Link.objects.get(record_type="customer").remote_id
    visma.customers[remote_id].update({"Telephone": "08-111 11 11",
                                       "ChangedUtc": (timezone.now() - timedelta(minutes=5))
                                       .isoformat()})
    Customer.objects.filter(pk=customer.pk).update(phone="08-999 99 99",
                                                   updated_at=timezone.now())
    result = registry.for_connection(connection).poll(
        record_types=["customer"], since=timezone.now() - timedelta(hours=1))
    assert result["customer"]["conflicts"] == 1
    assert Customer.objects.get(pk=customer.pk).phone == "08-999 99 99"
    entry = SyncLogEntry.objects.get(status="conflict")
    assert entry.details["lost"] == {"phone": "08-111 11 11"} and entry.details["winner"] == \
        "local"
    assert SyncJob.objects.filter(operation="customer.export").count() == 2  # ours goes out


def test_payment_status_reaches_our_invoice(visma, connection, invoice):
    from accounting.models import Invoice

    assert run(connection, "invoice.export", invoice)[0] == "done"
    remote_id = Link.objects.get(record_type="invoice").remote_id
    provider = registry.for_connection(connection)
    visma.pay(remote_id, 1000)
    provider.poll(record_types=["invoice"], since=timezone.now() - timedelta(hours=1))
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.paid_amount) == ("partly_paid", Decimal("1000.00"))
    visma.invoices[remote_id]["PaymentStatus"] = 2  # Visma says overdue
    visma.invoices[remote_id]["ModifiedUtc"] = timezone.now().isoformat()
    provider.poll(record_types=["invoice"], since=timezone.now() - timedelta(hours=1))
    assert Invoice.objects.get(pk=invoice.pk).status == "overdue"
    visma.pay(remote_id, Decimal(str(visma.invoices[remote_id]["RemainingAmount"])))
    provider.poll(record_types=["invoice"], since=timezone.now() - timedelta(hours=1))
    local = Invoice.objects.get(pk=invoice.pk)
    assert (local.status, local.remaining_amount) == ("paid", Decimal("0.00"))
    assert local.final_pay_date == timezone.localdate()


def test_resync_by_its_alias_imports_for_one_organization(visma, connection, frost):
    visma_customer(visma, "Kund B")
    out = StringIO()
    call_command("resync", "visma", "--org", frost.slug, "--type", "customer", stdout=out)
    assert "customer" in out.getvalue()
    assert Link.objects.filter(connection=connection, record_type="customer").count() == 1


def test_the_hourly_schedule_is_a_setting(settings):
    settings.VISMA_EACCOUNTING_IMPORT_MINUTES = 15
    [schedule] = registry.get("visma_eaccounting").schedules()
    assert schedule.minutes == 15 and schedule.hook == "poll_all"


# -- webhooks -----------------------------------------------------------------------------------
def notify(connection, secret, *, entity="Customer", attempt=0, modified=None, signed=None):
    payload = {"Identifier": str(uuid.uuid4()), "VismaCustomerId": connection.remote_tenant_id,
               "Entity": entity, "Action": "Changed", "Url": f"{fake.API}/v2/customers/x",
               "ModifiedUtc": (modified or datetime.now(UTC)).isoformat(),
               "RetryAttempt": attempt}
    return Client().post("/api/webhooks/visma", data=json.dumps(payload),
                         content_type="application/json",
                         HTTP_X_HUB_WEBHOOK_SECRET=secret,
                         HTTP_X_HUB_SIGNATURE=signed or webhooks.signature(secret, payload))


def test_a_notification_at_the_seed_url_wakes_the_import(visma, connection, frost):
    from accounting.models import Customer

    secret = new_secret(connection)
    visma_customer(visma, "Kund C")
    answer = notify(connection, secret)
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    run_queued()
    assert Customer.objects.for_org(frost).filter(name="Kund C").exists()


def test_visma_retries_get_in_and_an_old_capture_does_not(visma, connection):
    secret = new_secret(connection)
    hours_ago = datetime.now(UTC) - timedelta(hours=1)
    assert notify(connection, secret, modified=hours_ago, attempt=4).status_code == 200
    assert notify(connection, secret, modified=hours_ago, attempt=0).status_code == 400
    # The header alone is not enough: the signature must match too.
    assert notify(connection, secret, signed="bm90LWl0").status_code == 400
    assert notify(connection, "wrong-secret").status_code == 400


def test_sync_imports_only_what_it_knows(visma, connection):
    with pytest.raises(ValueError, match="imports"):
        sync.importer(registry.for_connection(connection), "payslip")
