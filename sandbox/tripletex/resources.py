"""Customers, products and the ledger's reference data (VAT types, accounts, payment types).

Choices where Tripletex does not say (ASSUMED):
- `customerNumber` is given from 10000 up unless sent; a number, or a product `number`, already
  in use is a 409 14000 "Duplicate entry".
- A POST carrying the id of an existing object is a 409 7000 "Object exists".
- `customerName` and the product `name` filter match a part of the name, ignoring case;
  `organizationNumber`, `email` and `invoiceEmail` match exactly ("Equals"), spaces in an
  organisation number ignored.
- A product without `vatType` gets 3 (outgoing, high rate); with one price, the other is worked
  out from the VAT rate.
"""

from django.db import transaction
from django.http import HttpResponse

from sandbox.tripletex import errors, fields, refs, store, webhooks
from sandbox.tripletex.simulator import endpoint

CUSTOMER_NUMBERS_START = 10000
DEFAULT_VAT_TYPE = 3


def _rows(request, kind):
    return [record.data for record in store.records(request.sandbox_tenant, kind)]


def _changed_since(request, kind):
    """Records changed after `changedSince` (a date or a date and time, Oslo time)."""
    text = request.GET.get("changedSince")
    rows = store.records(request.sandbox_tenant, kind)
    if text:
        moment = store.parse_datetime(request, text, "changedSince")
        rows = [record for record in rows if record.modified_at > moment]
    return [record.data for record in rows]


def _renderer(request):
    return fields.Renderer.for_request(request)


def _reject_existing_id(request, kind, body):
    if body.get("id") is not None and store.find(request.sandbox_tenant, kind, body["id"]):
        errors.object_exists(request, kind)


# -- customers ------------------------------------------------------------------------------------

def _digits(text):
    return "".join(ch for ch in str(text or "") if not ch.isspace())


def _customer_fields(request, body, record=None):
    data = refs.resolve(request, "Customer",
                        {k: v for k, v in body.items() if k not in ("id", "version")},
                        handled=("postalAddress", "physicalAddress", "deliveryAddress"))
    for name, kind in (("postalAddress", "Address"), ("physicalAddress", "Address"),
                       ("deliveryAddress", "DeliveryAddress")):
        if name in body:
            data[name] = refs.create_nested(request, kind, name, body[name])
    number = data.get("customerNumber")
    if number is not None:
        taken = [row for row in _rows(request, "Customer")
                 if row.get("customerNumber") == number
                 and (record is None or row["id"] != record.data["id"])]
        if taken:
            errors.duplicate(request, "customerNumber", f"Kundenummeret {number} er i bruk.")
    return data


@endpoint(methods=("GET", "POST"))
def customers(request):
    if request.method == "POST":
        return create_customer(request)
    rows = _changed_since(request, "Customer")
    params = request.GET
    ids = fields.ids_param(request, "id")
    numbers = fields.ids_param(request, "customerAccountNumber")
    inactive = fields.bool_param(request, "isInactive")
    if ids is not None:
        rows = [row for row in rows if row["id"] in ids]
    if numbers is not None:
        rows = [row for row in rows if row.get("customerNumber") in numbers]
    if params.get("organizationNumber"):
        wanted = _digits(params["organizationNumber"])
        rows = [row for row in rows if _digits(row.get("organizationNumber")) == wanted]
    for name in ("email", "invoiceEmail", "phoneNumberMobile"):
        if params.get(name):
            rows = [row for row in rows if (row.get(name) or "") == params[name]]
    if params.get("customerName"):
        part = params["customerName"].lower()
        rows = [row for row in rows if part in (row.get("name") or "").lower()]
    if inactive is not None:
        rows = [row for row in rows if bool(row.get("isInactive")) == inactive]
    return fields.list_response(request, "Customer", rows)


