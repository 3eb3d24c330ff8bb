"""Customers and invoices out to Visma eAccounting, against the fake Visma of fake.py (which
validates every body against the published spec with unknown properties forbidden)."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from integrations.engine import run_job
from integrations.engine.runner import Outcome
from integrations.links import find_link
from integrations.models import SyncJob, SyncLogEntry
from tests.integrations.visma_eaccounting.conftest import run

pytestmark = pytest.mark.django_db


def test_a_new_customer_is_created_with_our_number_and_linked(visma, connection, customer):
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == Outcome.DONE, job.last_error
    [remote] = visma.customers.values()
    assert remote["CustomerNumber"] == f"H{customer.pk}"
    assert remote["CorporateIdentityNumber"] == "769600-1234"
    assert remote["TermsOfPaymentId"] == visma.terms_id
    link = find_link(connection, "customer", customer.pk)
    assert link.remote_id == remote["Id"] and link.remote_number == f"H{customer.pk}"


@pytest.mark.parametrize("field, value", [
    ("CorporateIdentityNumber", "7696001234"),  # typed without the dash in Visma
    ("EmailAddress", "Styrelsen@Solrosen.se"),
    ("Telephone", "08-555 123"),
])
def test_an_existing_visma_customer_is_matched_not_created(visma, connection, customer, field,
                                                           value):
    existing = {"Id": str(uuid.uuid4()), "CustomerNumber": "1007", "Name": "BRF Solrosen",
                "ChangedUtc": timezone.now().isoformat(), "IsPrivatePerson": False,
                "InvoicePostalCode": "11345", "InvoiceCity": "Stockholm", "IsActive": True,
                "TermsOfPaymentId": visma.terms_id, field: value}
    # Visma's own filter compares the raw text; ours matches on what it means.
    visma.customers[existing["Id"]] = {**existing, "CorporateIdentityNumber": "769600-1234"} \
        if field == "CorporateIdentityNumber" else existing
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == Outcome.DONE, job.last_error
    assert list(visma.customers) == [existing["Id"]], "a second customer was created"
    assert visma.customers[existing["Id"]]["CustomerNumber"] == "1007", "their number is kept"
    assert visma.customers[existing["Id"]]["Name"] == "Brf Solrosen"
    assert find_link(connection, "customer", customer.pk).remote_id == existing["Id"]


def test_our_number_held_by_somebody_else_is_refused_with_what_to_do(visma, connection,
                                                                    customer):
    other = {"Id": str(uuid.uuid4()), "CustomerNumber": f"H{customer.pk}", "Name": "Annan AB",
             "ChangedUtc": timezone.now().isoformat()}
    visma.customers[other["Id"]] = other
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == Outcome.FAILED
    assert f"H{customer.pk}" in job.last_error and "'Annan AB'" in job.last_error
    assert "Links" in job.last_error
    assert visma.customers == {other["Id"]: other}, "somebody else's customer was changed"


def test_an_invoice_goes_as_a_draft_converted_with_its_expected_totals(visma, connection,
                                                                       invoice):
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == Outcome.DONE, job.last_error
    [remote] = visma.invoices.values()
    assert remote["OurReference"] == job.external_reference
    assert visma.drafts == {}
    # 8 x 650 + 3 x 120.50 less 10 % = 5200 + 325.35; VAT 25 % of 5525.35
    [guard] = visma.convert_bodies
    assert guard == {"TotalVatAmountInvoiceCurrency": 1381.34, "Rows": [
        {"LineNumber": 1, "TotalAmountNoVatInvoiceCurrency": 5200.0},
        {"LineNumber": 2, "TotalAmountNoVatInvoiceCurrency": 325.35}]}
    numbers = sorted(a["Number"] for a in visma.articles.values())
    assert numbers == ["HUB-LABOR", "HUB-MATERIAL"]
    by_number = {a["Number"]: a for a in visma.articles.values()}
    assert by_number["HUB-LABOR"]["CodingId"] == visma.codings[0]["Id"]  # 3041 at 25 %
    assert by_number["HUB-MATERIAL"]["CodingId"] == visma.codings[1]["Id"]  # 3001 at 25 %
    invoice.refresh_from_db()
    assert invoice.number == "1" and invoice.status == "invoiced"
    assert str(invoice.remaining_amount) == "6906.69"
    assert find_link(connection, "customer", invoice.customer_id) is not None


def test_a_vat_drift_is_refused_by_the_guard_and_links_the_mappings(visma, connection, invoice):
    visma.vat_rate = 12  # the articles' coding says 12 %, our mapping 25 %
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == Outcome.FAILED
    assert visma.invoices == {} and visma.drafts == {}, "the refused draft was left behind"
    assert "Check the vat mapping" in job.last_error
    assert "/admin/integrations/vatmapping/" in job.last_error
    entry = SyncLogEntry.objects.filter(job=job).latest("id")
    assert "TotalVatAmountInvoiceCurrency" in entry.raw_response  # Visma's body, verbatim


@pytest.mark.parametrize("lost", ["draft", "convert"])
def test_a_lost_answer_gives_one_invoice(visma, connection, invoice, lost):
    from integrations.engine import enqueue_job

    job, _ = enqueue_job(connection=connection, operation="invoice.export",
                         record_type="invoice", local_id=invoice.pk)
    visma.lose_next.add(lost)
    assert run_job(job.pk) == Outcome.UNKNOWN
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert run_job(job.pk) == Outcome.ADOPTED
    assert len(visma.invoices) == 1 and visma.drafts == {}
    posts = [p for m, p, _ in visma.sent if m == "POST" and p.endswith("drafts")]
    assert len(posts) == 1, "the draft was posted again"
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE
    assert find_link(connection, "invoice", invoice.pk).remote_id == next(iter(visma.invoices))


def test_a_missing_mapping_blocks_before_anything_is_sent(visma, connection, invoice):
    from integrations.models import VatMapping

    VatMapping.objects.filter(category="material").delete()
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == Outcome.FAILED
    assert "vatmapping/add/?provider=visma_eaccounting&category=material" in job.last_error
    assert visma.sent == []


def test_a_rate_limited_answer_waits_as_visma_says(visma, connection, customer):
    import re

    from tests.integrations.visma_eaccounting import fake

    visma.rsps.replace("GET", re.compile(rf"{re.escape(fake.API)}/v2/customers(\?.*)?$"),
                       status=429, json={
                           "ErrorCode": 4010, "ErrorId": "e1",
                           "DeveloperErrorMessage": "API calls quota exceeded! maximum admitted "
                                                    "600 per Minute. Try again in 42 seconds."})
    before = timezone.now()
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == Outcome.RETRY
    assert job.next_attempt_at >= before + timedelta(seconds=42)
    assert "600 requests per minute per endpoint" in job.last_error
    assert "ErrorId e1" in job.last_error


def test_a_refused_customer_field_links_the_customer_page(visma, connection, customer):
    import re

    from tests.integrations.visma_eaccounting import fake

    visma.rsps.replace("POST", re.compile(rf"{re.escape(fake.API)}/v2/customers(\?.*)?$"),
                       status=400, json={
                           "ErrorCode": 4025, "ErrorId": "e2",
                           "DeveloperErrorMessage": "InvalidVatNumber - not valid in VIES.",
                           "Errors": [{"Field": "CorporateIdentityNumber", "ErrorCode": 4025,
                                       "Message": "Not valid"}]})
    outcome, job = run(connection, "customer.export", customer)
    assert outcome == Outcome.FAILED
    assert "organization number" in job.last_error
    assert f"/customers/{customer.pk}/" in job.last_error
    entry = SyncLogEntry.objects.filter(job=job).latest("id")
    assert '"ErrorCode": 4025' in entry.raw_response and "e2" in entry.raw_response


def test_a_locked_period_names_the_date(visma, connection, invoice):
    import re

    from tests.integrations.visma_eaccounting import fake

    visma.rsps.replace("POST", re.compile(
        rf"{re.escape(fake.API)}/v2/customerinvoicedrafts(\?.*)?$"), status=400, json={
        "ErrorCode": 4026, "ErrorId": "e3",
        "DeveloperErrorMessage": "VoucherDateInLockedPeriod"})
    outcome, job = run(connection, "invoice.export", invoice)
    assert outcome == Outcome.FAILED
    assert "locked period" in job.last_error and "2026-11-20" in job.last_error
