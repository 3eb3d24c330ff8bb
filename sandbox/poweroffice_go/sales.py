"""Sales orders (Go's invoice drafts), sending them as invoices, the outgoing invoices that
result and the customer-ledger entries behind them.

`POST /v2/SalesOrders/Complete` is the only way to create an order (a plain POST /SalesOrders is
the gateway's 404). A line's account and VAT cannot be set: they follow from its product, whose
standard sales account is used (its optional one when UseStandardSalesAccount is false, or when
it is null and the customer is VAT-free), and that account's VAT code gives the rate. A header
ExternalImportReference may exist once among the client's orders and invoices; a second one is
a 400. Once sent, an order is an invoice with the same GUID and no longer a sales order (GET
/SalesOrders/{id} answers 404, `sentState` and /OutgoingInvoices/{id} answer for it).
"""

from decimal import Decimal

from django.db import transaction
from django.http import HttpResponse, JsonResponse

from sandbox.poweroffice_go import fields, ledger, store
from sandbox.poweroffice_go.contacts import department, payment_term, project
from sandbox.poweroffice_go.seed import SEND_INVOICE_PRIVILEGE
from sandbox.poweroffice_go.simulator import json_body, simulator
from sandbox.poweroffice_go.store import (
    ACCOUNT,
    CUSTOMER,
    INVOICE,
    LEDGER_ENTRY,
    PRODUCT,
    SALES_ORDER,
    VAT_CODE,
    fail,
    invalid,
    missing,
    not_found,
    public,
)

ORDER_NUMBERS = 10001
HEADER_ONLY_UNSUPPORTED = (
    ("BrandingThemeId", "Branding theme"), ("BrandingThemeCode", "Branding theme"),
    ("DeliveryTermId", "Delivery term"), ("DeliveryTerm", "Delivery term"),
    ("LocationId", "Location"), ("LocationCode", "Location"),
    ("ContactDeliveryAddressId", "Delivery address"),
    ("CustomerReferenceContactPersonId", "Contact person"),
    ("SalesPersonEmployeeId", "Employee"), ("SalesPersonEmployeeNumber", "Employee"),
)
DIMENSIONS_UNSUPPORTED = tuple((f"Dim{n}{kind}", f"Custom dimension {n}")
                               for n in (1, 2, 3) for kind in ("Id", "Code"))
LINE_UNSUPPORTED = (("LocationId", "Location"), ("LocationCode", "Location"),
                    ("SellersReferenceEmployeeId", "Employee"),
                    ("SellersReferenceEmployeeNo", "Employee"))


def _refuse(request, data, references, where=""):
    for name, what in references:
        value = data.get(name)
        if value not in (None, "", -1):
            missing(request, f"{where}{what} '{value}' not found." if isinstance(value, str)
                    else f"{where}{what} with id = {value} not found.")


# -- building an order ----------------------------------------------------------------------------

def _customer(request, tenant, customer_id, customer_no):
    if customer_id is not None:
        record = store.find(tenant, CUSTOMER, customer_id)
        if record is None:
            missing(request, f"Customer with id = {customer_id} not found.")
        return record.data
    if customer_no is not None:
        record = store.find_by(tenant, CUSTOMER, Number=customer_no)
        if record is None:
            missing(request, f"Customer with customer number {customer_no} not found.")
        return record.data
    invalid(request, "CustomerId", "A customer is required: set CustomerId or CustomerNo.")
    return None


def _product(request, tenant, where, product_id, code):
    if product_id is not None:
        record = store.find(tenant, PRODUCT, product_id)
        if record is None:
            missing(request, f"{where}: product with id = {product_id} not found.")
        return record.data
    if code:
        record = store.find_by(tenant, PRODUCT, Code=code)
        if record is None:
            missing(request, f"{where}: product with code '{code}' not found.")
        return record.data
    return None


