"""Invoices, offers and invoice payments: the resources with rows, totals and a life cycle.

A document's rows take what they leave out from the article (description, price, unit,
account, VAT) and then from the company's predefined sales accounts; every account must be in
the chart (2001304). Totals are computed as Fortnox shows them: `Net` (rows without VAT),
`TotalVAT`, `Gross`, `Total` rounded to whole kronor with the difference in `RoundOff`.
An invoice's `Balance` is its Total less its payments; `FinalPayDate` is the date of the
payment that settled it (empty while anything is left to pay). Booked or cancelled invoices
cannot be changed, and dates inside the locked period are refused.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from sandbox.fortnox import errors, fields, store
from sandbox.fortnox.resources import (
    VAT_RATES,
    Resource,
    require_account,
    require_choice,
    require_existing,
)

HUNDRED = Decimal("100")
REVERSE_CHARGE = {"SEREVERSEDVAT": "SALES_SE_REVERSED_VAT", "EUREVERSEDVAT": "SALES_EU_SERVICES",
                  "EXPORT": "SALES_EXPORT"}
SALES_BY_RATE = {25: "SALES_25_SE", 12: "SALES_12_SE", 6: "SALES_6_SE", 0: "SALES_0_SE"}

# What a new document copies from its customer, for fields the request leaves out.
CUSTOMER_FIELDS = {"CustomerName": "Name", "Address1": "Address1", "Address2": "Address2",
                   "ZipCode": "ZipCode", "City": "City", "Country": "Country",
                   "Phone1": "Phone1", "Phone2": "Phone2", "Currency": "Currency",
                   "TermsOfPayment": "TermsOfPayment", "YourReference": "YourReference",
                   "OurReference": "OurReference", "PriceList": "PriceList",
                   "DeliveryName": "DeliveryName", "DeliveryAddress1": "DeliveryAddress1",
                   "DeliveryAddress2": "DeliveryAddress2", "DeliveryCity": "DeliveryCity",
                   "DeliveryZipCode": "DeliveryZipCode", "DeliveryCountry": "DeliveryCountry",
                   "OrganisationNumber": "OrganisationNumber"}


def predefined_account(tenant, name):
    return tenant.data.get("PredefinedAccounts", {}).get(name)


def locked_until(tenant):
    return tenant.data.get("LockedPeriodEnd") or ""


def check_not_locked(tenant, day, field):
    end = locked_until(tenant)
    if day and end and day <= end:
        errors.bad_request(errors.LOCKED_PERIOD,
                           f"Datumet {day} ({field}) ligger i en låst period (t.o.m. {end}).")


def ocr_for(number):
    """The document number with a Luhn check digit, as Swedish OCR references carry."""
    digits = [int(char) for char in str(number) if char.isdigit()]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def terms_days(terms):
    return int(terms) if str(terms).isdigit() else 30


class Document(Resource):
    """Invoices and offers: rows with articles, accounts, VAT, and totals."""

    rows_field = quantity_field = date_field = ""
    row_shape = None
    row_payload = None

    def customer(self, tenant, number):
        if number in (None, ""):
            errors.required("CustomerNumber")
        return require_existing(tenant, "customer", number, "kund")

    def create(self, tenant, data):
        data = self.incoming(data)
        customer = self.customer(tenant, data.get("CustomerNumber"))
        number = data.get("DocumentNumber")
        if number not in (None, ""):
            number = str(number)
            if not number.isdigit():
                errors.bad_request(errors.NO_VALID_IDENTIFIER,
                                   "A valid identifier was not provided.")
            if store.exists(tenant, self.kind, number):
                self.number_in_use(number)
        else:
            number = store.next_free_number(tenant, self.kind)
        rows = data.pop(self.rows_field, None) or []
        entity = store.fill(self.entity, {**self.create_defaults, **data})
        for field, source in CUSTOMER_FIELDS.items():
            if field in self.entity.names and not entity.get(field):
                entity[field] = customer.data.get(source, "")
        entity["DocumentNumber"] = number
        entity[self.rows_field] = self.build_rows(tenant, customer, rows, [],
                                                  entity.get("VATIncluded"))
        return self.store_new(tenant, number, self.complete(tenant, entity, previous=None))

    def update(self, tenant, record, data):
        data = self.incoming(data)
        data.pop("DocumentNumber", None)
        self.check_editable(record)
        rows = data.pop(self.rows_field, None)
        entity = store.merge(self.entity, record.data, data)
        customer = self.customer(tenant, entity["CustomerNumber"])
        if data.get("CustomerNumber") not in (None, "", record.data.get("CustomerNumber")):
            entity["CustomerName"] = data.get("CustomerName") or customer.data.get("Name", "")
        if rows is not None:
            entity[self.rows_field] = self.build_rows(tenant, customer, rows,
                                                      record.data.get(self.rows_field, []),
                                                      entity.get("VATIncluded"))
        else:  # prices may have changed meaning (VATIncluded)
            entity[self.rows_field] = self.build_rows(tenant, customer, [],
                                                      entity.get(self.rows_field, []),
                                                      entity.get("VATIncluded"), keep=True)
        record.data = self.complete(tenant, entity, previous=record.data)
        record.save()
        return record

    # -- rows ------------------------------------------------------------------------------

    def build_rows(self, tenant, customer, incoming, existing, vat_included, *, keep=False):
        """Rows as Fortnox stores them after a POST or PUT. Without RowIds the request's rows
        replace all rows; with RowIds, listed rows are updated, rows without an id added and
        the others deleted. Every write of rows issues new RowIds."""
        def sent(row):
            return {name for name, value in row.items() if value not in (None, "")}

        if keep:
            merged = [(dict(row), set(row)) for row in existing]
        elif any(row.get("RowId") not in (None, "", 0) for row in incoming):
            by_id = {row.get("RowId"): row for row in existing}
            merged = []
            for row in incoming:
                row_id = row.get("RowId")
                if row_id in (None, "", 0):
                    merged.append((store.fill(self.row_shape, row), sent(row)))
                elif row_id in by_id:
                    kept = by_id[row_id]
                    merged.append((store.merge(self.row_shape, kept, row), set(kept)))
                else:
                    errors.bad_request(errors.NO_VALID_IDENTIFIER,
                                       f"A valid identifier was not provided. (RowId {row_id})")
        else:
            merged = [(store.fill(self.row_shape, row), sent(row)) for row in incoming]
        rows = []
        for row, given in merged:
            row = self.complete_row(tenant, customer, row, given, vat_included)
            if not keep:
                row["RowId"] = int(store.next_number(tenant, f"{self.kind}row"))
            rows.append(row)
        return rows

    def complete_row(self, tenant, customer, row, given, vat_included):
        """One row with what it left out (`given` names what the request set) filled in from
        its article and the company's predefined accounts, and its totals."""
        article = require_existing(tenant, "article", row.get("ArticleNumber"), "artikel")
        article_data = article.data if article else {}
        if article:
            row["Description"] = row.get("Description") or article_data.get("Description", "")
            row["Unit"] = row.get("Unit") or article_data.get("Unit", "")
            if "Price" not in given:
                row["Price"] = article_data.get("SalesPrice", 0)
        quantity = store.decimal(row.get(self.quantity_field), self.quantity_field)
        price = store.decimal(row.get("Price"), "Price")
        is_text_row = not article and not quantity and not price
        vat_type = customer.data.get("VATType", "SEVAT")
        require_choice(row.get("VATCode"), VAT_RATES, "VATCode")
        if vat_type in REVERSE_CHARGE:
            vat = 0
        elif "VATCode" in given:
            vat = VAT_RATES[row["VATCode"]]
        elif "VAT" in given:
            vat = int(row["VAT"])
        else:
            vat = int(Decimal(str(article_data.get("VAT") or 25)))
        if vat not in SALES_BY_RATE:
            errors.bad_request(errors.INVALID_VALUE, f"Kunde inte hitta moms ({vat} %).")
        row["VAT"] = vat
        if not row.get("VATCode") and vat_type not in REVERSE_CHARGE:
            row["VATCode"] = {25: "MP1", 12: "MP2", 6: "MP3", 0: "MF"}[vat]
        if not row.get("AccountNumber") and not is_text_row:
            reverse = REVERSE_CHARGE.get(vat_type)
            account = (predefined_account(tenant, reverse) if reverse else None) or (
                article_data.get("SalesAccount")) or predefined_account(
                tenant, SALES_BY_RATE[vat])
            row["AccountNumber"] = int(account) if account else 0
        require_account(tenant, row.get("AccountNumber"))
        discount = store.decimal(row.get("Discount"), "Discount")
        gross = quantity * price
        if row.get("DiscountType") == "AMOUNT":
            total = gross - discount
        else:
            row["DiscountType"] = "PERCENT"
            total = gross * (1 - discount / HUNDRED)
        factor = 1 + Decimal(vat) / HUNDRED
        row[self.quantity_field] = "" if is_text_row else store.plain(quantity)
        row["Price"] = store.money(price)
        row["Total"] = store.money(total)
        if "PriceExcludingVAT" in self.row_shape.names:
            row["PriceExcludingVAT"] = store.money(price / factor if vat_included else price)
            row["TotalExcludingVAT"] = store.money(total / factor if vat_included else total)
        return row

    # -- totals ----------------------------------------------------------------------------

    def totals(self, entity):
        vat_included = entity.get("VATIncluded")
        net = vat_total = Decimal("0")
        for row in entity.get(self.rows_field, []):
            total = Decimal(str(row.get("Total") or 0))
            factor = 1 + Decimal(row.get("VAT") or 0) / HUNDRED
            excluding = total / factor if vat_included else total
            net += excluding
            vat_total += excluding * (factor - 1)
        freight = store.decimal(entity.get("Freight"), "Freight")
        fee = store.decimal(entity.get("AdministrationFee"), "AdministrationFee")
        fees_vat = (freight + fee) * Decimal("0.25")
        net = net.quantize(store.CENT, ROUND_HALF_UP)
        vat_total = (vat_total + fees_vat).quantize(store.CENT, ROUND_HALF_UP)
        gross = net + freight + fee
        total = (gross + vat_total).quantize(Decimal("1"), ROUND_HALF_UP)
        entity.update(Net=store.money(net), Gross=store.money(gross),
                      TotalVAT=store.money(vat_total), Total=store.money(total),
                      RoundOff=store.money(total - gross - vat_total),
                      FreightVAT=store.money(freight * Decimal("0.25")),
                      AdministrationFeeVAT=store.money(fee * Decimal("0.25")))
        if "TotalToPay" in self.entity.names:
            entity["TotalToPay"] = store.money(total)
        return total


