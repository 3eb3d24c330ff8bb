"""Invoices in the Visma eAccounting simulator: drafts converted under the expected-totals
guard, direct invoices, VAT per rate, öre rounding, prices including VAT for private persons,
reverse charge on construction, `modifiedSinceUtc`, payments over the API and on the accountant
page, the payment status (paid, partly paid, overdue), partner resource links and scopes."""

from datetime import timedelta

import pytest

from sandbox.models import SandboxRecord
from sandbox.visma_eaccounting import identity
from sandbox.visma_eaccounting.seed import access_headers, ref_id
from tests.sandbox import test_visma_eaccounting as common
from tests.sandbox.test_visma_eaccounting import (
    BASE,
    Api,
    draft_body,
    error,
    new_customer,
    row,
)

# The shared fixtures (api, app, company, frozen), registered in this module too.
api_fixture = common.api_fixture
app_fixture = common.app_fixture
company_fixture = common.company_fixture
frozen_fixture = common.frozen_fixture


@pytest.fixture
def customer(api, company):
    return new_customer(api, company)


def bank_id(company):
    return ref_id(company, "bankaccount", "1930")


def make_draft(api, customer, rows, **extra):
    response = api.post("customerinvoicedrafts", draft_body(customer, rows, **extra))
    assert response.status_code == 201, response.content
    return response.json()


def invoice_row(company, *args, **kwargs):
    """A draft row without the draft-only fields."""
    return {key: value for key, value in row(company, *args, **kwargs).items()
            if key not in ("IsTextRow", "ReversedConstructionServicesVatFree")}


def make_invoice(api, customer, rows, **extra):
    body = draft_body(customer, [{k: v for k, v in r.items() if k not in (
        "IsTextRow", "ReversedConstructionServicesVatFree")} for r in rows], **extra)
    response = api.post("customerinvoices", body)
    assert response.status_code == 201, response.content
    return response.json()


def pay(api, company, invoice, amount, kind, day="2026-11-20"):
    return api.post(f"customerinvoices/{invoice['Id']}/payments", {
        "CompanyBankAccountId": bank_id(company), "PaymentAmount": amount,
        "PaymentCurrency": "SEK", "PaymentDate": day, "PaymentType": kind})


# -- drafts and convert ----------------------------------------------------------------------------

def test_a_draft_has_the_servers_totals_rounded_to_whole_kronor(api, company, customer):
    draft = make_draft(api, customer, [row(company, "ARB", 3),
                                       {"IsTextRow": True, "Text": "Kök, vecka 47",
                                        "ReversedConstructionServicesVatFree": False}])

    assert (draft["TotalAmount"], draft["TotalVatAmount"], draft["TotalRoundings"]) == (
        2438.0, 487.5, 0.5)
    assert [r["LineNumber"] for r in draft["Rows"]] == [1, 2]
    assert draft["Rows"][0]["UnitPrice"] == 650.0 and draft["Rows"][0]["Text"] == "Arbete snickare"
    assert draft["CustomerName"] == "Brf Eken" and draft["InvoiceCity"] == "Stockholm"
    assert draft["DueDate"] == "2026-12-20T00:00:00"


def test_convert_with_the_right_expected_totals_books_the_invoice(api, company, customer):
    draft = make_draft(api, customer, [row(company, "ARB", 3)])

    response = api.post(f"customerinvoicedrafts/{draft['Id']}/convert", {
        "TotalAmountInvoiceCurrency": 2438, "TotalVatAmountInvoiceCurrency": 487.5,
        "TotalRoundingsInvoiceCurrency": 0.5,
        "Rows": [{"LineNumber": 1, "TotalAmountNoVatInvoiceCurrency": 1950,
                  "TotalAmountIncVatInvoiceCurrency": 2437.5}]})

    assert response.status_code == 201, response.content
    invoice = response.json()
    assert invoice["InvoiceNumber"] == 1001 and invoice["OurReference"] == "hub-frost-invoice-7"
    assert invoice["PaymentStatus"] == 1 and invoice["RemainingAmount"] == 2438.0
    assert invoice["CreatedFromDraftId"] == draft["Id"]
    assert invoice["VatSpecification"] == [{"AmountInvoiceCurrency": 1950.0,
                                            "VatAmountInvoiceCurrency": 487.5, "VatPercent": 0.25}]
    assert api.get(f"customerinvoicedrafts/{draft['Id']}").status_code == 404
    assert api.get(f"customerinvoices/{invoice['Id']}").json()["TotalAmount"] == 2438.0


