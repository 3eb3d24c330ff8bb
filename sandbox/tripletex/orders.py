"""Orders and their lines, and `PUT /order/{id}/:invoice`.

Rules (fact sheet section 7 and the spec; ASSUMED where marked):
- `customer`, `orderDate` and `deliveryDate` are required (422 15000 naming the field).
- The order's VAT mode fixes the price field of its lines: with
  `isPrioritizeAmountsIncludingVat` true a line may carry only `unitPriceIncludingVatCurrency`,
  otherwise only `unitPriceExcludingVatCurrency`; the other one is worked out. A line with
  neither takes its product's price. A line's `vatType` is its own, else its product's, else 3.
  (ASSUMED: `count` defaults to 1.)
- A closed order cannot be invoiced or changed (422); invoicing closes it.
- `GET /order` needs `orderDateFrom` and `orderDateTo` (to and excluding).
- `number` is given from 1 up unless sent (UNCONFIRMED whether Tripletex lets us set it).
"""

from decimal import Decimal

from django.db import transaction
from django.http import HttpResponse

from sandbox.tripletex import errors, fields, invoicing, refs, store, webhooks
from sandbox.tripletex.simulator import endpoint

LINE_OWN = ("product", "vatType", "unitPriceExcludingVatCurrency",
            "unitPriceIncludingVatCurrency", "count", "discount", "order")


def _renderer(request):
    return fields.Renderer.for_request(request)


def _price_line(request, line, including, path):
    """Fill in the line's prices and amounts from what was sent and the order's VAT mode."""
    tenant = request.sandbox_tenant
    product = store.find(tenant, "Product", store.ref_id(line.get("product")))
    if line.get("vatType") is None:
        line["vatType"] = (product.data.get("vatType") if product else None) or {"id": 3}
    vat = store.find(tenant, "VatType", store.ref_id(line["vatType"]))
    rate = 1 + store.dec(vat.data.get("percentage") if vat else 0) / 100
    excl_name, incl_name = "unitPriceExcludingVatCurrency", "unitPriceIncludingVatCurrency"
    wrong, right = (excl_name, incl_name) if including else (incl_name, excl_name)
    if line.get(wrong) is not None:  # the message Tripletex's FAQ quotes (T5)
        mode = "inclusive" if including else "exclusive"
        errors.invalid(request, (f"{path}{wrong}",
                                 f"The unit price must be {mode} VAT since the unit price on "
                                 f"the order is {mode} VAT."))
    if line.get(right) is None:
        product_field = "priceIncludingVatCurrency" if including else "priceExcludingVatCurrency"
        line[right] = (product.data.get(product_field) if product else None) or 0.0
    if product is not None and not line.get("description"):
        line["description"] = product.data.get("orderLineDescription") or product.data["name"]
    count = store.dec(line.get("count", 1) if line.get("count") is not None else 1)
    line["count"] = float(count)
    factor = 1 - store.dec(line.get("discount") or 0) / 100
    if including:
        line[excl_name] = store.money(Decimal(str(line[incl_name])) / rate)
        gross = store.dec(Decimal(str(line[incl_name])) * count * factor)
        line["amountIncludingVatCurrency"] = float(gross)
        line["amountExcludingVatCurrency"] = store.money(gross / rate)
    else:
        line[incl_name] = store.money(Decimal(str(line[excl_name])) * rate)
        net = store.dec(Decimal(str(line[excl_name])) * count * factor)
        line["amountExcludingVatCurrency"] = float(net)
        line["amountIncludingVatCurrency"] = store.money(net * rate)
    line.setdefault("currency", {"id": 1})
    return line


def add_line(request, order, body, path=""):
    """Store a new line on the open `order` (record); returns the line's record."""
    if body.get("id") is not None:
        errors.invalid(request, (f"{path}id", "En ny ordrelinje kan ikke ha id."))
    if order.data.get("isClosed"):
        errors.invalid(request, (f"{path}order", "Ordren er lukket."))
    line = refs.resolve(request, "OrderLine",
                        {k: v for k, v in body.items() if k not in ("id", "version", "order")})
    line = _price_line(request, line, bool(order.data.get("isPrioritizeAmountsIncludingVat")),
                       path)
    line["order"] = store.ref(order)
    return store.create(request.sandbox_tenant, "OrderLine", line)


