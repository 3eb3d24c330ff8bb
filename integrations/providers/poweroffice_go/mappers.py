"""Pure functions between our records and PowerOffice Go's v2 bodies. No database, no HTTP:
records in, dicts out (and back), so tests can check every payload against the published spec.

PowerOffice Go cannot take an account or a VAT code on an order line (fact sheet §8): both come
from the line's product, through the product's standard sales account and that account's VAT
code. So the account mapping per category becomes each product's `StandardSalesAccount`, and
the VAT mapping is a check against the account's VAT code, not something we send.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from integrations.payments import PaymentState  # noqa: F401 (its old home)
from integrations.payments import payment_state as shared_payment_state

# Our line categories -> a product per category (the car is a product of its own).
CATEGORY_PRODUCT_PREFIX = "HUB-"
SERVICE_CATEGORIES = frozenset({"labor"})

# Our delivery channel -> SendInvoiceDeliveryType (PdfByEmail, PdfPrintForDownload, Auto).
DELIVERY_TYPES = {
    "email": "PdfByEmail",
    "ehf": "Auto",  # Go picks EHF when the customer can receive it, else e-mail
    "print": "PdfPrintForDownload",
    "none": "PdfPrintForDownload",  # posted, nothing delivered
}


def _money(value):
    return float(Decimal(value).quantize(Decimal("0.01")))


def _qty(value):
    return float(Decimal(value))


# -- customers -------------------------------------------------------------------------------
def customer_payload(customer, *, reference):
    """CustomerPostDto for a local customer. `reference` (≤ 50 chars, unique among customers)
    lets an unknown outcome be looked up."""
    body = {
        "ExternalImportReference": reference[:50],
        "EmailAddress": customer.email or None,
        "InvoiceEmailAddress": customer.email or None,
        "PhoneNumber": customer.phone or None,
        "MailAddress": {
            "AddressLine1": customer.street or None,
            "ZipCode": customer.postal_code or None,
            "City": customer.city or None,
            "CountryCode": customer.country or None,
        },
    }
    if not (customer.postal_code and customer.city):
        del body["MailAddress"]  # Go requires both ZipCode and City on an address
    first, _, last = customer.name.strip().rpartition(" ")
    if customer.kind == "company" or not first:
        # A person known by one name only has no first/last split, which Go requires.
        body.update({"IsPerson": False, "Name": customer.name,
                     "OrganizationNumber": _digits(customer.org_number) or None})
    else:
        body.update({"IsPerson": True, "Name": customer.name, "FirstName": first,
                     "LastName": last})
    return _without_none(body)


def customer_payload_digest(remote_id, body):
    """A fingerprint of the customer body we last made true for one remote customer: equal
    digests mean there is nothing new to send to it."""
    text = json.dumps([str(remote_id), body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _digits(value):
    return "".join(ch for ch in (value or "") if ch.isdigit())


def _norm_phone(value):
    digits = _digits(value)
    return digits[-8:] if len(digits) >= 8 else digits


def match_customer(customer, rows):
    """The remote customer to reuse for a local one: by organization number (B2B), else
    e-mail, else phone; compared exactly after normalising. None when nothing matches, or
    when the match is ambiguous (two candidates: a person must choose, so we create none)."""
    checks = []
    if customer.kind == "company" and _digits(customer.org_number):
        checks.append(("OrganizationNumber", _digits(customer.org_number), _digits))
    if customer.email:
        checks.append(("EmailAddress", customer.email.strip().lower(),
                       lambda v: (v or "").strip().lower()))
    if customer.phone and _norm_phone(customer.phone):
        checks.append(("PhoneNumber", _norm_phone(customer.phone), _norm_phone))
    for field, wanted, norm in checks:
        hits = [row for row in rows if norm(row.get(field)) == wanted]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            return None
    return None


# -- products --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductSpec:
    """A product the order needs, before we know its PowerOffice Go id."""

    code: str
    name: str
    account: int
    product_type: str = "Product"
    unit_price: float | None = None
    # A product of one record of ours (the car): created without a lookup the first time, the
    # intent kept in a link (`products.py`). Not part of the body.
    own: bool = False

    def payload(self):
        body = {"Code": self.code, "Name": self.name, "ProductType": self.product_type,
                "StandardSalesAccount": self.account}
        if self.unit_price is not None:
            body["UnitPrice"] = self.unit_price
        return body


def car_product_code(car):
    return (car.vin or car.registration_number or "").strip().upper()


def car_product_name(car):
    reg = f" ({car.registration_number.upper()})" if car.registration_number else ""
    return f"{car.year or ''} {car.make} {car.model}{reg}".strip()


def category_product_code(category):
    return f"{CATEGORY_PRODUCT_PREFIX}{category.upper()}"


def products_for_contract(contract, lines, *, accounts, category_labels):
    """{category or "car": ProductSpec}: the car as its own product (code = VIN, else the
    registration number), every other category as one product per category."""
    specs = {}
    for line in lines:
        if line.category in specs:
            continue
        if line.category == "car":
            specs["car"] = ProductSpec(
                code=car_product_code(contract.car), name=car_product_name(contract.car),
                account=int(accounts["car"]), unit_price=_money(line.unit_price), own=True)
        else:
            specs[line.category] = ProductSpec(
                code=category_product_code(line.category),
                name=str(category_labels.get(line.category, line.category)),
                account=int(accounts[line.category]),
                product_type="Service" if line.category in SERVICE_CATEGORIES else "Product")
    return specs


def product_account_patch(remote, spec):
    """JSON Patch operations that make a remote product match the mapping (its sales account,
    and the car's name), or [] when it already does."""
    ops = []
    if remote.get("StandardSalesAccount") != spec.account:
        ops.append({"op": "replace", "path": "/StandardSalesAccount", "value": spec.account})
    if remote.get("Name") != spec.name:
        ops.append({"op": "replace", "path": "/Name", "value": spec.name})
    return ops


# -- sales order -----------------------------------------------------------------------------
def sales_order_payload(contract, lines, *, customer_id, product_ids, reference, defaults,
                        order_date):
    """SalesOrderCompletePostDto: one line per contract line, in order. `product_ids` maps a
    category (or "car") to the PowerOffice Go product id. Our reference goes in both
    `ExternalImportReference` (Go's duplicate check) and `CustomMatchingReference` (searchable
    on outgoing invoices and the customer ledger)."""
    body = {
        "CustomerId": int(customer_id),
        "SalesOrderDate": order_date.isoformat(),
        "CurrencyCode": contract.currency,
        "ContractNo": contract.number,
        "ExternalImportReference": reference,
        "CustomMatchingReference": reference,
        "PaymentTerm": int(defaults.payment_terms_days),
        "SalesOrderStatus": "Draft",
        "SalesOrderLines": [
            {
                "ProductId": int(product_ids[line.category]),
                "Description": line.description,
                "Quantity": _qty(line.quantity),
                "ProductUnitPrice": _money(line.unit_price),
                "UseStandardSalesAccount": True,
                "SortOrder": position,
                "ExternalImportReference": f"{reference}-l{line.pk}"[:50],
            }
            for position, line in enumerate(lines)
        ],
    }
    if defaults.default_project_code:
        body["ProjectCode"] = defaults.default_project_code
    if defaults.default_department_code:
        body["DepartmentCode"] = defaults.default_department_code
    return body


def send_invoice_payload(*, delivery_channel, email=""):
    """SendInvoiceRequestPostDto. With e-mail delivery the customer's address is the fallback,
    as Go uses the customer's invoice e-mail when none is given."""
    body = {"DeliveryType": DELIVERY_TYPES.get(delivery_channel, "Auto")}
    if email and body["DeliveryType"] in ("PdfByEmail", "Auto"):
        body["EmailAddress"] = email
    return body


# -- payment state back ----------------------------------------------------------------------
def payment_state(invoice, *, today):
    """The badge state of an OutgoingInvoiceDto (`integrations.payments`): Balance is what is
    outstanding; past the due date with a balance = overdue."""
    total = Decimal(str(invoice.get("TotalAmount") or invoice.get("TotalPostedAmount") or 0))
    balance = invoice.get("Balance")
    return shared_payment_state(total=total,
                                outstanding=Decimal(str(balance)) if balance is not None
                                else total,
                                due_date=invoice.get("DueDate"),
                                invoice_no=invoice.get("InvoiceNo"), today=today)


def _without_none(value):
    if isinstance(value, dict):
        cleaned = {k: _without_none(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in cleaned.items() if v != {}}
    return value