@pytest.mark.parametrize("expected, field", [
    # VAT summed per row (0.03 + 0.03) where Visma takes it per rate (25 % of 0.20).
    ({"TotalVatAmountInvoiceCurrency": 0.06}, "TotalVatAmountInvoiceCurrency"),
    ({"TotalRoundingsInvoiceCurrency": 0}, "TotalRoundingsInvoiceCurrency"),
    ({"Rows": [{"LineNumber": 2, "TotalAmountIncVatInvoiceCurrency": 0.12}]},
     "Rows[0].TotalAmountIncVatInvoiceCurrency"),
])
def test_convert_refuses_totals_that_drift_and_converts_nothing(api, company, customer,
                                                               expected, field):
    draft = make_draft(api, customer, [row(company, "MTRL", 1, 0.10),
                                       row(company, "MTRL", 1, 0.10)])

    response = api.post(f"customerinvoicedrafts/{draft['Id']}/convert", expected)

    assert response.status_code == 400
    assert [entry["Field"] for entry in error(response)["Errors"]] == [field]
    assert api.get(f"customerinvoicedrafts/{draft['Id']}").status_code == 200
    assert api.get("customerinvoices").json()["Meta"]["TotalNumberOfResults"] == 0


def test_convert_dates_the_invoice_today_unless_told_to_keep_the_drafts_date(api, company,
                                                                            customer):
    kept = make_draft(api, customer, [row(company)], InvoiceDate="2026-11-01")
    today = make_draft(api, customer, [row(company)], InvoiceDate="2026-11-01")

    kept = api.post(f"customerinvoicedrafts/{kept['Id']}/convert?keepOriginalDraftDate=true")
    today = api.post(f"customerinvoicedrafts/{today['Id']}/convert")

    assert kept.json()["InvoiceDate"] == "2026-11-01T00:00:00"
    assert today.json()["InvoiceDate"] == "2026-11-20T00:00:00"
    future = make_draft(api, customer, [row(company)], InvoiceDate="2026-12-01")
    refused = api.post(f"customerinvoicedrafts/{future['Id']}/convert")
    assert refused.status_code == 400 and error(refused)["ErrorCode"] == 4002


def test_a_draft_row_needs_an_existing_article_and_its_required_flags(api, company, customer):
    unknown = api.post("customerinvoicedrafts", draft_body(customer, [
        {"ArticleId": "00000000-0000-0000-0000-000000000009", "IsTextRow": False,
         "ReversedConstructionServicesVatFree": False}]))
    flags = api.post("customerinvoicedrafts", draft_body(customer, [
        {"ArticleId": ref_id(company, "article", "ARB")}]))

    assert error(unknown)["ErrorCode"] == 3000
    assert unknown.json()["Errors"][0]["Field"] == "Rows[0].ArticleId"
    assert {e["Field"] for e in error(flags)["Errors"]} == {
        "Rows[0].IsTextRow", "Rows[0].ReversedConstructionServicesVatFree"}


# -- direct invoices -------------------------------------------------------------------------------

def test_a_private_person_is_invoiced_with_prices_including_vat(api, company):
    person = new_customer(api, company, Name="Anna Svensson", IsPrivatePerson=True,
                          CorporateIdentityNumber="19800101-1234")
    invoice = make_invoice(api, person, [row(company, "ARB", 2, 500)])

    assert invoice["IncludesVat"] is True
    assert (invoice["TotalAmount"], invoice["TotalVatAmount"]) == (1000.0, 200.0)


