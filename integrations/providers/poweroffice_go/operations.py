"""What the engine runs for PowerOffice Go (the `operations` of its provider class).

    customer.upsert     match by our reference, org. number, e-mail or phone, else create
    order.create        customer + products, VAT check, POST /SalesOrders/Complete
    invoice.create      POST /SalesOrders/{id}/createAndSendInvoice (202)
    invoice.sent_state  follow GET /SalesOrders/sentState until sent (retried with backoff)

For an order and its invoice our local record is the contract: Links of record type "order"
and "invoice" have the contract's id as local id (PowerOffice Go gives both the same GUID).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.admin_links import mapping_fix_url
from integrations.errors import LocalRateLimitWait, PermanentError, RetryableError
from integrations.links import find_link, local_record, store_link
from integrations.mappings import blocked_error
from integrations.models import AccountingSettings, Link
from integrations.providers.base import OperationResult
from integrations.providers.poweroffice_go import checks, mappers, products
from integrations.providers.poweroffice_go.client import PowerOfficeGoClient

KEY = "poweroffice_go"


# -- local records ---------------------------------------------------------------------------
def _contract(job):
    from contracts.models import Contract

    return local_record(Contract.objects.select_related("customer__organization", "car"),
                        job.organization, job.local_id, label="contract")


def _customer(job):
    from accounting.models import Customer

    return local_record(Customer, job.organization, job.local_id, label="customer")


def defaults_for(organization):
    settings_row, _ = AccountingSettings.objects.get_or_create(organization=organization,
                                                               provider=KEY)
    return settings_row


def customer_reference(customer):
    from integrations.engine.jobs import external_reference

    return external_reference("customer", customer.pk, organization=customer.organization)


# -- customers -------------------------------------------------------------------------------
def _customer_result(row):
    return OperationResult(remote_id=str(row["Id"]), remote_number=str(row.get("Number") or ""))


def find_customer_by_reference(client, reference):
    rows = client.list("/Customers", {"externalImportReference": reference})
    for row in rows:  # compare exactly: never trust a filter to be an exact match
        if row.get("ExternalImportReference") == reference:
            return row
    return None


# Link.data key: the digest of the customer body last sent to (or read back from) the linked
# customer. An order skips GET /Customers/{id} (and the PATCH) while it matches.
SENT_DIGEST = "sent_digest"
# Marks a row `upsert_customer` took from the link instead of reading it from Go.
REMEMBERED = "_remembered"


def upsert_customer(provider, customer, *, reference, link_in_passing=True):
    """The PowerOffice Go customer for a local one: already linked (then updated), found by
    our reference, matched by org. number / e-mail / phone, or created. Returns the row.

    Linked here only when it is done in passing (for an order); a customer job's own link is
    the engine's to store, after it has checked that the job is still this worker's. In passing,
    a linked customer whose body is unchanged since we last made it true in Go is not read at
    all: the row returned is then only {"Id", "Number"} from the link (`remembered_customer`)."""
    client = PowerOfficeGoClient(provider)
    body = mappers.customer_payload(customer, reference=reference)
    link = find_link(provider.connection, "customer", customer.pk)
    if link_in_passing:
        row = remembered_customer(link, body)
        if row is not None:
            return row
    row = None
    if link is not None:
        # 404: deleted in Go since; found again by reference or match below, else created.
        response = client.request("GET", f"/Customers/{link.remote_id}",
                                  expected=(200, 204, 404))
        if response.status_code == 200 and response.content:
            row = response.json()
    row = row or find_customer_by_reference(client, reference)
    if row is None:
        candidates = client.list("/Customers", {
            "Fields": "Id,Number,Name,OrganizationNumber,EmailAddress,PhoneNumber,"
                      "ExternalImportReference"})
        row = mappers.match_customer(customer, candidates)
    if row is None:
        row = client.post_json("/Customers", body).json()
    else:
        ops = [{"op": "replace", "path": f"/{field}", "value": value}
               for field, value in body.items()
               if field not in ("ExternalImportReference", "MailAddress", "IsPerson")
               and row.get(field) not in (None, value)]
        if ops:
            client.patch(f"/Customers/{row['Id']}", ops)
    if link_in_passing:
        kept = link.data if link is not None and isinstance(link.data, dict) else {}
        data = {**kept, SENT_DIGEST: mappers.customer_payload_digest(row["Id"], body)}
        store_link(provider.connection, "customer", customer.pk, row["Id"],
                   remote_number=row.get("Number"), data=data)
    return row


def remembered_customer(link, body):
    """{"Id", "Number", REMEMBERED: True} of the linked customer when our body for it is the
    one we last made true there; None when it must be read (no link, no digest, changed)."""
    if link is None or not isinstance(link.data, dict):
        return None
    if link.data.get(SENT_DIGEST) != mappers.customer_payload_digest(link.remote_id, body):
        return None
    return {"Id": link.remote_id, "Number": link.remote_number, REMEMBERED: True}


def forget_customer_digest(connection, customer_pk):
    """The next order reads the linked customer again (it may be gone from Go)."""
    link = find_link(connection, "customer", customer_pk)
    if link is None or not isinstance(link.data, dict) or SENT_DIGEST not in link.data:
        return
    store_link(connection, "customer", customer_pk, link.remote_id,
               remote_number=link.remote_number, remote_url=link.remote_url,
               data={k: v for k, v in link.data.items() if k != SENT_DIGEST})


def perform_customer(provider, job):
    customer = _customer(job)
    return _customer_result(upsert_customer(provider, customer, reference=job.external_reference,
                                            link_in_passing=False))


def find_customer(provider, job):
    row = find_customer_by_reference(PowerOfficeGoClient(provider), job.external_reference)
    return _customer_result(row) if row else None


# -- products (products.py) -------------------------------------------------------------------
def ensure_product(client, spec):
    """The id of a product with this code, remembered, found, corrected or created so that its
    sales account is the mapped one (PowerOffice Go takes VAT and account from the product)."""
    return products.ensure_products(client, {spec.code: spec})[0][spec.code]


# -- the order -------------------------------------------------------------------------------
def _order_result(row):
    return OperationResult(remote_id=str(row["Id"]),
                           remote_number=str(row.get("SalesOrderNo") or ""),
                           remote_url=order_url(row["Id"]),
                           data={"SalesOrderNo": row.get("SalesOrderNo")})


def order_url(remote_id):
    return f"{settings.POWEROFFICE_GO_WEB_URL}/salesorders/{remote_id}"


def invoice_url(remote_id):
    return f"{settings.POWEROFFICE_GO_WEB_URL}/invoices/{remote_id}"


def perform_order(provider, job):
    from contracts.models import LineCategory

    contract = _contract(job)
    lines = list(contract.lines.all())
    if not lines:
        raise PermanentError(f"Contract {contract.number} has no lines to send.")
    categories = sorted({line.category for line in lines})
    problems, accounts, vats = checks.contract_mapping_problems(job.organization, categories)
    if problems:
        raise blocked_error(problems)
    client = PowerOfficeGoClient(provider)
    mismatches = checks.account_vat_mismatches(client, accounts, vats)
    if mismatches:
        category, account, expected, actual = mismatches[0]
        raise PermanentError(
            checks.vat_mismatch_message(category, account, expected, actual) + " Fix it at "
            + mapping_fix_url(organization=job.organization, provider=KEY, category=category,
                              kind="vat"))
    customer = contract.customer
    customer_row = upsert_customer(provider, customer, reference=customer_reference(customer))
    labels = dict(LineCategory.choices)
    specs = mappers.products_for_contract(contract, lines, accounts=accounts,
                                          category_labels=labels)
    product_ids, remembered_products = products.ensure_products(client, specs)
    body = mappers.sales_order_payload(
        contract, lines, customer_id=customer_row["Id"], product_ids=product_ids,
        reference=job.external_reference, defaults=defaults_for(job.organization),
        order_date=contract.signed_on or timezone.localdate())
    try:
        return _order_result(client.post_json("/SalesOrders/Complete", body).json())
    except LocalRateLimitWait:  # not sent: our own limiter gives the worker back
        raise
    except Exception:
        # What was taken from memory may no longer exist in Go (404 "Customer with id = ...
        # not found", a product deleted), so the retry reads it again.
        if customer_row.get(REMEMBERED):
            forget_customer_digest(provider.connection, customer.pk)
        products.forget(remembered_products)
        raise


def find_order(provider, job):
    """After an unknown outcome: our orders changed since just before the job was created,
    matched on our reference exactly (GET /SalesOrders has no reference filter)."""
    client = PowerOfficeGoClient(provider)
    since = (job.created_at - timedelta(minutes=5)).isoformat()
    rows = client.list("/SalesOrders", {"lastChangedDateTimeOffsetGreaterThan": since,
                                        "onlyCreatedByCurrentIntegration": "true"})
    for row in rows:
        if row.get("ExternalImportReference") == job.external_reference:
            return _order_result(row)
    return None


def order_done(provider, job, result):
    from contracts.services import apply_accounting_update

    apply_accounting_update(organization=job.organization, contract_id=job.local_id,
                            state="order", order_number=result.remote_number)


# -- the invoice -----------------------------------------------------------------------------
def _order_id(provider, job):
    link = find_link(provider.connection, "order", job.local_id)
    if link is None:
        raise PermanentError("The order has not been created in PowerOffice Go yet; send the "
                             "contract first.")
    return link.remote_id


def perform_invoice(provider, job):
    contract = _contract(job)
    order_id = _order_id(provider, job)
    defaults = defaults_for(job.organization)
    body = mappers.send_invoice_payload(delivery_channel=defaults.invoice_delivery_channel,
                                        email=contract.customer.email)
    PowerOfficeGoClient(provider).post_json(f"/SalesOrders/{order_id}/createAndSendInvoice", body,
                                            expected=(200, 202))
    return OperationResult(remote_id=order_id, remote_url=invoice_url(order_id))


def find_invoice(provider, job):
    """The outgoing invoice has the order's GUID: if it exists, the send went through."""
    link = find_link(provider.connection, "order", job.local_id)
    if link is None:
        return None
    client = PowerOfficeGoClient(provider)
    response = client.request("GET", f"/OutgoingInvoices/{link.remote_id}",
                              expected=(200, 204, 404))
    if response.status_code != 200:
        return None
    return OperationResult(remote_id=link.remote_id, remote_url=invoice_url(link.remote_id),
                           remote_number=str(response.json().get("InvoiceNo") or ""))