def create_customer(request):
    body = fields.read_object(request, "Customer")
    _reject_existing_id(request, "Customer", body)
    if not (body.get("name") or "").strip():
        errors.required(request, "name")
    tenant = request.sandbox_tenant
    with transaction.atomic():
        data = _customer_fields(request, body)
        if data.get("customerNumber") is None:
            taken = {row.get("customerNumber") for row in _rows(request, "Customer")}
            number = store.next_number(tenant, "customerNumber", CUSTOMER_NUMBERS_START)
            while number in taken:
                number = store.next_number(tenant, "customerNumber")
            data["customerNumber"] = number
        data = {"isCustomer": True, "isSupplier": False, "isInactive": False,
                "isPrivateIndividual": False, "language": "NO", "invoiceSendMethod": "EMAIL",
                "emailAttachmentType": "ATTACHMENT", "invoicesDueIn": 14,
                "invoicesDueInType": "DAYS", "currency": {"id": 1}, "email": "",
                "invoiceEmail": "", "organizationNumber": "", **data}
        data["displayName"] = f"{data['name']} ({data['customerNumber']})"
        record = store.create(tenant, "Customer", data)
        webhooks.emit(_renderer(request), "customer.create", record.data)
    return fields.value_response(request, "Customer", record.data, status=201)


@endpoint(methods=("GET", "PUT", "DELETE"))
def customer(request, object_id):
    record = store.get_or_404(request, "Customer", object_id, "Kunden")
    if request.method == "GET":
        return fields.value_response(request, "Customer", record.data)
    if request.method == "DELETE":
        return delete(request, record, "customer.delete")
    body = fields.read_object(request, "Customer")
    with transaction.atomic():
        record = store.locked(request.sandbox_tenant, "Customer", object_id)
        store.check_version(request, record, body.get("version"))
        record.data.update(_customer_fields(request, body, record))
        if "name" in body and not (record.data.get("name") or "").strip():
            errors.required(request, "name")
        record.data["displayName"] = f"{record.data['name']} ({record.data['customerNumber']})"
        store.save(record)
        webhooks.emit(_renderer(request), "customer.update", record.data)
    return fields.value_response(request, "Customer", record.data)


def delete(request, record, event):
    with transaction.atomic():
        webhooks.emit(_renderer(request), event, record.data)
        record.delete()
    return HttpResponse(status=204)


# -- products -------------------------------------------------------------------------------------

def _vat_rate(request, vat_ref):
    vat = store.find(request.sandbox_tenant, "VatType", store.ref_id(vat_ref))
    return store.dec(vat.data.get("percentage") if vat else 0)


def _product_fields(request, body, record=None):
    data = refs.resolve(request, "Product",
                        {k: v for k, v in body.items() if k not in ("id", "version")})
    number = data.get("number")
    if number:
        taken = [row for row in _rows(request, "Product") if row.get("number") == number
                 and (record is None or row["id"] != record.data["id"])]
        if taken:
            errors.duplicate(request, "number", f"Produktnummeret {number} er i bruk.")
    return data


def _prices(request, data, sent):
    """Work out the price not sent from the one sent and the VAT rate."""
    rate = 1 + _vat_rate(request, data.get("vatType")) / 100
    excluding, including = "priceExcludingVatCurrency", "priceIncludingVatCurrency"
    if sent.get(excluding) is not None and sent.get(including) is None:
        data[including] = store.money(store.dec(data[excluding]) * rate)
    elif sent.get(including) is not None and sent.get(excluding) is None:
        data[excluding] = store.money(store.dec(data[including]) / rate)


@endpoint(methods=("GET", "POST"))
def products(request):
    if request.method == "POST":
        return create_product(request)
    rows, params = _rows(request, "Product"), request.GET
    numbers = [part for value in params.getlist("productNumber") for part in value.split(",")
               if part]
    if params.get("number"):
        numbers += [part for part in params["number"].split(",") if part]
    if numbers:
        rows = [row for row in rows if row.get("number") in numbers]
    for param, name in (("ids", "id"), ("vatTypeId", "vatType"), ("accountId", "account")):
        wanted = fields.ids_param(request, param)
        if wanted is not None:
            rows = [row for row in rows
                    if (row["id"] if name == "id" else store.ref_id(row.get(name))) in wanted]
    if params.get("name"):
        part = params["name"].lower()
        rows = [row for row in rows if part in (row.get("name") or "").lower()]
    inactive = fields.bool_param(request, "isInactive")
    if inactive is not None:
        rows = [row for row in rows if bool(row.get("isInactive")) == inactive]
    return fields.list_response(request, "Product", rows)