def test_reverse_charge_on_construction_makes_the_row_vat_free(api, company):
    builder = new_customer(api, company, Name="Bygg & Co AB", VatNumber="SE556000000101",
                           ReverseChargeOnConstructionServices=True)
    draft = make_draft(api, builder, [row(company, "ARB", 2,
                                          ReversedConstructionServicesVatFree=True)])

    assert (draft["TotalAmount"], draft["TotalVatAmount"]) == (1300.0, 0.0)
    invoice = api.post(f"customerinvoicedrafts/{draft['Id']}/convert").json()
    assert invoice["Rows"][0]["IsVatFree"] is True and invoice["TotalVatAmount"] == 0.0


def test_created_from_draft_id_bookkeeps_that_draft(api, company, customer):
    draft = make_draft(api, customer, [row(company)])
    invoice = make_invoice(api, customer, [row(company)], CreatedFromDraftId=draft["Id"])

    assert invoice["CreatedFromDraftId"] == draft["Id"]
    assert api.get(f"customerinvoicedrafts/{draft['Id']}").status_code == 404


def test_future_and_locked_invoice_dates_are_refused(api, company, customer):
    future = api.post("customerinvoices", draft_body(customer, [invoice_row(company)],
                                                     InvoiceDate="2026-11-21"))
    company.data["CompanySettings"]["AccountingLockedTo"] = "2026-10-31T00:00:00"
    company.save(update_fields=["data"])
    locked = api.post("customerinvoices", draft_body(customer, [invoice_row(company)],
                                                     InvoiceDate="2026-10-15"))

    assert error(future)["ErrorCode"] == 4002
    assert error(locked)["ErrorCode"] == 4013
    assert not SandboxRecord.objects.filter(tenant=company, kind="customerinvoice").exists()


def test_modified_since_lists_invoices_changed_at_or_after_the_watermark(api, company, customer,
                                                                        frozen):
    first = make_invoice(api, customer, [row(company)])
    watermark = api.get("customerinvoices").json()["Meta"]["ServerTimeUtc"]
    frozen.shift(timedelta(seconds=1))
    second = make_invoice(api, customer, [row(company)])
    later = api.get("customerinvoices").json()["Meta"]["ServerTimeUtc"]
    frozen.shift(timedelta(seconds=1))

    def since(moment):
        listed = api.get("customerinvoices", modifiedSinceUtc=moment).json()["Data"]
        return [invoice["InvoiceNumber"] for invoice in listed]

    assert since(watermark) == [first["InvoiceNumber"], second["InvoiceNumber"]]
    assert since("2026-11-20T09:30:00.500Z") == [second["InvoiceNumber"]]
    assert pay(api, company, first, 100, 1).status_code == 201
    assert since(later) == [first["InvoiceNumber"], second["InvoiceNumber"]]
    assert error(api.get("customerinvoices", modifiedSinceUtc="igår"))["ErrorCode"] == 6001


# -- payments --------------------------------------------------------------------------------------

def test_payments_move_remaining_amount_status_and_payment_date(api, company, customer, frozen):
    invoice = make_invoice(api, customer, [row(company, "ARB", 2)])  # 1625 incl. VAT
    frozen.shift(timedelta(minutes=30))

    partial = pay(api, company, invoice, 625, 1)
    after_partial = api.get(f"customerinvoices/{invoice['Id']}").json()
    complete = pay(api, company, invoice, 1000, 2, day="2026-11-19")
    paid = api.get(f"customerinvoices/{invoice['Id']}").json()

    assert partial.status_code == 201 and partial.json()["PaymentAmount"] == 625.0
    assert (after_partial["RemainingAmount"], after_partial["PaymentStatus"]) == (1000.0, 1)
    assert "PaymentDate" not in after_partial
    assert after_partial["ModifiedUtc"] == "2026-11-20T10:00:00.000Z"
    assert complete.status_code == 201
    assert (paid["RemainingAmount"], paid["PaymentStatus"]) == (0.0, 0)
    assert paid["PaymentDate"] == "2026-11-19T00:00:00"
    customer_now = api.get(f"customers/{customer['Id']}").json()
    assert customer_now["UnpaidInvoicesAmount"] == 0


