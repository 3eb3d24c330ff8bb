"""Validate our payloads against PowerOffice Go's published OpenAPI (../shared/specs), with
unknown properties forbidden: OpenAPI 3.0 schemas turned into JSON Schema (nullable -> null
allowed, every object closed)."""

import copy
import functools

import pytest

from tests.specs import spec_path

SPEC = spec_path("poweroffice-go-v2-openapi-merged.yaml")


@functools.lru_cache(maxsize=1)
def _components():
    import yaml

    return yaml.safe_load(SPEC.read_text())["components"]["schemas"]


def _convert(node):
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _convert(v) for k, v in node.items()}
    if "$ref" in node:
        node["$ref"] = "#/definitions/" + node["$ref"].rsplit("/", 1)[-1]
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        if "$ref" in node or "allOf" in node:
            node = {"anyOf": [node, {"type": "null"}]}
    if node.get("type") == "object" or "properties" in node:
        node["additionalProperties"] = False
    for key in ("example", "xml", "readOnly", "writeOnly"):
        node.pop(key, None)
    return node


def validate(schema_name, payload):
    """Raise jsonschema.ValidationError if `payload` does not fit `schema_name`."""
    import jsonschema

    if not SPEC.exists():
        pytest.skip(f"PowerOffice Go spec not found at {SPEC}")
    definitions = {name: _convert(copy.deepcopy(s)) for name, s in _components().items()}
    schema = {**definitions[schema_name], "definitions": definitions}
    jsonschema.validate(payload, schema, cls=jsonschema.Draft7Validator,
                        format_checker=jsonschema.FormatChecker())