class Invoices(Document):
    kind, path, single, plural = "invoice", "invoices", "Invoice", "Invoices"
    id_field, scope, what = "DocumentNumber", "invoice", "fakturan"
    payload, entity = fields.INVOICE_PAYLOAD, fields.INVOICE
    rows_field, quantity_field, date_field = "InvoiceRows", "DeliveredQuantity", "InvoiceDate"
    row_shape = fields.INVOICE_ROW
    computed = frozenset({"CreditInvoiceReference"})
    create_defaults = {"InvoiceType": "INVOICE", "Language": "SV", "CurrencyRate": 1,
                       "CurrencyUnit": 1, "Credit": "false", "AccountingMethod": "ACCRUAL"}
    searches = {"customernumber": "CustomerNumber", "customername": "CustomerName",
                "documentnumber": "DocumentNumber", "ocr": "OCR", "project": "Project",
                "costcenter": "CostCenter", "ourreference": "OurReference",
                "yourreference": "YourReference", "yourordernumber": "YourOrderNumber",
                "externalinvoicereference1": "ExternalInvoiceReference1",
                "externalinvoicereference2": "ExternalInvoiceReference2",
                "invoicetype": "InvoiceType", "currency": "Currency"}
    dates = {"fromdate": ("InvoiceDate", ">="), "todate": ("InvoiceDate", "<="),
             "fromfinalpaydate": ("FinalPayDate", ">="), "tofinalpaydate": ("FinalPayDate", "<=")}
    filters = {
        "cancelled": lambda data: data.get("Cancelled"),
        "fullypaid": lambda data: not data.get("Cancelled") and data.get("Balance") == 0
        and bool(data.get("FinalPayDate")),
        "unpaid": lambda data: not data.get("Cancelled") and data.get("Balance") != 0,
        "unpaidoverdue": lambda data: not data.get("Cancelled") and data.get("Balance") != 0
        and (data.get("DueDate") or "9999") < store.today().isoformat(),
        "unbooked": lambda data: not data.get("Cancelled") and not data.get("Booked"),
    }
    sorts = {"customername": "CustomerName", "customernumber": "CustomerNumber",
             "documentnumber": "DocumentNumber", "invoicedate": "InvoiceDate", "ocr": "OCR",
             "total": "Total"}

    def check_editable(self, record):
        if record.data.get("Booked"):
            errors.bad_request(errors.DOCUMENT_LOCKED, f"Faktura {record.remote_id} är bokförd "
                                                       "och kan inte ändras.")
        if record.data.get("Cancelled"):
            errors.bad_request(errors.DOCUMENT_LOCKED, f"Faktura {record.remote_id} är makulerad "
                                                       "och kan inte ändras.")

    def complete(self, tenant, entity, previous):
        require_choice(entity.get("InvoiceType"), ("INVOICE", "AGREEMENTINVOICE",
                                                   "INTRESTINVOICE", "SUMMARYINVOICE",
                                                   "CASHINVOICE"), "InvoiceType")
        entity["InvoiceDate"] = entity.get("InvoiceDate") or store.today().isoformat()
        if previous is None or entity["InvoiceDate"] != previous.get("InvoiceDate"):
            check_not_locked(tenant, entity["InvoiceDate"], "InvoiceDate")
        entity["TermsOfPayment"] = entity.get("TermsOfPayment") or "30"
        if not entity.get("DueDate"):
            entity["DueDate"] = store.add_days(entity["InvoiceDate"],
                                               terms_days(entity["TermsOfPayment"]))
        require_existing(tenant, "project", entity.get("Project"), "projekt")
        entity["OCR"] = entity.get("OCR") or ocr_for(entity["DocumentNumber"])
        total = self.totals(entity)
        settle(tenant, entity, total)
        return entity

    # -- actions ---------------------------------------------------------------------------

    def bookkeep(self, tenant, record):
        if record.data.get("Cancelled"):
            self.check_editable(record)
        if record.data.get("Booked"):
            errors.bad_request(errors.DOCUMENT_LOCKED,
                               f"Faktura {record.remote_id} är redan bokförd.")
        year = int(record.data["InvoiceDate"][:4])
        record.data.update(Booked=True, VoucherSeries="B", VoucherYear=year,
                           VoucherNumber=int(store.next_number(tenant, f"voucher-B-{year}")))
        record.save()
        return record

    def cancel(self, tenant, record):
        if record.data.get("Booked"):
            errors.bad_request(errors.DOCUMENT_LOCKED, f"Faktura {record.remote_id} är bokförd "
                                                       "och kan inte makuleras; kreditera den.")
        self.check_editable(record)
        if payments_of(tenant, record.remote_id):
            errors.bad_request(errors.DOCUMENT_LOCKED, f"Faktura {record.remote_id} har "
                                                       "betalningar och kan inte makuleras.")
        record.data["Cancelled"] = True
        record.save()
        return record

    def credit(self, tenant, record):
        """A credit invoice for the whole of a booked invoice; both refer to each other."""
        if not record.data.get("Booked") or record.data.get("Cancelled"):
            errors.bad_request(errors.DOCUMENT_LOCKED, f"Faktura {record.remote_id} måste vara "
                                                       "bokförd för att kunna krediteras.")
        if record.data.get("CreditInvoiceReference") not in ("", "0", None):
            errors.bad_request(errors.DOCUMENT_LOCKED,
                               f"Faktura {record.remote_id} är redan krediterad.")
        original = record.data
        skip = {"DocumentNumber", "InvoiceRows", "Booked", "Cancelled", "Sent", "Balance",
                "FinalPayDate", "OCR", "VoucherNumber", "VoucherSeries", "VoucherYear",
                "InvoiceDate", "DueDate"}
        rows = []
        for row in original.get("InvoiceRows", []):
            quantity = store.decimal(row.get("DeliveredQuantity"), "DeliveredQuantity")
            rows.append({name: value for name, value in row.items()
                         if name in fields.INVOICE_ROW_PAYLOAD.names and name != "RowId"}
                        | {"DeliveredQuantity": store.plain(-quantity) if row.get(
                            "DeliveredQuantity") else ""})
        header = {name: value for name, value in original.items()
                  if name in fields.INVOICE_PAYLOAD.names and name not in skip}
        with transaction.atomic():
            credit = self.create(tenant, {**header, "InvoiceRows": rows})
            credit.data.update(Credit="true", CreditInvoiceReference=record.remote_id)
            credit.save()
            record.data["CreditInvoiceReference"] = credit.remote_id
            record.save()
        return record