def _sales_account(request, tenant, where, product, use_standard, customer):
    """The account a line posts to: the product's standard or optional sales account (else
    the client's default), chosen by UseStandardSalesAccount or the customer's IsVatFree."""
    if use_standard is None:
        use_standard = not customer.get("IsVatFree")
    if use_standard:
        number = (product.get("StandardSalesAccount")
                  or request.sandbox_tenant.data.get("DefaultStandardSalesAccount"))
    else:
        number = (product.get("OptionalSalesAccount")
                  or request.sandbox_tenant.data.get("DefaultOptionalSalesAccount"))
    record = store.find_by(tenant, ACCOUNT, AccountNo=number)
    if record is None:
        missing(request, f"{where}: sales account {number} of product "
                         f"'{product.get('Code') or product['Id']}' not found.")
    return record.data


def _line(request, tenant, index, line, *, order_id, customer, header):
    where = f"SalesOrderLines[{index}]"
    kind = line.get("LineType") or "Normal"
    _refuse(request, line, LINE_UNSUPPORTED + DIMENSIONS_UNSUPPORTED, f"{where}: ")
    product = _product(request, tenant, where, line.get("ProductId"), line.get("ProductCode"))
    quantity = line.get("Quantity")
    if kind == "Normal" and product is None:
        invalid(request, f"{where}.ProductId", f"{where}: a product (ProductId or ProductCode) "
                                               f"is required on lines of type Normal.")
    if product is not None and quantity is None:
        invalid(request, f"{where}.Quantity", f"{where}: Quantity is required when the line "
                                              f"has a product.")
    allowance = line.get("Allowance")
    if allowance is None:
        allowance = customer.get("Allowance") or 0
    if not -1000 <= allowance <= 100:
        invalid(request, f"{where}.Allowance", f"{where}: Allowance must be between -1000 "
                                               f"and 100.")
    project_id, project_code = project(request, tenant, line.get("ProjectId"),
                                       line.get("ProjectCode"), allow_none_marker=True)
    if line.get("ProjectId") is None and not line.get("ProjectCode"):
        project_id, project_code = header["ProjectId"], header["ProjectCode"]
    department_id, department_code = department(
        request, tenant, line.get("DepartmentId"), line.get("DepartmentCode"),
        allow_none_marker=True)
    if line.get("DepartmentId") is None and not line.get("DepartmentCode"):
        department_id, department_code = header["DepartmentId"], header["DepartmentCode"]
    net = vat_amount = Decimal("0")
    vat = account = None
    price = line.get("ProductUnitPrice")
    if product is not None:
        account = _sales_account(request, tenant, where, product,
                                 line.get("UseStandardSalesAccount"), customer)
        if account.get("VatCode"):
            vat = store.find_by(tenant, VAT_CODE, Code=account["VatCode"])
            vat = vat.data if vat else None
        if price is None:
            price = product.get("UnitPrice") or 0
        if kind == "Normal":
            gross = Decimal(str(quantity)) * Decimal(str(price))
            net = store.money(gross * (1 - Decimal(str(allowance)) / 100))
            vat_amount = store.money(net * Decimal(str(vat["Rate"] if vat else 0)))
    description = line.get("Description")
    if description is None and product is not None:
        description = product.get("Name")
    return {
        "Id": store.new_guid(), "SalesOrderId": order_id, "LineType": kind,
        "ProductId": product["Id"] if product else None,
        "ProductCode": product.get("Code") if product else None,
        "Description": description, "Quantity": quantity,
        "ProductUnitPrice": price, "ProductUnitCost": line.get("ProductUnitCost")
        if line.get("ProductUnitCost") is not None else (product or {}).get("UnitCost"),
        "Allowance": allowance, "UseStandardSalesAccount": line.get("UseStandardSalesAccount"),
        "NetAmount": float(net), "VatAmount": float(vat_amount),
        "TotalAmount": float(net + vat_amount),
        "VatCode": vat["Code"] if vat else (account or {}).get("VatCode"),
        "VatId": vat["Id"] if vat else None, "VatRate": vat["Rate"] if vat else 0.0,
        "VatReturnSpecification": line.get("VatReturnSpecification"),
        "UnitOfMeasureCode": line.get("UnitOfMeasureCode")
        or (product or {}).get("UnitOfMeasureCode"),
        "SortOrder": line.get("SortOrder") if line.get("SortOrder") is not None else index,
        "ProjectId": project_id, "ProjectCode": project_code,
        "DepartmentId": department_id, "DepartmentCode": department_code,
        "LocationId": None, "LocationCode": None, "Dim1Id": None, "Dim1Code": None,
        "Dim2Id": None, "Dim2Code": None, "Dim3Id": None, "Dim3Code": None,
        "SellersReferenceEmployeeId": None, "SellersReferenceEmployeeNo": None,
        "ExternalImportReference": line.get("ExternalImportReference"),
        "Accrual": line.get("Accrual"),
        "_AccountNo": account["AccountNo"] if account else None,
    }


