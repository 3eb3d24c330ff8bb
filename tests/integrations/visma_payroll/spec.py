"""Our Spiris Lön payloads against the published OpenAPI file (Spiris Lön API V2,
../shared/specs/spiris-lon-payroll-v2-openapi.json), every object closed (unknown properties
forbidden; the spec's request schemas say so themselves). OpenAPI 3.0's `nullable` becomes a
JSON-schema null type. Formats are checked (uuid, numbers), except `date-time`: the spec types
dates so but documents `yyyy-MM-dd`, which is what the API takes and we send."""

import functools
import json

import jsonschema
import pytest

from tests.specs import spec_path

FILE = "spiris-lon-payroll-v2-openapi.json"


@functools.lru_cache(maxsize=1)
def _spec():
    return json.loads(spec_path(FILE).read_text())


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
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    node.pop("example", None)
    return node


def request_schema_name(method, path):
    body = _spec()["paths"][path][method]["requestBody"]["content"]
    schema = next(iter(body.values()))["schema"]
    ref = schema.get("$ref") or schema["allOf"][0]["$ref"]
    return ref.rsplit("/", 1)[-1]


def _format_checker():
    checker = jsonschema.FormatChecker()
    checker.checkers.pop("date-time", None)
    return checker


def validate(method, path, payload):
    """Raise jsonschema.ValidationError unless `payload` fits the operation's request body;
    skip when the spec is absent. Returns the schema's name."""
    if not spec_path(FILE).exists():
        pytest.skip(f"{FILE} not found at {spec_path(FILE)} (shared/specs beside the project)")
    definitions = {name: _closed(schema)
                   for name, schema in _spec()["components"]["schemas"].items()}
    name = request_schema_name(method, path)
    schema = {**definitions[name], "definitions": definitions}
    jsonschema.validate(payload, schema, cls=jsonschema.Draft7Validator,
                        format_checker=_format_checker())
    return name