class Offers(Document):
    kind, path, single, plural = "offer", "offers", "Offer", "Offers"
    id_field, scope, what = "DocumentNumber", "offer", "offerten"
    payload = entity = fields.OFFER
    rows_field, quantity_field, date_field = "OfferRows", "Quantity", "OfferDate"
    row_shape = fields.OFFER_ROW
    computed = frozenset({"AdministrationFeeVAT", "BasisTaxReduction", "Cancelled",
                          "ContributionPercent", "ContributionValue", "FreightVAT", "Gross",
                          "Net", "RoundOff", "Sent", "TaxReduction", "Total", "TotalToPay",
                          "TotalVAT", "InvoiceReference", "OrderReference",
                          "@urlTaxReductionList"})
    create_defaults = {"Language": "SV", "CurrencyRate": 1, "CurrencyUnit": 1}
    searches = {"customernumber": "CustomerNumber", "customername": "CustomerName",
                "documentnumber": "DocumentNumber", "project": "Project",
                "costcenter": "CostCenter", "ourreference": "OurReference",
                "yourreference": "YourReference"}
    dates = {"fromdate": ("OfferDate", ">="), "todate": ("OfferDate", "<=")}
    filters = {
        "cancelled": lambda data: data.get("Cancelled"),
        "expired": lambda data: not data.get("Cancelled")
        and (data.get("ExpireDate") or "9999") < store.today().isoformat(),
        "ordercreated": lambda data: bool(data.get("OrderReference")),
        "ordernotcreated": lambda data: not data.get("OrderReference"),
        "completed": lambda data: not data.get("NotCompleted"),
        "notcompleted": lambda data: bool(data.get("NotCompleted")),
    }
    sorts = {"customername": "CustomerName", "customernumber": "CustomerNumber",
             "documentnumber": "DocumentNumber", "offerdate": "OfferDate", "total": "Total"}

    def check_editable(self, record):
        if record.data.get("Cancelled"):
            errors.bad_request(errors.DOCUMENT_LOCKED, f"Offert {record.remote_id} är makulerad "
                                                       "och kan inte ändras.")

    def complete(self, tenant, entity, previous):
        entity["OfferDate"] = entity.get("OfferDate") or store.today().isoformat()
        entity["ExpireDate"] = entity.get("ExpireDate") or store.add_days(entity["OfferDate"], 30)
        require_existing(tenant, "project", entity.get("Project"), "projekt")
        self.totals(entity)
        return entity

    def cancel(self, tenant, record):
        self.check_editable(record)
        record.data["Cancelled"] = True
        record.save()
        return record


