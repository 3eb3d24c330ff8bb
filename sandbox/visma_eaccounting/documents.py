"""What invoice drafts and invoices share: rows priced from their articles, VAT from each
article's coding (`/articleaccountcodings`; rows take no VAT code [visma-eaccounting.md 6.7]),
totals computed by the server, and the header filled in from the customer.

How the totals come about (the expected-totals guard of `convert` compares against these):
- a row's amount is Quantity x UnitPrice x (1 - DiscountPercentage), rounded to öre;
- VAT is computed per VAT rate on the sum of that rate's rows (the invoice's
  `VatSpecification`), so it can differ by an öre from the sum of per-row VAT;
- when `IncludesVat` (a private-person customer while the company does not show prices
  excluding VAT for private persons), unit prices include VAT and VAT is taken out of them;
- Swedish invoices in SEK are rounded to whole kronor (`DomesticCurrencyRounding` 1); the
  difference is `TotalRoundings`.
A row is VAT free with reverse charge on construction services: a draft row with
`ReversedConstructionServicesVatFree` for a customer with `ReverseChargeOnConstructionServices`,
an invoice row with `IsVatFree` [visma-eaccounting.md 6.2]. Quantities and domestic unit
prices take at most two decimals, discounts four (0 to 1) [SPEC23].
"""

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sandbox.visma_eaccounting import errors, store

ZERO = Decimal("0")


def customer_of(tenant, data):
    customer = store.find(tenant, "customer", str(data["CustomerId"]).lower())
    if customer is None:
        errors.unknown_reference("CustomerId", "Customer")
    return customer


def company(tenant):
    return tenant.data.get("CompanySettings", {})


def includes_vat(tenant, customer):
    return bool(customer.data.get("IsPrivatePerson")) and not company(tenant).get(
        "ShowPricesExclVatPC", False)


def _decimal(row, name, places, index, default=ZERO):
    value = row.get(name)
    if value is None:
        return default
    number = Decimal(str(value))
    if -number.as_tuple().exponent > places:
        errors.invalid((f"Rows[{index}].{name}", f"At most {places} decimals are allowed."))
    return number


def build_rows(tenant, rows, *, customer, draft, replace_zero=False):
    """(rows as stored, [(rate, amount, row)]) for the request's rows; amounts are net, or
    gross when the document includes VAT."""
    reverse_charge = bool(customer.data.get("ReverseChargeOnConstructionServices"))
    domestic = customer.data.get("CurrencyCode", "SEK") == "SEK"
    built, priced = [], []
    for index, row in enumerate(rows):
        row = {key: value for key, value in row.items() if value is not None}
        article_id = row.get("ArticleId")
        text_row = row.get("IsTextRow", False) if draft else not article_id
        if text_row:
            if not row.get("Text"):
                errors.invalid((f"Rows[{index}].Text", "A text row needs a Text."))
            built.append({"Id": str(uuid.uuid4()), "LineNumber": index + 1, "IsTextRow": True,
                          "Text": row["Text"], **({"ReversedConstructionServicesVatFree": False}
                                                  if draft else {})})
            continue
        if not article_id:
            errors.invalid((f"Rows[{index}].ArticleId", "ArticleId is required unless the "
                                                        "row is a text row."))
        article = store.find(tenant, "article", str(article_id).lower())
        if article is None:
            errors.unknown_reference(f"Rows[{index}].ArticleId", "Article")
        coding = store.find(tenant, "articleaccountcoding", article.data["CodingId"])
        quantity = _decimal(row, "Quantity", 2, index, Decimal("1"))
        price = _decimal(row, "UnitPrice", 2 if domestic else 4, index, None)
        if price is None or (price == 0 and replace_zero):
            price = Decimal(str(article.data.get("NetPrice") or 0))
        discount = _decimal(row, "DiscountPercentage", 4, index)
        if not ZERO <= discount <= 1:
            errors.invalid((f"Rows[{index}].DiscountPercentage", "The discount is a fraction "
                                                                 "from 0 to 1."))
        vat_free = (row.get("ReversedConstructionServicesVatFree", False) and reverse_charge
                    if draft else row.get("IsVatFree", False))
        rate = ZERO if vat_free else Decimal(str(coding.data.get("VatRatePercent") or 0))
        amount = store.money(quantity * price * (1 - discount))
        stored = {**row, "Id": str(uuid.uuid4()), "LineNumber": index + 1, "IsTextRow": False,
                  "ArticleId": article.remote_id, "ArticleNumber": article.data["Number"],
                  "Text": row.get("Text") or article.data["Name"], "Quantity": float(quantity),
                  "UnitPrice": float(price), "DiscountPercentage": float(discount),
                  "UnitId": article.data["UnitId"],
                  "UnitAbbreviation": article.data.get("UnitAbbreviation"),
                  "IsServiceArticle": article.data.get("IsServiceArticle", False),
                  "IsWorkCost": row.get("IsWorkCost", False)}
        if draft:
            stored.update(VatRateId=coding.remote_id, UnitName=article.data.get("UnitName"),
                          ReversedConstructionServicesVatFree=bool(
                              row.get("ReversedConstructionServicesVatFree")))
        else:
            stored.update(IsVatFree=bool(vat_free), PercentVat=float(rate))
        built.append(stored)
        priced.append((rate, amount, stored))
    return built, priced