def invoice_done(provider, job, result):
    from contracts.services import apply_accounting_update
    from integrations.engine import enqueue_job

    apply_accounting_update(organization=job.organization, contract_id=job.local_id,
                            state="invoiced", invoice_number=result.remote_number or "")
    enqueue_job(connection=provider.connection, operation="invoice.sent_state",
                record_type="invoice", local_id=job.local_id, priority=job.priority,
                params={"invoice_id": result.remote_id})


def perform_sent_state(provider, job):
    client = PowerOfficeGoClient(provider)
    invoice_id = job.params["invoice_id"]
    states = client.get_json("/SalesOrders/sentState", {"id": invoice_id}) or []
    state = next((s for s in states if str(s.get("Id")) == str(invoice_id)), None)
    if state and state.get("LastErrorMessage"):
        raise PermanentError(
            f"PowerOffice Go made invoice {state.get('InvoiceNo') or ''} but could not deliver "
            f"it: {state['LastErrorMessage']}. Fix the customer's delivery details in "
            f"PowerOffice Go and send it from there.")
    if not state or state.get("IsInvoiceBeingProcessed") or not state.get("SentDateTimeOffset"):
        raise RetryableError("PowerOffice Go is still sending the invoice", retry_after=2)
    invoice = client.get_json(f"/OutgoingInvoices/{invoice_id}") or {}
    return OperationResult(remote_id=invoice_id, remote_number=str(state.get("InvoiceNo") or ""),
                           data={"sent_state": state, "invoice": _invoice_fields(invoice)})


INVOICE_FIELDS = ("Id", "InvoiceNo", "Balance", "TotalAmount", "TotalPostedAmount", "DueDate",
                  "BalanceLastChangedDateTimeOffset", "CustomMatchingReference", "MatchId")


def _invoice_fields(invoice):
    return {k: invoice.get(k) for k in INVOICE_FIELDS if k in invoice}


def sent_state_done(provider, job, result):
    invoice = result.data.get("invoice") or {}
    apply_invoice(provider.connection, job.local_id, {**invoice, "InvoiceNo": result.remote_number
                                                      or invoice.get("InvoiceNo")})
    Link.objects.filter(connection=provider.connection, record_type="invoice",
                        local_id=job.local_id).update(remote_number=result.remote_number)


def apply_invoice(connection, contract_id, invoice):
    """Write an OutgoingInvoiceDto's payment state onto the contract. Returns (contract,
    state) or (None, None)."""
    from contracts.services import apply_accounting_update

    state = mappers.payment_state(invoice, today=timezone.localdate())
    contract = apply_accounting_update(organization=connection.organization,
                                       contract_id=contract_id, state=state.state,
                                       **state.contract_fields())
    return contract, state