# -- payments ----------------------------------------------------------------------------------

def payments_of(tenant, invoice_number):
    return [record for record in store.records(tenant, "invoicepayment")
            if str(record.data.get("InvoiceNumber")) == str(invoice_number)]


def settle(tenant, invoice, total=None):
    """Balance and FinalPayDate of `invoice` (its data) from its payments."""
    total = Decimal(str(invoice.get("Total") or 0)) if total is None else total
    payments = payments_of(tenant, invoice["DocumentNumber"])
    paid = sum((Decimal(str(p.data.get("Amount") or 0)) for p in payments), Decimal("0"))
    balance = total - paid
    invoice["Balance"] = store.money(balance)
    if payments and balance == 0:
        invoice["FinalPayDate"] = max(p.data.get("PaymentDate") or "" for p in payments)
    else:
        invoice["FinalPayDate"] = None
    return balance


def register_payment(tenant, invoice_number, amount, payment_date, extra=None):
    """Record a customer payment on an invoice, as Fortnox's payment registration does (the
    API's POST 3/invoicepayments and the accountant page both come here), and move the
    invoice's Balance, FinalPayDate and modification time. Returns the payment record."""
    amount = Decimal(str(amount))
    payment_date = (payment_date.isoformat() if isinstance(payment_date, date)
                    else str(payment_date or store.today().isoformat()))
    store.parse_date(payment_date, "PaymentDate")
    with transaction.atomic():
        invoice = store.records(tenant, "invoice").select_for_update().filter(
            remote_id=str(invoice_number)).first()
        if invoice is None:
            errors.unknown_reference(f"faktura {invoice_number}")
        data = invoice.data
        if data.get("Cancelled"):
            errors.bad_request(errors.DOCUMENT_LOCKED, f"Faktura {invoice_number} är makulerad.")
        check_not_locked(tenant, payment_date, "PaymentDate")
        balance = settle(tenant, data)
        if amount == 0 or (amount > 0) != (balance > 0) or abs(amount) > abs(balance):
            errors.bad_request(errors.PAYMENT_REFUSED,
                               f"Beloppet {amount} kan inte betalas på faktura {invoice_number} "
                               f"(kvar att betala: {balance}).")
        number = store.next_free_number(tenant, "invoicepayment")
        payment = store.fill(fields.INVOICE_PAYMENT, {
            **(extra or {}),
            "Number": number, "InvoiceNumber": int(invoice_number), "Amount": float(amount),
            "AmountCurrency": float(amount), "PaymentDate": payment_date, "Booked": False,
            "Currency": data.get("Currency") or "SEK", "CurrencyRate": 1, "CurrencyUnit": 1,
            "InvoiceCustomerName": data.get("CustomerName", ""),
            "InvoiceCustomerNumber": data.get("CustomerNumber", ""),
            "InvoiceDueDate": data.get("DueDate"), "InvoiceOCR": data.get("OCR", ""),
            "InvoiceTotal": str(data.get("Total")),
            "ExternalInvoiceReference1": data.get("ExternalInvoiceReference1", ""),
            "ExternalInvoiceReference2": data.get("ExternalInvoiceReference2", ""),
            "Source": (extra or {}).get("Source") or "manual",
        })
        payment["ModeOfPaymentAccount"] = payment.get("ModeOfPaymentAccount") or 1930
        require_account(tenant, payment["ModeOfPaymentAccount"], "ModeOfPaymentAccount")
        record = store.create(tenant, "invoicepayment", number, payment)
        settle(tenant, data)
        invoice.save()
        return record