def totals(tenant, priced, *, gross, currency):
    """Totals, per-rate VAT and per-row amounts for the rows `build_rows` priced."""
    by_rate = {}
    for rate, amount, _row in priced:
        by_rate[rate] = by_rate.get(rate, ZERO) + amount
    net_total = vat_total = ZERO
    specification = []
    for rate, amount in sorted(by_rate.items()):
        vat = store.money(amount * rate / (1 + rate) if gross else amount * rate)
        net = amount - vat if gross else amount
        net_total, vat_total = net_total + net, vat_total + vat
        specification.append({"AmountInvoiceCurrency": float(net),
                              "VatAmountInvoiceCurrency": float(vat),
                              "VatPercent": float(rate)})
    rows = {}
    for rate, amount, row in priced:
        net = store.money(amount / (1 + rate)) if gross else amount
        rows[row["LineNumber"]] = (net, amount if gross else store.money(amount * (1 + rate)))
    unrounded = net_total + vat_total
    total = unrounded
    if currency == "SEK" and company(tenant).get("DomesticCurrencyRounding", 1) == 1:
        total = unrounded.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return {"total": total, "vat": vat_total, "roundings": total - unrounded,
            "net": net_total, "specification": specification, "rows": rows}


def header(tenant, data, customer):
    """The customer's values for what the request leaves out, and the read-only facts."""
    c = customer.data
    terms_id = data.get("TermsOfPaymentId") or c.get("TermsOfPaymentId")
    terms = store.find(tenant, "termsofpayment", str(terms_id).lower())
    if terms is None:
        errors.unknown_reference("TermsOfPaymentId", "TermsOfPayment")
    filled = {
        "CustomerId": customer.remote_id, "CustomerName": c["Name"],
        "CustomerNumber": c.get("CustomerNumber"), "InvoiceCustomerName": c["Name"],
        "CustomerIsPrivatePerson": bool(c.get("IsPrivatePerson")),
        "ReverseChargeOnConstructionServices": bool(
            c.get("ReverseChargeOnConstructionServices")),
        "InvoiceAddress1": data.get("InvoiceAddress1") or c.get("InvoiceAddress1"),
        "InvoiceAddress2": data.get("InvoiceAddress2") or c.get("InvoiceAddress2"),
        "InvoicePostalCode": data.get("InvoicePostalCode") or c.get("InvoicePostalCode"),
        "InvoiceCity": data.get("InvoiceCity") or c.get("InvoiceCity"),
        "InvoiceCountryCode": data.get("InvoiceCountryCode") or c.get("InvoiceCountryCode"),
        "IncludesVat": includes_vat(tenant, customer), "IsDirectDebit": False,
    }
    return filled, terms


def due_date(invoice_date, terms):
    return invoice_date + timedelta(days=int(terms.data.get("NumberOfDays") or 0))


def check_not_future(invoice_date, field="InvoiceDate"):
    if invoice_date > store.today():
        errors.fail(400, errors.CANNOT_BE_CREATED_OR_UPDATED,
                    "CanNotBeCreatedOrUpdated - The invoice date cannot be in the future.",
                    errors=[errors.field_error(field, "The date is in the future.",
                                               errors.CANNOT_BE_CREATED_OR_UPDATED)])


def check_open_period(tenant, invoice_date):
    """4013 when the date lies in the company's locked accounting period."""
    locked_to = company(tenant).get("AccountingLockedTo")
    if locked_to and invoice_date.isoformat() <= locked_to[:10]:
        errors.fail(400, errors.CANNOT_BOOKKEEP_INVOICE,
                    f"CannotBookkeepInvoice - The accounting period is locked up to "
                    f"{locked_to[:10]}.")