def create_product(request):
    body = fields.read_object(request, "Product")
    _reject_existing_id(request, "Product", body)
    if not (body.get("name") or "").strip():
        errors.required(request, "name")
    with transaction.atomic():
        data = {"vatType": {"id": DEFAULT_VAT_TYPE}, "currency": {"id": 1},
                "isInactive": False, "isStockItem": False, "priceExcludingVatCurrency": 0.0,
                "priceIncludingVatCurrency": 0.0, **_product_fields(request, body)}
        _prices(request, data, body)
        data["displayName"] = " ".join(filter(None, [data.get("number"), data["name"]]))
        record = store.create(request.sandbox_tenant, "Product", data)
        webhooks.emit(_renderer(request), "product.create", record.data)
    return fields.value_response(request, "Product", record.data, status=201)


@endpoint(methods=("GET", "PUT", "DELETE"))
def product(request, object_id):
    record = store.get_or_404(request, "Product", object_id, "Produktet")
    if request.method == "GET":
        return fields.value_response(request, "Product", record.data)
    if request.method == "DELETE":
        return delete(request, record, "product.delete")
    body = fields.read_object(request, "Product")
    with transaction.atomic():
        record = store.locked(request.sandbox_tenant, "Product", object_id)
        store.check_version(request, record, body.get("version"))
        record.data.update(_product_fields(request, body, record))
        _prices(request, record.data, body)
        record.data["displayName"] = " ".join(
            filter(None, [record.data.get("number"), record.data["name"]]))
        store.save(record)
        webhooks.emit(_renderer(request), "product.update", record.data)
    return fields.value_response(request, "Product", record.data)


# -- ledger reference data ------------------------------------------------------------------------

def _by_ids_and_numbers(request, rows, *, number_as=str):
    ids = fields.ids_param(request, "id")
    if ids is not None:
        rows = [row for row in rows if row["id"] in ids]
    if request.GET.get("number"):
        try:
            numbers = {number_as(part.strip()) for part in request.GET["number"].split(",")
                       if part.strip()}
        except ValueError:
            errors.fail(request, 422, errors.PARAM, "Ugyldig verdi for number.")
        rows = [row for row in rows if row.get("number") in numbers]
    return rows


@endpoint()
def vat_types(request):
    rows = _by_ids_and_numbers(request, _rows(request, "VatType"))
    type_of_vat = request.GET.get("typeOfVat")
    if type_of_vat:
        rows = [row for row in rows if row.get("_typeOfVat") == type_of_vat.upper()]
    return fields.list_response(request, "VatType", rows)


@endpoint()
def vat_type(request, object_id):
    record = store.get_or_404(request, "VatType", object_id, "Mva-typen")
    return fields.value_response(request, "VatType", record.data)


@endpoint()
def accounts(request):
    rows = _by_ids_and_numbers(request, _rows(request, "Account"), number_as=int)
    for name in ("isBankAccount", "isInactive", "isApplicableForSupplierInvoice"):
        wanted = fields.bool_param(request, name)
        if wanted is not None:
            rows = [row for row in rows if bool(row.get(name)) == wanted]
    balance = fields.bool_param(request, "isBalanceAccount")
    if balance is not None:
        rows = [row for row in rows if (row["number"] < 3000) == balance]
    for name in ("ledgerType", "saftCode"):
        if request.GET.get(name):
            rows = [row for row in rows if row.get(name) == request.GET[name]]
    return fields.list_response(request, "Account", rows)


@endpoint()
def account(request, object_id):
    record = store.get_or_404(request, "Account", object_id, "Kontoen")
    return fields.value_response(request, "Account", record.data)


@endpoint()
def payment_types(request):
    rows = _rows(request, "PaymentType")
    ids = fields.ids_param(request, "id")
    if ids is not None:
        rows = [row for row in rows if row["id"] in ids]
    for name in ("description", "query"):
        if request.GET.get(name):
            part = request.GET[name].lower()
            rows = [row for row in rows if part in row["description"].lower()]
    return fields.list_response(request, "PaymentType", rows)


@endpoint()
def payment_type(request, object_id):
    record = store.get_or_404(request, "PaymentType", object_id, "Betalingstypen")
    return fields.value_response(request, "PaymentType", record.data)