@pytest.mark.parametrize("amount, kind, day, code, field", [
    (2000, 1, "2026-11-20", 2000, "PaymentAmount"),
    (1625, 1, "2026-11-20", 2000, "PaymentType"),
    (100, 2, "2026-11-20", 2000, "PaymentType"),
    (100, 1, "2026-11-21", 4023, "PaymentDate"),
    (100, 7, "2026-11-20", 2000, "PaymentType"),
])
def test_a_payment_visma_would_refuse_is_refused(api, company, customer, amount, kind, day,
                                                 code, field):
    invoice = make_invoice(api, customer, [row(company, "ARB", 2)])

    response = pay(api, company, invoice, amount, kind, day)

    assert response.status_code == 400 and error(response)["ErrorCode"] == code
    assert response.json()["Errors"][0]["Field"] == field
    assert api.get(f"customerinvoices/{invoice['Id']}").json()["RemainingAmount"] == 1625.0


def test_an_unpaid_invoice_becomes_overdue_after_its_due_date(api, app, company, customer,
                                                              frozen):
    invoice = make_invoice(api, customer, [row(company)], DueDate="2026-11-25")
    pay(api, company, invoice, 100, 1)
    stamp = api.get(f"customerinvoices/{invoice['Id']}").json()["ModifiedUtc"]
    frozen.shift(timedelta(days=6))
    api.headers = access_headers(company, app.client_id)

    late = api.get(f"customerinvoices/{invoice['Id']}").json()

    assert late["PaymentStatus"] == 2 and late["ModifiedUtc"] == stamp
    overdue = api.get("customerinvoices", **{"$filter": "PaymentStatus eq 2"}).json()["Data"]
    assert [item["Id"] for item in overdue] == [invoice["Id"]]


def test_the_accountant_page_registers_a_payment_as_visma_does(client, api, company, customer,
                                                               frozen):
    invoice = make_invoice(api, customer, [row(company, "ARB", 2)])
    page = client.get(f"{BASE}/accountant/?tenant={company.external_id}")
    frozen.shift(timedelta(minutes=10))

    response = client.post(f"{BASE}/accountant/", {
        "tenant": company.external_id, "invoice": invoice["Id"], "amount": "1 625,00",
        "paid_on": "2026-11-20"})
    too_much = client.post(f"{BASE}/accountant/", {
        "tenant": company.external_id, "invoice": invoice["Id"], "amount": "1",
        "paid_on": "2026-11-20"})

    assert page.status_code == 200 and b"Brf Eken" in page.content and b"1001" in page.content
    assert response.status_code == 302
    paid = api.get(f"customerinvoices/{invoice['Id']}").json()
    assert (paid["PaymentStatus"], paid["RemainingAmount"]) == (0, 0.0)
    assert paid["PaymentDate"] == "2026-11-20T00:00:00"
    assert paid["ModifiedUtc"] == "2026-11-20T09:40:00.000Z"
    assert too_much.status_code == 400


# -- partner resource links and scopes -------------------------------------------------------------

def test_partner_resource_links_point_at_our_record_and_are_found_by_resource(api, company,
                                                                             customer):
    invoice = make_invoice(api, customer, [row(company)])
    body = {"ResourceType": 3, "ResourceId": invoice["Id"], "PartnerSystemName": "Hub",
            "PartnerCompanyName": "Frost Bygg AB",
            "Href": "https://hub.example/invoices/7"}

    created = api.post("partnerresourcelinks", body)
    missing = api.post("partnerresourcelinks", {**body, "ResourceId": customer["Id"]})
    found = {form: api.get("partnerresourcelinks", **{"$filter": f"ResourceId eq {form}"})
             for form in (invoice["Id"], f"guid'{invoice['Id']}'", f"'{invoice['Id'].upper()}'")}

    assert created.status_code == 201
    assert error(missing)["ErrorCode"] == 3000
    for form, answer in found.items():
        assert [link["Href"] for link in answer.json()["Data"]] == [body["Href"]], form


def test_read_only_scopes_read_but_do_not_write(client, company, app):
    readonly = Api(client, {"Authorization": "Bearer " + identity.issue_access_token(
        company, app.client_id, "ea:api ea:sales_readonly")})

    assert readonly.get("customers").status_code == 200
    refused = readonly.post("customers", {})
    assert refused.status_code == 403 and error(refused)["ErrorCode"] == 4006
    assert readonly.get("vatcodes").status_code == 403