def reference_in_use(tenant, reference):
    """Whether an order or invoice of the client already carries this ExternalImportReference."""
    wanted = reference.casefold()
    return any((row.get("ExternalImportReference") or "").casefold() == wanted
               for kind in (SALES_ORDER, INVOICE) for row in store.all_data(tenant, kind))


def build_order(request, tenant, data):
    post = store.post_values(fields.SALES_ORDER_COMPLETE_POST, data)
    customer = _customer(request, tenant, post["CustomerId"], post["CustomerNo"])
    reference = post["ExternalImportReference"]
    if reference and reference_in_use(tenant, reference):
        fail(request, 400, "Duplicate ExternalImportReference",
             f"A sales order with ExternalImportReference '{reference}' already exists.")
    _refuse(request, post, HEADER_ONLY_UNSUPPORTED + DIMENSIONS_UNSUPPORTED)
    if post["RelatedInvoiceNo"] is not None and store.find_by(
            tenant, INVOICE, InvoiceNo=post["RelatedInvoiceNo"]) is None:
        missing(request, f"Outgoing invoice with invoice number {post['RelatedInvoiceNo']} "
                         f"not found.")
    project_id, project_code = project(request, tenant, post["ProjectId"], post["ProjectCode"])
    department_id, department_code = department(request, tenant, post["DepartmentId"],
                                                post["DepartmentCode"])
    term_id, term_days = payment_term(request, tenant, post["PaymentTermId"],
                                      post["PaymentTerm"])
    order_id = store.new_guid()
    header = {"ProjectId": project_id, "ProjectCode": project_code,
              "DepartmentId": department_id, "DepartmentCode": department_code}
    lines = [_line(request, tenant, index, line, order_id=order_id, customer=customer,
                   header=header)
             for index, line in enumerate(post["SalesOrderLines"] or [])]
    seen = set()
    for index, line in enumerate(lines):
        line_reference = (line["ExternalImportReference"] or "").casefold()
        if line_reference and line_reference in seen:
            invalid(request, f"SalesOrderLines[{index}].ExternalImportReference",
                    f"ExternalImportReference '{line['ExternalImportReference']}' is used by "
                    f"more than one line of the order.")
        seen.add(line_reference)
    currency = (post["CurrencyCode"] or "NOK").upper()
    now = store.stamp()
    order = dict(post)
    order.pop("SalesOrderLines")
    order.update({
        "Id": order_id,
        "SalesOrderNo": store.next_number(tenant, "sales_order_no", ORDER_NUMBERS),
        "SalesOrderStatus": post["SalesOrderStatus"] or "Draft",
        "CustomerId": customer["Id"], "CustomerNo": customer["Number"],
        "CurrencyCode": currency,
        "CurrencyExchangeRate": post["CurrencyExchangeRate"] if currency != "NOK" else 1.0,
        "ProjectId": project_id, "ProjectCode": project_code,
        "DepartmentId": department_id, "DepartmentCode": department_code,
        "PaymentTermId": term_id, "PaymentTerm": term_days,
        "LineCount": len(lines),
        "NetAmount": float(sum(Decimal(str(line["NetAmount"])) for line in lines)),
        "TotalAmount": float(sum(Decimal(str(line["TotalAmount"])) for line in lines)),
        "SalesOrderLines": lines,
        "CreatedDateTimeOffset": now, "LastChangedDateTimeOffset": now,
        "_CreatedBy": request.sandbox_token.client_id,
    })
    if currency != "NOK" and not order["CurrencyExchangeRate"]:
        invalid(request, "CurrencyExchangeRate", f"CurrencyExchangeRate is required for "
                                                 f"currency {currency}.")
    return order


