"""The Visma eAccounting simulator against Visma's published spec (Swagger 2.0, 2023-07-03): the
bodies it accepts are the spec's definitions (fields.py), and every answer validates against
the operation's response schema with unknown properties forbidden, so the hub is tested against
field names and types that exist.

Where an answer deliberately differs it says so here: GET /customers/{id} is typed `object` in
the spec (it returns a CustomerApi, which is what is checked), and fields without a value are
left out rather than sent as null (Swagger 2.0 has no nullable; see store.clean_output)."""

import json

import jsonschema
import pytest

from sandbox.visma_eaccounting import fields
from sandbox.visma_eaccounting.seed import ref_id
from tests.sandbox import test_visma_eaccounting as common
from tests.sandbox.test_visma_eaccounting import (
    draft_body,
    new_customer,
    row,
)
from tests.specs import require_spec

# The shared fixtures (api, app, company, frozen), registered in this module too.
api_fixture = common.api_fixture
app_fixture = common.app_fixture
company_fixture = common.company_fixture
frozen_fixture = common.frozen_fixture

SPEC_FILE = "visma-eaccounting-v2-swagger-2023-07-03.json"


@pytest.fixture(scope="module")
def spec():
    with open(require_spec(SPEC_FILE)) as spec_file:
        return json.load(spec_file)


def closed(node):
    """The schema with `additionalProperties: false` on every object that lists properties."""
    if isinstance(node, dict):
        node = {key: closed(value) for key, value in node.items()}
        if "properties" in node:
            node.setdefault("additionalProperties", False)
        return node
    if isinstance(node, list):
        return [closed(value) for value in node]
    return node


@pytest.fixture(scope="module")
def validate(spec):
    definitions = closed(spec["definitions"])

    def check(method, path, body, definition=None):
        if definition is None:
            response = spec["paths"][f"/v2/{path}"][method.lower()]["responses"]
            schema = next(answer["schema"] for status, answer in sorted(response.items())
                          if status.startswith("2"))
        else:
            schema = {"$ref": f"#/definitions/{definition}"}
        validator = jsonschema.Draft4Validator({**schema, "definitions": definitions})
        problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                    for error in validator.iter_errors(body)]
        assert problems == [], f"{method} {path}"

    return check


def test_accepted_bodies_are_the_specs_definitions(spec):
    definitions = spec["definitions"]
    for shape in (fields.CUSTOMER, fields.ARTICLE, fields.DRAFT, fields.DRAFT_ROW, fields.INVOICE,
                  fields.INVOICE_ROW, fields.PAYMENT, fields.VALIDATION, fields.VALIDATION_ROW,
                  fields.PARTNER_RESOURCE_LINK, fields.WEBHOOK, fields.WEBHOOK_SUBSCRIPTION):
        definition = definitions[shape.definition]
        properties = definition["properties"]
        assert shape.names == set(properties), shape
        assert shape.required == set(definition.get("required", [])), shape
        assert shape.read_only == {name for name, prop in properties.items()
                                   if prop.get("readOnly")}, shape
        for name, prop in properties.items():
            assert shape.fields[name].max_length == prop.get("maxLength"), (shape, name)
            assert shape.fields[name].enum == (tuple(prop["enum"]) if "enum" in prop
                                               else None), (shape, name)


def test_reference_lists_validate(api, company, validate):
    for path in ("companysettings", "termsofpayments", "units", "articleaccountcodings",
                 "vatcodes", "fiscalyears", "accounts", "bankaccounts", "articles",
                 "customers", "customerinvoicedrafts", "customerinvoices",
                 "partnerresourcelinks", "webhooks"):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content)
        validate("GET", path, response.json())
    vat_code = ref_id(company, "vatcode", "10")
    validate("GET", "vatcodes/{id}", api.get(f"vatcodes/{vat_code}").json())
    year = ref_id(company, "fiscalyear", 2026)
    validate("GET", "fiscalyears/{id}", api.get(f"fiscalyears/{year}").json())
    validate("GET", "accounts/{fiscalyearId}/{accountNumber}",
             api.get(f"accounts/{year}/3041").json())


def test_customer_article_invoice_and_payment_answers_validate(api, company, validate):
    customer = new_customer(api, company, VatNumber="SE556000000101",
                            ReverseChargeOnConstructionServices=True)
    validate("POST", "customers", customer)
    validate("GET", "customers/{customerId}", api.get(f"customers/{customer['Id']}").json(),
             definition="CustomerApi")
    validate("PUT", "customers/{customerId}", api.put(f"customers/{customer['Id']}",
                                                      customer).json())
    article = api.post("articles", {
        "Number": "X1", "Name": "Kakel", "IsActive": True, "NetPrice": 10,
        "CodingId": ref_id(company, "articleaccountcoding", "Varor 25 %"),
        "UnitId": ref_id(company, "unit", "st")}).json()
    validate("POST", "articles", article)
    validate("GET", "articles/{articleId}", api.get(f"articles/{article['Id']}").json())

    draft = api.post("customerinvoicedrafts", draft_body(customer, [
        row(company, "ARB", 2, ReversedConstructionServicesVatFree=True),
        {"IsTextRow": True, "Text": "Vecka 47", "ReversedConstructionServicesVatFree": False},
    ])).json()
    validate("POST", "customerinvoicedrafts", draft)
    validate("GET", "customerinvoicedrafts/{invoiceDraftId}",
             api.get(f"customerinvoicedrafts/{draft['Id']}").json())
    invoice = api.post(f"customerinvoicedrafts/{draft['Id']}/convert").json()
    validate("POST", "customerinvoicedrafts/{customerInvoiceDraftId}/convert", invoice)
    direct = api.post("customerinvoices", draft_body(customer, [
        {"ArticleId": article["Id"], "Quantity": 3}, {"Text": "Tack!"}]))
    assert direct.status_code == 201, direct.content
    validate("POST", "customerinvoices", direct.json())
    payment = api.post(f"customerinvoices/{invoice['Id']}/payments", {
        "CompanyBankAccountId": ref_id(company, "bankaccount", "1930"),
        "PaymentAmount": 100, "PaymentCurrency": "SEK", "PaymentDate": "2026-11-20",
        "PaymentType": 1})
    validate("POST", "customerinvoices/{invoiceId}/payments", payment.json())
    validate("GET", "customerinvoices/{invoiceId}",
             api.get(f"customerinvoices/{invoice['Id']}").json())
    validate("GET", "customerinvoices", api.get("customerinvoices").json())

    link = api.post("partnerresourcelinks", {
        "ResourceType": 3, "ResourceId": invoice["Id"], "Href": "https://hub.example/i/1",
        "PartnerSystemName": "Hub", "PartnerCompanyName": "Frost Bygg AB"}).json()
    validate("POST", "partnerresourcelinks", link)
    hook = api.post("webhooks", {"Endpoint": "https://hub.example/api/webhooks/visma",
                                 "AuthenticationKey": "X-Hub-Key", "AuthenticationValue": "k",
                                 "SigningKey": "s", "Active": False,
                                 "Subscriptions": [{"SubscriptionType": 3}]}).json()
    validate("POST", "webhooks", hook)
