"""Our Fortnox payloads against Fortnox's published OpenAPI (../shared/specs), with every object
closed (unknown properties forbidden: the spec leaves them open, while the real API answers
2001399 "Felaktigt fältnamn"). The schema is the one the POST's request body refers to, which is
the `*Payload*` wrapper where Fortnox has one."""

import functools
import json

import pytest

from tests.specs import spec_path

SPEC = spec_path("fortnox-openapi.json")


@functools.lru_cache(maxsize=1)
def _spec():
    return json.loads(SPEC.read_text())


def _closed(node):
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _closed(value) for key, value in node.items()}
    if "$ref" in node:
        node["$ref"] = "#/definitions/" + node["$ref"].rsplit("/", 1)[-1]
    if node.get("type") == "object" or "properties" in node:
        node["additionalProperties"] = False
    node.pop("example", None)
    return node


def request_schema_name(method, path):
    """The component a request body must fit, e.g. ("post", "/3/invoices") ->
    "fortnox_InvoicePayload_Wrap"."""
    body = _spec()["paths"][path][method]["requestBody"]["content"]
    return next(iter(body.values()))["schema"]["$ref"].rsplit("/", 1)[-1]


def validate(method, path, payload):
    """Raise jsonschema.ValidationError unless `payload` fits the request body of the
    operation; skip when the specs folder is absent."""
    import jsonschema

    if not SPEC.exists():
        pytest.skip(f"Fortnox spec not found at {SPEC} (shared/specs beside the project)")
    definitions = {name: _closed(schema)
                   for name, schema in _spec()["components"]["schemas"].items()}
    name = request_schema_name(method, path)
    schema = {**definitions[name], "definitions": definitions}
    jsonschema.validate(payload, schema, cls=jsonschema.Draft7Validator,
                        format_checker=jsonschema.FormatChecker())
    return name