def order_view(request, tenant, order, *, lines):
    """SalesOrderDto (or SalesOrderCompleteDto with `lines`), inherited values filled in when
    the request asks `showInherited=true`."""
    shown = public(order, request)
    if lines:
        shown["SalesOrderLines"] = [public(line) for line in order["SalesOrderLines"]]
    else:
        shown.pop("SalesOrderLines", None)
    inherited = store.bool_param(request, "showInherited",
                                 store.params(request).get("showinherited"))
    if inherited:
        record = store.find(tenant, CUSTOMER, order["CustomerId"])
        customer = record.data if record else {}
        if shown.get("PaymentTerm") is None:
            shown["PaymentTerm"] = ledger.credit_days(tenant, order, customer)
        for name in ("DepartmentId", "DepartmentCode"):
            if shown.get(name) is None:
                shown[name] = customer.get(name)
    return shown


def _live_order(request, tenant, order_id):
    record = store.find(tenant, SALES_ORDER, order_id.lower())
    if record is None or record.data.get("_InvoicedAt"):
        not_found(request, f"Sales order with id = {order_id} not found.")
    return record


# -- sales order endpoints ------------------------------------------------------------------------

@simulator.endpoint(methods=("POST",))
def create_sales_order(request):
    tenant = request.sandbox_tenant
    store.require_privilege(request, "SalesOrders_Full")
    data = json_body(request, fields.SALES_ORDER_COMPLETE_POST)
    with transaction.atomic():
        store.lock_company(tenant)
        order = build_order(request, tenant, data)
        store.create(tenant, SALES_ORDER, order["Id"], order)
    return store.created(request, order_view(request, tenant, order, lines=True))


@simulator.endpoint(methods=("GET",))
def sales_orders(request):
    tenant = request.sandbox_tenant
    query = store.params(request)
    rows = [row for row in store.all_data(tenant, SALES_ORDER) if not row.get("_InvoicedAt")]
    for parameter, field in (("customerNos", "CustomerNo"), ("salesOrderNos", "SalesOrderNo")):
        accepts = store.number_filter(request, parameter, query.get(parameter.lower()))
        if accepts is not None:
            rows = [row for row in rows if accepts(row.get(field))]
    status = (query.get("orderstatus") or "").strip()
    if status:
        if status not in fields.ORDER_STATUSES:
            invalid(request, "orderStatus", f"The value '{status}' is not valid.")
        rows = [row for row in rows if row["SalesOrderStatus"] == status]
    rows = store.code_filter(rows, query.get("projectcodes"), "ProjectCode")
    rows = store.code_filter(rows, query.get("departmentcodes"), "DepartmentCode")
    rows = store.changed_after(rows, store.stamp_param(
        request, "lastChangedDateTimeOffsetGreaterThan",
        query.get("lastchangeddatetimeoffsetgreaterthan")))
    if store.bool_param(request, "onlyCreatedByCurrentIntegration",
                        query.get("onlycreatedbycurrentintegration")):
        rows = [row for row in rows if row["_CreatedBy"] == request.sandbox_token.client_id]
    return store.listing(request, [order_view(request, tenant, row, lines=False)
                                   for row in rows])


@simulator.endpoint(methods=("GET", "DELETE"))
def sales_order(request, order_id):
    tenant = request.sandbox_tenant
    if request.method == "DELETE":
        store.require_privilege(request, "SalesOrders_Full")
        _live_order(request, tenant, order_id).delete()
        return HttpResponse(status=200)
    record = _live_order(request, tenant, order_id)
    return store.one(request, order_view(request, tenant, record.data, lines=False))


