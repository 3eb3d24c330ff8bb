"""Invoices: search (`invoiceDateFrom` and `invoiceDateTo`, to and excluding, both required),
read, `POST /invoice` (one order per invoice, referenced or embedded) and `:payment`.

`GET /invoice` has no `changedSince` in the spec (only /customer does); like any parameter an
endpoint does not know, it is ignored. Pollers page through a date range and compare
`amountOutstanding` (and `version`, which moves with every payment).
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from sandbox.tripletex import errors, fields, invoicing, orders, store
from sandbox.tripletex.simulator import endpoint


@endpoint(methods=("GET", "POST"))
def invoices(request):
    if request.method == "POST":
        return create_invoice(request)
    params = request.GET
    missing = [name for name in ("invoiceDateFrom", "invoiceDateTo") if not params.get(name)]
    if missing:
        errors.required(request, *missing)
    start = store.parse_date(request, params["invoiceDateFrom"], "invoiceDateFrom").isoformat()
    end = store.parse_date(request, params["invoiceDateTo"], "invoiceDateTo").isoformat()
    rows = [record.data for record in store.records(request.sandbox_tenant, "Invoice")
            if start <= record.data["invoiceDate"] < end]
    ids = fields.ids_param(request, "id")
    if ids is not None:
        rows = [row for row in rows if row["id"] in ids]
    vouchers = fields.ids_param(request, "voucherId")
    if vouchers is not None:
        rows = [row for row in rows if store.ref_id(row.get("voucher")) in vouchers]
    for name in ("invoiceNumber", "kid"):
        if params.get(name):
            rows = [row for row in rows if str(row.get(name)) == params[name]]
    if params.get("customerId"):
        rows = [row for row in rows
                if str(store.ref_id(row.get("customer"))) == params["customerId"]]
    return fields.list_response(request, "Invoice", rows)


def create_invoice(request):
    """`POST /invoice`: the Invoice body names exactly one order, by id or embedded (created
    first); `invoiceDate` is required, `invoiceNumber` must be absent or 0."""
    body = fields.read_object(request, "Invoice")
    if body.get("invoiceNumber") not in (None, 0):
        errors.invalid(request, ("invoiceNumber", "La Tripletex gi fakturanummeret: send 0 "
                                                  "eller ingenting."))
    if not body.get("invoiceDate"):
        errors.required(request, "invoiceDate")
    invoice_date = store.parse_date(request, body["invoiceDate"], "invoiceDate")
    sent_orders = body.get("orders") or []
    if len(sent_orders) != 1:
        errors.invalid(request, ("orders", "Kun én ordre per faktura støttes."))
    options = invoicing.options_from_query(request)
    if body.get("paymentTypeId") is not None or body.get("paidAmount") is not None:
        if body.get("paymentTypeId") is None or body.get("paidAmount") is None:
            errors.invalid(request, ("paidAmount", "paymentTypeId og paidAmount må sendes "
                                                   "sammen."))
        options["prepaid"] = (body["paymentTypeId"], Decimal(str(body["paidAmount"])))
    with transaction.atomic():
        sent = sent_orders[0]
        if store.ref_id(sent) is None:
            order = orders.create_order(request, sent, path="orders[0].")
        else:
            order = store.locked(request.sandbox_tenant, "Order", store.ref_id(sent))
            if order is None:
                errors.unknown_reference(request, "orders[0]")
        invoice = invoicing.invoice_order(request, order, invoice_date,
                                          comment=body.get("comment"), **options)
        if body.get("invoiceDueDate"):
            invoice.data["invoiceDueDate"] = store.parse_date(
                request, body["invoiceDueDate"], "invoiceDueDate").isoformat()
            invoice.save()
    return fields.value_response(request, "Invoice", invoice.data, status=201)


@endpoint()
def invoice(request, object_id):
    record = store.get_or_404(request, "Invoice", object_id, "Fakturaen")
    return fields.value_response(request, "Invoice", record.data)


@endpoint(methods=("PUT",))
def invoice_payment(request, object_id):
    """`:payment?paymentDate=&paymentTypeId=&paidAmount=` (all required); 200 with the invoice."""
    store.get_or_404(request, "Invoice", object_id, "Fakturaen")
    params = request.GET
    missing = [name for name in ("paymentDate", "paymentTypeId", "paidAmount")
               if not params.get(name)]
    if missing:
        errors.required(request, *missing)
    paid_on = store.parse_date(request, params["paymentDate"], "paymentDate")
    try:
        payment_type = int(params["paymentTypeId"])
        amount = Decimal(params.get("paidAmountCurrency") or params["paidAmount"])
    except (ValueError, InvalidOperation):
        errors.fail(request, 422, errors.PARAM, "Ugyldig paymentTypeId eller paidAmount.")
    if not amount.is_finite():
        errors.fail(request, 422, errors.PARAM, "Ugyldig paidAmount.")
    with transaction.atomic():
        record = store.locked(request.sandbox_tenant, "Invoice", object_id)
        invoicing.register_payment(request, record, paid_on, payment_type, amount)
    return fields.value_response(request, "Invoice", record.data)
