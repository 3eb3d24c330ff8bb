"""The simulator's request bodies against PowerOffice Go's published v2 spec: every Post DTO the
simulator accepts lists exactly the spec's properties with the spec's types, so `strict_json`
refuses what Go refuses and accepts what Go accepts."""


import pytest
import yaml

from sandbox.poweroffice_go import fields
from tests.specs import spec_path

SPEC = spec_path("poweroffice-go-v2-openapi-merged.yaml")
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason=f"the published spec is not at {SPEC}")


@pytest.fixture(scope="module")
def schemas():
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)["components"]["schemas"]


def expected_kind(schemas, prop):
    """Our notation for a spec property: a JSON type, an enum tuple, a nested spec name."""
    if "$ref" in prop:
        target = schemas[prop["$ref"].rsplit("/", 1)[-1]]
        return tuple(target["enum"]) if "enum" in target else prop["$ref"].rsplit("/", 1)[-1]
    if prop.get("type") == "array":
        return [expected_kind(schemas, prop["items"])]
    if prop.get("type") == "string" and prop.get("format") in ("date", "date-time", "uuid"):
        return prop["format"]
    return prop["type"]


def our_kind(kind):
    if isinstance(kind, dict):
        return next(name for name, spec in fields.POST_DTOS.items() if spec is kind)
    if isinstance(kind, list):
        return [our_kind(kind[0])]
    return kind


@pytest.mark.parametrize("name", sorted(fields.POST_DTOS))
def test_post_dto_matches_the_spec(schemas, name):
    ours = fields.POST_DTOS[name]
    theirs = schemas[name]["properties"]

    assert sorted(ours) == sorted(theirs)
    expected = {prop: expected_kind(schemas, spec) for prop, spec in theirs.items()}
    # The spec types RedirectUri as a uri string; we check it as a plain string.
    expected = {prop: "string" if kind == "uri" else kind for prop, kind in expected.items()}
    assert {prop: our_kind(kind) for prop, kind in ours.items()} == expected


def test_type_errors_name_the_path_and_the_expected_type():
    found = fields.type_errors(
        {"Number": "10000", "IsPerson": "yes", "MailAddress": {"City": 12},
         "InvoiceDeliveryType": "Email", "ContactGroupIds": [1, "a"]},
        fields.CUSTOMER_POST)

    assert set(found) == {"$.Number", "$.IsPerson", "$.MailAddress.City",
                          "$.InvoiceDeliveryType", "$.ContactGroupIds[1]"}
    assert "System.Int64" in found["$.Number"][0]
    assert "PdfByEmail" in found["$.InvoiceDeliveryType"][0]
    assert fields.type_errors({"Number": 10000, "Name": None}, fields.CUSTOMER_POST) == {}
