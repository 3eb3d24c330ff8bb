"""Pure functions between our records and Tripletex v2 bodies. No database, no HTTP, so tests
check every payload against the published spec with unknown properties forbidden.

Existing objects are referred to by `{"id": ...}` only (gotcha 4: sub-objects have fields
"required" only when creating them). VAT is set per order line (`vatType`); the income
account comes from the product's `account`, so each line category is a product (`HUB-ADDON`,
...; the car its own product, number = VIN) whose account is the account mapping. Orders are
sent with `isPrioritizeAmountsIncludingVat: false`, so lines carry only
`unitPriceExcludingVatCurrency` (gotcha 3). The invoice number is never ours to set.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal

from integrations.payments import payment_state as shared_payment_state

CATEGORY_PRODUCT_PREFIX = "HUB-"
INVOICE_FIELDS = "id,invoiceNumber,invoiceDate,invoiceDueDate,amount,amountOutstanding," \
                 "amountCurrency,amountCurrencyOutstanding,isCredited,orders(id)"
# The events that can mean money came in, or that an invoice now exists (fact sheet §5).
PAYMENT_EVENTS = ("invoice.charged", "voucher.create", "closeGroup.create",
                  "closeGroup.delete")


def _money(value):
    return float(Decimal(value).quantize(Decimal("0.01")))


def _digits(value):
    return "".join(ch for ch in (value or "") if ch.isdigit())


def ref(remote_id):
    return {"id": int(remote_id)}


# -- customers -------------------------------------------------------------------------------
def customer_payload(customer, *, payment_terms_days=14):
    body = {
        "name": customer.name,
        "isPrivateIndividual": customer.kind != "company",
        "email": customer.email or None,
        "invoiceEmail": customer.email or None,
        "phoneNumber": customer.phone or None,
        "invoiceSendMethod": "EMAIL" if customer.email else "MANUAL",
        "invoicesDueIn": int(payment_terms_days),
        "invoicesDueInType": "DAYS",
    }
    if customer.kind == "company" and _digits(customer.org_number):
        body["organizationNumber"] = _digits(customer.org_number)
    if customer.street or customer.postal_code or customer.city:
        body["postalAddress"] = {"addressLine1": customer.street or "",
                                 "postalCode": customer.postal_code or "",
                                 "city": customer.city or ""}
    return {k: v for k, v in body.items() if v is not None}


def match_customer(customer, rows):
    """The row to reuse: by organization number (companies), else e-mail; compared exactly
    after normalising (a search may match more than it says). None when nothing or more than
    one matches (a person chooses; we create none)."""
    checks = []
    if customer.kind == "company" and _digits(customer.org_number):
        checks.append(("organizationNumber", _digits(customer.org_number), _digits))
    if customer.email:
        checks.append(("email", customer.email.strip().lower(),
                       lambda v: (v or "").strip().lower()))
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
    number: str
    name: str
    account_id: int
    vat_type_id: int

    def payload(self):
        return {"number": self.number, "name": self.name, "account": ref(self.account_id),
                "vatType": ref(self.vat_type_id)}


def car_product_number(car):
    return (car.vin or car.registration_number or "").strip().upper()


def car_product_name(car):
    reg = f" ({car.registration_number.upper()})" if car.registration_number else ""
    return f"{car.year or ''} {car.make} {car.model}{reg}".strip()


def products_for_contract(contract, lines, *, account_ids, vats, category_labels):
    """{category: ProductSpec}; `account_ids` maps category -> Tripletex account id (looked up
    from the mapped account number), `vats` category -> vatType id."""
    specs = {}
    for line in lines:
        if line.category in specs:
            continue
        if line.category == "car":
            number, name = car_product_number(contract.car), car_product_name(contract.car)
        else:
            number = f"{CATEGORY_PRODUCT_PREFIX}{line.category.upper()}"
            name = str(category_labels.get(line.category, line.category))
        specs[line.category] = ProductSpec(number=number, name=name,
                                           account_id=int(account_ids[line.category]),
                                           vat_type_id=int(vats[line.category]))
    return specs


def product_update(remote, spec):
    """The PUT body that makes a product match the mapping, or None when it does."""
    account = (remote.get("account") or {}).get("id")
    vat = (remote.get("vatType") or {}).get("id")
    if account == spec.account_id and vat == spec.vat_type_id and remote.get("name") == spec.name:
        return None
    return {"id": remote["id"], "version": remote.get("version"), "name": spec.name,
            "account": ref(spec.account_id), "vatType": ref(spec.vat_type_id)}


# -- the order ---------------------------------------------------------------------------------
def order_payload(contract, lines, *, customer_id, product_ids, vats, reference, order_date,
                  payment_terms_days=14, department_id=None):
    """Order with its lines embedded. Our reference in `reference` (searchable when read back
    by date range), the contract number in `invoiceComment` for people."""
    body = {
        "customer": ref(customer_id),
        "orderDate": order_date.isoformat(),
        "deliveryDate": order_date.isoformat(),
        "reference": reference,
        "invoiceComment": f"Kontrakt {contract.number}",
        "invoicesDueIn": int(payment_terms_days),
        "invoicesDueInType": "DAYS",
        "isPrioritizeAmountsIncludingVat": False,
        "isClosed": False,
        "orderLines": [
            {
                "product": ref(product_ids[line.category]),
                "description": line.description,
                "count": float(Decimal(line.quantity)),
                "unitPriceExcludingVatCurrency": _money(line.unit_price),
                "vatType": ref(vats[line.category]),
                "sortIndex": position,
            }
            for position, line in enumerate(lines)
        ],
    }
    if department_id:
        body["department"] = ref(department_id)
    return body


# -- payment state back ------------------------------------------------------------------------
def payment_state(invoice, *, today):
    """Tripletex's invoice: `amountOutstanding` 0 = paid (`amountOutstandingTotal` would add
    reminder fees, which are not the car's price)."""
    total = invoice.get("amount")
    if total is None:
        total = invoice.get("amountCurrency") or 0
    outstanding = invoice.get("amountOutstanding")
    if outstanding is None:
        outstanding = invoice.get("amountCurrencyOutstanding")
    return shared_payment_state(total=Decimal(str(total)),
                                outstanding=Decimal(str(outstanding)) if outstanding is not None
                                else None,
                                due_date=invoice.get("invoiceDueDate"),
                                invoice_no=invoice.get("invoiceNumber") or "", today=today)


# -- webhooks ----------------------------------------------------------------------------------
def subscription_payload(event, *, target_url, secret):
    return {"event": event, "targetUrl": target_url, "fields": "id", "hmacSharedSecret": secret}


def signature(secret, idempotency_key, raw_body: bytes) -> str:
    """x-request-signature: base64(HMAC-SHA512(secret, idempotency-key + "&" + raw body))."""
    digest = hmac.new(secret.encode(), idempotency_key.encode() + b"&" + raw_body,
                      hashlib.sha512)
    return base64.b64encode(digest.digest()).decode()
