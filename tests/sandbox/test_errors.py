"""Error bodies in each provider's real shape, and strict request bodies that reject unknown
fields with the provider's own error."""

import json
import uuid

import pytest
from django.test import RequestFactory

from sandbox.fortnox import errors as fortnox_errors
from sandbox.framework import errors
from sandbox.framework.errors import ErrorResponse
from sandbox.framework.jsonbody import strict_json, unknown_fields
from sandbox.poweroffice_go import errors as pogo_errors
from sandbox.visma_eaccounting import errors as visma_errors

pytestmark = pytest.mark.urls("tests.sandbox.urls")


def body(response):
    return json.loads(response.content)


def test_poweroffice_problem_details_are_camel_case():
    response = pogo_errors.problem(
        400, "Missing privilege",
        "The integration does not have the required privileges to send invoices.",
        instance="/v2/SalesOrders")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert body(response) == {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "Missing privilege", "status": 400,
        "detail": "The integration does not have the required privileges to send invoices.",
        "instance": "/v2/SalesOrders"}


def test_poweroffice_gateway_shapes_differ_from_problem_details():
    not_found = pogo_errors.route_not_found()
    throttled = pogo_errors.rate_limited(None, 3)
    no_key = pogo_errors.missing_subscription_key()

    assert (not_found.status_code, body(not_found)) == (
        404, {"statusCode": 404, "message": "Resource not found"})
    assert body(throttled) == {"statusCode": 429,
                               "message": "Rate limit is exceeded. Try again in 3 seconds."}
    assert throttled["Retry-After"] == "3"
    assert no_key.status_code == 401 and body(no_key)["statusCode"] == 401


def test_poweroffice_answers_an_empty_list_with_204_and_no_body():
    response = pogo_errors.empty_list()

    assert response.status_code == 204
    assert response.content == b""


def test_fortnox_error_information():
    response = fortnox_errors.error(404, 2000729, "Kunde inte hitta kund.")

    assert response.status_code == 404
    assert body(response) == {"ErrorInformation": {"error": 1,
                                                   "message": "Kunde inte hitta kund.",
                                                   "code": 2000729}}


def test_visma_errors_carry_a_fresh_error_id_and_field_errors_on_validation():
    plain = visma_errors.error(404, 3000, "ResourceNotFound")
    another = visma_errors.error(404, 3000, "ResourceNotFound")
    throttled = visma_errors.rate_limited(None, 55)
    invalid = visma_errors.error(400, 2000, "DataModelValidationError", errors=[
        {"Field": "Name", "ErrorCode": 2000, "Message": "Required", "Key": "Required"}])

    assert set(body(plain)) == {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}
    assert body(plain)["ErrorId"] != body(another)["ErrorId"]
    uuid.UUID(body(plain)["ErrorId"])
    assert body(throttled)["ErrorCode"] == 4010
    assert body(throttled)["DeveloperErrorMessage"] == (
        "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 55 seconds.")
    assert body(invalid)["Errors"][0]["Field"] == "Name"


def test_oauth_errors():
    response = errors.oauth_error("invalid_grant", "Invalid refresh token.")

    assert response.status_code == 400
    assert body(response) == {"error": "invalid_grant",
                              "error_description": "Invalid refresh token."}
    assert response["Cache-Control"] == "no-store"


SPEC = {"Name": None, "Rows": {"Text": None, "Amount": None}, "Address": {"City": None}}


def test_unknown_fields_are_found_at_any_depth_in_document_order():
    data = {"Name": "x", "Nmae": "y", "Rows": [{"Text": "a"}, {"Txt": "b", "Amount": 1}],
            "Address": {"City": "Oslo", "Zip": "0150"}}

    assert unknown_fields(data, SPEC) == ["Nmae", "Rows[1].Txt", "Address.Zip"]
    assert unknown_fields({"name": 1, "ROWS": [{"text": 1}]}, SPEC,
                          case_insensitive=True) == []
    assert unknown_fields({"name": 1}, SPEC) == ["name"]
    assert unknown_fields({"a": 1, "b": 2}, {"a", "b"}) == []


def rejected_by(rejected, raw, **kwargs):
    request = RequestFactory().post("/", raw, content_type="application/json")
    with pytest.raises(ErrorResponse) as stop:
        strict_json(request, SPEC, rejected=rejected, **kwargs)
    return stop.value.response


def test_strict_json_refuses_with_each_providers_error():
    fortnox = rejected_by(fortnox_errors.body_rejected_shape, '{"Name": "x", "Colour": "red"}')
    fortnox_syntax = rejected_by(fortnox_errors.body_rejected_shape, '{"Name": ')
    visma = rejected_by(visma_errors.body_rejected, '{"Rows": [{"Qty": 1}]}')
    poweroffice = rejected_by(pogo_errors.body_rejected, '{"Colour": "red"}')
    not_an_object = rejected_by(fortnox_errors.body_rejected_shape, "[1, 2]")
    empty = rejected_by(fortnox_errors.body_rejected_shape, "")

    assert body(fortnox)["ErrorInformation"]["code"] == 2001399
    assert "Colour" in body(fortnox)["ErrorInformation"]["message"]
    assert body(fortnox_syntax)["ErrorInformation"]["code"] == 2002115
    assert body(visma)["ErrorCode"] == 2000
    assert body(visma)["Errors"][0]["Field"] == "Rows[0].Qty"
    assert body(poweroffice)["errors"] == {"Colour": ["The field Colour is not allowed."]}
    assert body(poweroffice)["status"] == 400
    assert body(not_an_object)["ErrorInformation"]["code"] == 2002115
    assert body(empty).get("ErrorInformation")


def test_strict_json_returns_allowed_bodies_and_lists_when_asked():
    request = RequestFactory().post("/", '[{"Name": "x"}]', content_type="application/json")

    assert strict_json(request, SPEC, rejected=fortnox_errors.body_rejected_shape,
                       allow_list=True) == [{"Name": "x"}]


def test_an_endpoint_rejects_unknown_fields_and_stores_nothing(client, tenant, bearer):
    headers = bearer(tenant)

    refused = client.post("/sandbox/fake/api/invoices",
                          {"Customer": "Kari", "Total": 10, "Rows": [{"Text": "a", "Vat": 25}]},
                          content_type="application/json", headers=headers)
    accepted = client.post("/sandbox/fake/api/invoices", {"Customer": "Kari", "Total": 10},
                           content_type="application/json", headers=headers)

    assert refused.status_code == 400
    assert refused.json()["ErrorInformation"]["message"] == "Felaktigt fältnamn (Rows[0].Vat)"
    assert accepted.status_code == 201
    assert accepted.json()["Invoice"]["Number"] == "1001"
    assert client.get("/sandbox/fake/api/invoices", headers=headers).json()["Invoices"] == [
        {"Number": "1001", "Customer": "Kari", "Total": 10}]