class InvoicePayments(Resource):
    kind, path = "invoicepayment", "invoicepayments"
    single, plural = "InvoicePayment", "InvoicePayments"
    id_field, scope, what = "Number", "payment", "betalningen"
    payload = entity = fields.INVOICE_PAYMENT
    exact = {"invoicenumber": "InvoiceNumber"}
    sorts = {"paymentdate": "PaymentDate"}
    item_methods = ("GET",)

    def list_item(self, root, record):
        item = super().list_item(root, record)
        item["WriteOffExist"] = bool(record.data.get("WriteOffs"))
        return item

    def create(self, tenant, data):
        if data.get("InvoiceNumber") in (None, ""):
            errors.bad_request(errors.NO_VALID_IDENTIFIER, "A valid identifier was not provided. "
                                                           "(InvoiceNumber)")
        amount = data.get("Amount")
        if amount in (None, ""):
            errors.required("Amount")
        extra = {name: data[name] for name in ("ModeOfPayment", "ModeOfPaymentAccount",
                                               "WriteOffs", "Source") if data.get(name)}
        return register_payment(tenant, data["InvoiceNumber"], store.decimal(amount, "Amount"),
                                data.get("PaymentDate"), extra)

    def bookkeep(self, tenant, record):
        if record.data.get("Booked"):
            errors.bad_request(errors.DOCUMENT_LOCKED,
                               f"Betalning {record.remote_id} är redan bokförd.")
        year = int(record.data["PaymentDate"][:4])
        record.data.update(Booked=True, VoucherSeries="C", VoucherYear=year,
                           VoucherNumber=int(store.next_number(tenant, f"voucher-C-{year}")))
        record.save()
        return record