@simulator.endpoint(methods=("GET",))
def sales_order_complete(request, order_id):
    tenant = request.sandbox_tenant
    record = _live_order(request, tenant, order_id)
    return store.one(request, order_view(request, tenant, record.data, lines=True))


@simulator.endpoint(methods=("GET",))
def sales_order_lines(request, order_id):
    record = _live_order(request, request.sandbox_tenant, order_id)
    return store.listing(request, [public(line) for line in record.data["SalesOrderLines"]])


# -- sending ------------------------------------------------------------------------------------

@simulator.endpoint(methods=("POST",))
def create_and_send_invoice(request, order_id):
    tenant = request.sandbox_tenant
    store.require_privilege(request, "SalesOrders_Full")
    if SEND_INVOICE_PRIVILEGE in tenant.data.get("InvalidPrivileges", []):
        fail(request, 400, "Missing privilege",
             "The integration does not have the required privileges to send invoices.")
    data = json_body(request, fields.SEND_INVOICE_REQUEST_POST, optional=True)
    requested = data.get("DeliveryType") or "Auto"
    voucher_date = store.parse_day(data.get("VoucherDate")) or store.today()
    override = store.parse_day(data.get("OverrideDueDate"))
    if override is not None and override < voucher_date:
        invalid(request, "OverrideDueDate", "OverrideDueDate cannot be before the voucher date.")
    email = (data.get("EmailAddress") or "").strip() or None
    if email and not all(part.strip() and "@" in part for part in email.split(";")):
        invalid(request, "EmailAddress", f"'{email}' is not a valid e-mail address.")
    with transaction.atomic():
        store.lock_company(tenant)
        record = store.find(tenant, SALES_ORDER, order_id.lower())
        if record is None:
            not_found(request, f"Sales order with id = {order_id} not found.")
        order = record.data
        if order.get("_InvoicedAt"):
            fail(request, 400, "Sales order already sent",
                 f"Sales order {order['SalesOrderNo']} has already been sent as an invoice "
                 f"and cannot be sent again.")
        if not any(line["LineType"] == "Normal" for line in order["SalesOrderLines"]):
            fail(request, 400, "Sales order cannot be sent",
                 f"Sales order {order['SalesOrderNo']} has no lines to invoice.")
        ledger.post_invoice(tenant, order, requested=requested, email=email,
                            voucher_date=voucher_date, override_due_date=override,
                            created_by=request.sandbox_token.client_id)
        now = store.stamp()
        order.update({"_InvoicedAt": now, "LastChangedDateTimeOffset": now})
        record.save()
    location = request.build_absolute_uri(
        f"{store.site_path(request)}/v2/SalesOrders/sentState?id={order['Id']}")
    body = {"Id": order["Id"], "DeliveryType": requested, "EmailAddress": email,
            "VoucherDate": voucher_date.isoformat(),
            "OverrideDueDate": override.isoformat() if override else None}
    return JsonResponse(body, status=202, headers={"Location": location})


@simulator.endpoint(methods=("GET",))
def sent_state(request):
    tenant = request.sandbox_tenant
    raw = (store.params(request).get("id") or "").strip()
    if not raw:
        invalid(request, "id", "The id field is required.")
    if not fields.is_uuid(raw):
        invalid(request, "id", f"The value '{raw}' is not valid.")
    with transaction.atomic():
        store.lock_company(tenant)
        invoice = store.find(tenant, INVOICE, raw.lower())
        if invoice is None:
            if store.find(tenant, SALES_ORDER, raw.lower()) is not None:
                return HttpResponse(status=204)
            not_found(request, f"Sales order with id = {raw} not found.")
        state = ledger.sent_state(invoice)
    return JsonResponse([state], safe=False)


# -- outgoing invoices and the customer ledger ---------------------------------------------------