def create_order(request, body, *, path=""):
    """A new order (with its embedded lines) from a checked `Order` body; returns the record."""
    if body.get("id") is not None and store.find(request.sandbox_tenant, "Order", body["id"]):
        errors.object_exists(request, "Order")
    missing = [f"{path}{name}" for name in ("customer", "orderDate", "deliveryDate")
               if body.get(name) in (None, "")]
    if missing:
        errors.required(request, *missing)
    body = {**body, **{name: store.parse_date(request, body[name], f"{path}{name}").isoformat()
                       for name in ("orderDate", "deliveryDate")}}
    header = refs.resolve(request, "Order",
                          {k: v for k, v in body.items() if k not in ("id", "version")},
                          handled=("orderLines", "deliveryAddress", "preliminaryInvoice"))
    header.pop("orderLines", None)
    header.pop("preliminaryInvoice", None)
    if "deliveryAddress" in body:
        header["deliveryAddress"] = refs.create_nested(request, "DeliveryAddress",
                                                       f"{path}deliveryAddress",
                                                       body["deliveryAddress"])
    customer = store.find(request.sandbox_tenant, "Customer",
                          store.ref_id(header["customer"])).data
    tenant = request.sandbox_tenant
    data = {"isClosed": False, "isPrioritizeAmountsIncludingVat": False, "currency": {"id": 1},
            "invoicesDueIn": customer.get("invoicesDueIn", 14),
            "invoicesDueInType": customer.get("invoicesDueInType", "DAYS"),
            "isSubscription": False, "isShowOpenPostsOnInvoices": False,
            "orderLineSorting": "ID", "status": "NOT_CHOSEN", "reference": "",
            "invoiceComment": "", "deliveryComment": "", "receiverEmail": "",
            "customerName": customer.get("name", ""), **header}
    if data.get("isClosed"):
        errors.invalid(request, (f"{path}isClosed", "En ny ordre kan ikke være lukket."))
    if not data.get("number"):
        data["number"] = str(store.next_number(tenant, "orderNumber"))
    data["orderLines"] = []
    order = store.create(tenant, "Order", data)
    for index, line in enumerate(body.get("orderLines") or []):
        record = add_line(request, order, line, f"{path}orderLines[{index}].")
        order.data["orderLines"].append(store.ref(record))
    order.save()
    data = order.data
    data["displayName"] = f"{data['number']} {data['customerName']}".strip()
    order.save()
    return order


@endpoint(methods=("GET", "POST"))
def orders(request):
    if request.method == "POST":
        body = fields.read_object(request, "Order")
        with transaction.atomic():
            order = create_order(request, body)
            webhooks.emit(_renderer(request), "order.create", order.data)
        return fields.value_response(request, "Order", order.data, status=201)
    params = request.GET
    missing = [name for name in ("orderDateFrom", "orderDateTo") if not params.get(name)]
    if missing:
        errors.required(request, *missing)
    start = store.parse_date(request, params["orderDateFrom"], "orderDateFrom")
    end = store.parse_date(request, params["orderDateTo"], "orderDateTo")
    rows = [record.data for record in store.records(request.sandbox_tenant, "Order")
            if start.isoformat() <= record.data["orderDate"] < end.isoformat()]
    ids, customers = fields.ids_param(request, "id"), fields.ids_param(request, "customerId")
    if ids is not None:
        rows = [row for row in rows if row["id"] in ids]
    if customers is not None:
        rows = [row for row in rows if store.ref_id(row.get("customer")) in customers]
    if params.get("number"):
        rows = [row for row in rows if row.get("number") == params["number"]]
    if params.get("deliveryComment"):
        part = params["deliveryComment"].lower()
        rows = [row for row in rows if part in (row.get("deliveryComment") or "").lower()]
    for name in ("isClosed", "isSubscription"):
        wanted = fields.bool_param(request, name)
        if wanted is not None:
            rows = [row for row in rows if bool(row.get(name)) == wanted]
    return fields.list_response(request, "Order", rows)


@endpoint(methods=("GET", "PUT", "DELETE"))
def order(request, object_id):
    record = store.get_or_404(request, "Order", object_id, "Ordren")
    if request.method == "GET":
        return fields.value_response(request, "Order", record.data)
    if request.method == "DELETE":
        if record.data.get("isClosed"):
            errors.invalid(request, ("id", "Ordren er fakturert og kan ikke slettes."))
        with transaction.atomic():
            webhooks.emit(_renderer(request), "order.delete", record.data)
            for line in record.data.get("orderLines") or []:
                store.find(request.sandbox_tenant, "OrderLine", line["id"]).delete()
            record.delete()
        return HttpResponse(status=204)
    body = fields.read_object(request, "Order")
    with transaction.atomic():
        record = store.locked(request.sandbox_tenant, "Order", object_id)
        store.check_version(request, record, body.get("version"))
        if record.data.get("isClosed"):
            errors.invalid(request, ("isClosed", "Ordren er lukket og kan ikke endres."))
        update_order(request, record, body)
        webhooks.emit(_renderer(request), "order.update", record.data)
    return fields.value_response(request, "Order", record.data)


