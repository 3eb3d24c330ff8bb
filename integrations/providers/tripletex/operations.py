"""What the engine runs for Tripletex (the `operations` of its provider class).

    customer.upsert   linked (then updated), found by organization number then e-mail, or
                      created (POST /customer)
    order.create      customer + products (income account and VAT type from the mappings),
                      POST /order with its lines; after an unknown outcome our orders of the
                      customer in the order date's range are listed and `reference` compared
    invoice.create    PUT /order/{id}/:invoice (Tripletex numbers the invoice); after an
                      unknown outcome the invoice is found through the order

No request idempotency keys exist (fact sheet §6), so every create that may have gone
through is searched for before it is sent again; links are unique both ways. For an order and
its invoice our local record is the contract (local id = the contract's id).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.errors import PermanentError
from integrations.links import find_link, local_record, store_link
from integrations.mappings import blocked_error, category_mappings, mapping_problems
from integrations.models import AccountingSettings
from integrations.providers.base import OperationResult
from integrations.providers.tripletex import mappers
from integrations.providers.tripletex.client import TripletexClient

KEY = "tripletex"
CUSTOMER_FIELDS = "id,version,name,customerNumber,organizationNumber,email"


def defaults_for(organization):
    row, _ = AccountingSettings.objects.get_or_create(organization=organization, provider=KEY)
    return row


def web_url(kind, remote_id):
    return f"{settings.TRIPLETEX_WEB_URL}/{kind}/{remote_id}" if remote_id else ""


def _contract(job):
    from contracts.models import Contract

    return local_record(Contract.objects.select_related("customer", "car"), job.organization,
                        job.local_id, label="contract")


def customer_reference(customer):
    from integrations.engine.jobs import external_reference

    return external_reference("customer", customer.pk, organization=customer.organization)


# -- customers -------------------------------------------------------------------------------
def _customer_result(row):
    return OperationResult(remote_id=str(row["id"]),
                           remote_number=str(row.get("customerNumber") or ""),
                           remote_url=web_url("customer", row["id"]))


def find_customer_row(client, customer):
    """By organization number (searchable in Tripletex), then by e-mail, compared exactly."""
    rows = []
    digits = "".join(ch for ch in customer.org_number or "" if ch.isdigit())
    if customer.kind == "company" and digits:
        rows = client.values("/customer", {"organizationNumber": digits,
                                           "fields": CUSTOMER_FIELDS})
    if not mappers.match_customer(customer, rows) and customer.email:
        rows += client.values("/customer", {"email": customer.email.strip(),
                                            "fields": CUSTOMER_FIELDS})
    return mappers.match_customer(customer, rows)


def upsert_customer(provider, customer, *, link_in_passing=True):
    client = TripletexClient(provider)
    body = mappers.customer_payload(
        customer, payment_terms_days=defaults_for(customer.organization).payment_terms_days)
    link = find_link(provider.connection, "customer", customer.pk)
    row = None
    if link is not None:
        row = client.get_value(f"/customer/{link.remote_id}", {"fields": CUSTOMER_FIELDS})
    row = row or find_customer_row(client, customer)
    if row is None:
        row = client.post_value("/customer", body)
    elif any(row.get(k) not in (None, body[k]) for k in ("name", "email") if k in body):
        row = client.put_value(f"/customer/{row['id']}",
                               {"id": row["id"], "version": row.get("version"),
                                "name": body["name"], **({"email": body["email"]}
                                                         if "email" in body else {})})
    if link_in_passing:
        store_link(provider.connection, "customer", customer.pk, row["id"],
                   remote_number=row.get("customerNumber") or "",
                   remote_url=web_url("customer", row["id"]))
    return row


def perform_customer(provider, job):
    from accounting.models import Customer

    customer = local_record(Customer, job.organization, job.local_id, label="customer")
    return _customer_result(upsert_customer(provider, customer, link_in_passing=False))


def find_customer(provider, job):
    from accounting.models import Customer

    customer = local_record(Customer, job.organization, job.local_id, label="customer")
    row = find_customer_row(TripletexClient(provider), customer)
    return _customer_result(row) if row else None


# -- products ----------------------------------------------------------------------------------
def ensure_product(client, spec):
    for row in client.values("/product", {"productNumber": spec.number,
                                          "fields": "id,version,number,name,account,vatType"}):
        if row.get("number") == spec.number:
            update = mappers.product_update(row, spec)
            if update:
                client.put_value(f"/product/{row['id']}", update)
            return row["id"]
    return client.post_value("/product", spec.payload())["id"]


def remote_ids(client, accounts, vats):
    """({category: account id}, {category: vatType id}) from the mapped numbers; raises a
    PermanentError (with the fix link) for a number Tripletex does not have."""
    from integrations.admin_links import mapping_fix_url

    account_rows = client.values("/ledger/account", {
        "number": ",".join(sorted(set(accounts.values()))), "fields": "id,number"})
    vat_rows = client.values("/ledger/vatType", {"fields": "id,number"})
    by_account = {str(r.get("number")): r["id"] for r in account_rows}
    by_vat = {str(r.get("number")): r["id"] for r in vat_rows}
    def fix(category, kind):
        return mapping_fix_url(organization=client.connection.organization, provider=KEY,
                               category=category, kind=kind)

    account_ids, vat_ids = {}, {}
    for category, number in accounts.items():
        if number not in by_account:
            raise PermanentError(f"Account {number} (mapped for '{category}') does not exist "
                                 f"in Tripletex. Fix it at {fix(category, 'account')}")
        account_ids[category] = by_account[number]
    for category, number in vats.items():
        if number not in by_vat:
            raise PermanentError(f"VAT type {number} (mapped for '{category}') does not exist "
                                 f"in Tripletex. Fix it at {fix(category, 'vat')}")
        vat_ids[category] = by_vat[number]
    return account_ids, vat_ids


# -- the order -----------------------------------------------------------------------------------
def _order_result(row):
    return OperationResult(remote_id=str(row["id"]), remote_number=str(row.get("number") or ""),
                           remote_url=web_url("order", row["id"]),
                           data={"number": row.get("number")})


def perform_order(provider, job):
    from contracts.models import LineCategory

    contract = _contract(job)
    lines = list(contract.lines.all())
    if not lines:
        raise PermanentError(f"Contract {contract.number} has no lines to send.")
    categories = sorted({line.category for line in lines})
    accounts, vats = category_mappings(job.organization, KEY, categories)
    problems = mapping_problems(job.organization, KEY, categories,
                                labels=dict(LineCategory.choices), mappings=(accounts, vats))
    if problems:
        raise blocked_error(problems)
    client = TripletexClient(provider)
    account_ids, vat_ids = remote_ids(client, accounts, vats)
    customer = upsert_customer(provider, contract.customer)
    specs = mappers.products_for_contract(contract, lines, account_ids=account_ids,
                                          vats=vat_ids, category_labels=dict(LineCategory.choices))
    product_ids = {category: ensure_product(client, spec) for category, spec in specs.items()}
    defaults = defaults_for(job.organization)
    body = mappers.order_payload(contract, lines, customer_id=customer["id"],
                                 product_ids=product_ids, vats=vat_ids,
                                 reference=job.external_reference,
                                 order_date=contract.signed_on or timezone.localdate(),
                                 payment_terms_days=defaults.payment_terms_days)
    return _order_result(client.post_value("/order", body))


def find_order(provider, job):
    """After an unknown outcome: the orders dated around the contract (both dates are required,
    gotcha 5), matched on our reference exactly."""
    contract = _contract(job)
    day = contract.signed_on or timezone.localdate()
    since = min(day, timezone.localdate(), job.created_at.date()) - timedelta(days=1)
    until = max(day, timezone.localdate()) + timedelta(days=2)
    rows = TripletexClient(provider).values("/order", {
        "orderDateFrom": since.isoformat(), "orderDateTo": until.isoformat(),
        "fields": "id,number,reference,isClosed"})
    for row in rows:
        if row.get("reference") == job.external_reference:
            return _order_result(row)
    return None


def order_done(provider, job, result):
    from contracts.services import apply_accounting_update

    apply_accounting_update(organization=job.organization, contract_id=job.local_id,
                            state="order", order_number=result.remote_number)


# -- the invoice ---------------------------------------------------------------------------------
def _invoice_result(invoice):
    return OperationResult(remote_id=str(invoice["id"]),
                           remote_number=str(invoice.get("invoiceNumber") or ""),
                           remote_url=web_url("invoice", invoice["id"]),
                           data={"invoice": {k: invoice.get(k) for k in (
                               "id", "invoiceNumber", "invoiceDueDate", "amount",
                               "amountOutstanding")}})


def _order_id(provider, job):
    link = find_link(provider.connection, "order", job.local_id)
    if link is None:
        raise PermanentError("The order has not been created in Tripletex yet; send the "
                             "contract first.")
    return link.remote_id


def perform_invoice(provider, job):
    order_id = _order_id(provider, job)
    client = TripletexClient(provider)
    defaults = defaults_for(job.organization)
    params = {"invoiceDate": timezone.localdate().isoformat(),
              "sendToCustomer": "false" if defaults.invoice_delivery_channel == "none"
              else "true"}
    send_type = {"email": "EMAIL", "ehf": "EHF", "print": "PAPER"}.get(
        defaults.invoice_delivery_channel)
    if send_type:
        params["sendType"] = send_type
    invoice = client.put_value(f"/order/{order_id}/:invoice", params=params)
    full = client.get_value(f"/invoice/{invoice['id']}", {"fields": mappers.INVOICE_FIELDS})
    return _invoice_result(full or invoice)


def find_invoice(provider, job):
    """An invoiced order is closed and cannot be invoiced again (gotcha 1): find its invoice
    among the invoices of the order's dates."""
    link = find_link(provider.connection, "order", job.local_id)
    if link is None:
        return None
    client = TripletexClient(provider)
    order = client.get_value(f"/order/{link.remote_id}", {"fields": "id,orderDate,isClosed"})
    if not order or not order.get("isClosed"):
        return None
    since = (job.created_at.date() - timedelta(days=1)).isoformat()
    until = (timezone.localdate() + timedelta(days=2)).isoformat()
    rows = client.values("/invoice", {"invoiceDateFrom": since, "invoiceDateTo": until,
                                      "fields": mappers.INVOICE_FIELDS})
    for row in rows:
        if any(str(o.get("id")) == str(link.remote_id) for o in row.get("orders") or []):
            return _invoice_result(row)
    return None


def invoice_done(provider, job, result):
    from contracts.services import apply_accounting_update

    state = mappers.payment_state(result.data.get("invoice") or {}, today=timezone.localdate())
    fields = state.contract_fields()
    apply_accounting_update(organization=job.organization, contract_id=job.local_id,
                            state="invoiced", **fields)
    # Tripletex sends the invoice as it makes it: it is sent (or already paid) at once.
    apply_accounting_update(organization=job.organization, contract_id=job.local_id,
                            state=state.state)