def _settled_invoices(tenant):
    """The client's invoices, each with its delivery moved on if its time has come."""
    found = list(store.records(tenant, INVOICE))
    for record in found:
        ledger.settle_delivery(record)
    return [record.data for record in found]


def _id_list(request, name, value):
    ids = store.text_list(value)
    for item in ids:
        if not fields.is_uuid(item):
            invalid(request, name, f"The value '{item}' is not a valid id.")
    return {item.lower() for item in ids}


@simulator.endpoint(methods=("GET",))
def outgoing_invoices(request):
    tenant = request.sandbox_tenant
    query = store.params(request)
    rows = _settled_invoices(tenant)
    for parameter, field in (("invoiceNos", "InvoiceNo"), ("voucherNos", "VoucherNo"),
                             ("customerNos", "CustomerNo")):
        accepts = store.number_filter(request, parameter, query.get(parameter.lower()))
        if accepts is not None:
            rows = [row for row in rows if accepts(row.get(field))]
    ids = _id_list(request, "invoiceIds", query.get("invoiceids"))
    if ids:
        rows = [row for row in rows if row["Id"].lower() in ids]
    references = {item.casefold()
                  for item in store.text_list(query.get("custommatchingreferences"))}
    if references:
        rows = [row for row in rows
                if (row.get("CustomMatchingReference") or "").casefold() in references]
    if store.bool_param(request, "onlyUnpaidInvoices", query.get("onlyunpaidinvoices")):
        rows = [row for row in rows if row["Balance"] != 0]
    if store.bool_param(request, "onlyCreatedByCurrentIntegration",
                        query.get("onlycreatedbycurrentintegration")):
        rows = [row for row in rows if row["_CreatedBy"] == request.sandbox_token.client_id]
    first = store.day_param(request, "fromDate", query.get("fromdate"))
    last = store.day_param(request, "toDate", query.get("todate"))
    if first:
        rows = [row for row in rows if store.parse_day(row["VoucherDate"]) >= first]
    if last:
        rows = [row for row in rows if store.parse_day(row["VoucherDate"]) <= last]
    rows = store.code_filter(rows, query.get("projectcodes"), "ProjectCode")
    rows = store.code_filter(rows, query.get("departmentcodes"), "DepartmentCode")
    for parameter, field in (
            ("balanceLastChangedDateTimeOffsetGreaterThan", "BalanceLastChangedDateTimeOffset"),
            ("sentDateTimeOffsetGreaterThan", "SentDateTimeOffset")):
        moment = store.stamp_param(request, parameter, query.get(parameter.lower()))
        rows = store.changed_after(rows, moment, field=field)
    return store.listing(request, [public(row, request) for row in rows])


def _invoice(request, tenant, invoice_id):
    record = store.find(tenant, INVOICE, invoice_id.lower())
    if record is None:
        not_found(request, f"Outgoing invoice with id = {invoice_id} not found.")
    ledger.settle_delivery(record)
    return record.data


@simulator.endpoint(methods=("GET",))
def outgoing_invoice(request, invoice_id):
    invoice = _invoice(request, request.sandbox_tenant, invoice_id)
    return store.one(request, public(invoice, request))


@simulator.endpoint(methods=("GET",))
def outgoing_invoice_lines(request, invoice_id):
    invoice = _invoice(request, request.sandbox_tenant, invoice_id)
    return store.listing(request, invoice["_Lines"])


@simulator.endpoint(methods=("GET",))
def entries_by_match_id(request):
    tenant = request.sandbox_tenant
    raw = (store.params(request).get("matchid") or "").strip()
    if not raw:
        invalid(request, "matchId", "The matchId field is required.")
    try:
        match_id = int(raw)
    except ValueError:
        invalid(request, "matchId", f"The value '{raw}' is not valid.")
    rows = [row for row in store.all_data(tenant, LEDGER_ENTRY) if row["MatchId"] == match_id]
    if not rows:
        not_found(request, f"Match with id = {match_id} not found.")
    return store.listing(request, [public(row, request) for row in rows])