def update_order(request, record, body):
    """PUT: header fields change; lines without id are added; with updateLinesAndGroups=true
    the lines not sent are removed. (Changing an existing line goes through its own id.)"""
    if "isPrioritizeAmountsIncludingVat" in body and record.data.get("orderLines"):
        if body["isPrioritizeAmountsIncludingVat"] != record.data.get(
                "isPrioritizeAmountsIncludingVat"):
            errors.invalid(request, ("isPrioritizeAmountsIncludingVat",
                                     "Kan ikke endres når ordren har linjer."))
    body = {**body, **{name: store.parse_date(request, body[name], name).isoformat()
                       for name in ("orderDate", "deliveryDate") if body.get(name) is not None}}
    header = refs.resolve(request, "Order",
                          {k: v for k, v in body.items()
                           if k not in ("id", "version", "orderLines", "preliminaryInvoice")},
                          handled=("deliveryAddress",))
    if "deliveryAddress" in body:
        header["deliveryAddress"] = refs.create_nested(request, "DeliveryAddress",
                                                       "deliveryAddress",
                                                       body["deliveryAddress"])
    record.data.update(header)
    if "orderLines" in body:
        sent = body["orderLines"] or []
        kept = {store.ref_id(line) for line in sent if store.ref_id(line) is not None}
        lines = list(record.data.get("orderLines") or [])
        if fields.bool_param(request, "updateLinesAndGroups"):
            for line in lines:
                if line["id"] not in kept:
                    store.find(request.sandbox_tenant, "OrderLine", line["id"]).delete()
            lines = [line for line in lines if line["id"] in kept]
        for index, line in enumerate(sent):
            if store.ref_id(line) is None:
                lines.append(store.ref(add_line(request, record, line,
                                                f"orderLines[{index}].")))
        record.data["orderLines"] = lines
    store.save(record)


@endpoint(methods=("POST",))
def order_line_create(request):
    body = fields.read_object(request, "OrderLine")
    line = _add_to_order(request, body, "")
    return fields.value_response(request, "OrderLine", line.data, status=201)


@endpoint(methods=("POST",))
def order_line_list(request):
    body = fields.read_json(request)
    if not isinstance(body, list):
        errors.bad_json(request, "Expected a JSON list of OrderLine objects.")
    with transaction.atomic():
        lines = [_add_to_order(request, fields.check(request, "OrderLine", item if isinstance(
            item, dict) else {}), f"[{index}].") for index, item in enumerate(body)]
    response = fields.list_response(request, "OrderLine", [line.data for line in lines])
    response.status_code = 201
    return response


def _add_to_order(request, body, path):
    if body.get("order") is None:
        errors.required(request, f"{path}order")
    order_ref = refs.existing(request, f"{path}order", body["order"], "Order")
    with transaction.atomic():
        record = store.locked(request.sandbox_tenant, "Order", order_ref["id"])
        line = add_line(request, record, body, path)
        record.data.setdefault("orderLines", []).append(store.ref(line))
        store.save(record)
        webhooks.emit(_renderer(request), "order.update", record.data)
    return line


@endpoint()
def order_line(request, object_id):
    record = store.get_or_404(request, "OrderLine", object_id, "Ordrelinjen")
    return fields.value_response(request, "OrderLine", record.data)


@endpoint(methods=("PUT",))
def order_invoice(request, object_id):
    """Invoices the order: `invoiceDate` required; `sendToCustomer`, `sendType`,
    `paymentTypeId` + `paidAmount` (prepaid) optional. 200 with `{value: Invoice}`."""
    store.get_or_404(request, "Order", object_id, "Ordren")
    params = request.GET
    if not params.get("invoiceDate"):
        errors.required(request, "invoiceDate")
    invoice_date = store.parse_date(request, params["invoiceDate"], "invoiceDate")
    options = invoicing.options_from_query(request)
    with transaction.atomic():
        order = store.locked(request.sandbox_tenant, "Order", object_id)
        invoice = invoicing.invoice_order(request, order, invoice_date, **options)
    return fields.value_response(request, "Invoice", invoice.data)
