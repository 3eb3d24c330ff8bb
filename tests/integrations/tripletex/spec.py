"""Validate our payloads against Tripletex's published OpenAPI 3.0.1 (../shared/specs), with
unknown properties forbidden and read-only properties refused: every object schema closed."""

import copy
import functools
import json

import pytest

from tests.specs import spec_path

SPEC = spec_path("tripletex-openapi-v2.74.00.json")


@functools.lru_cache(maxsize=1)
def _components():
    return json.loads(SPEC.read_text())["components"]["schemas"]


def _convert(node):
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("properties"), dict):
        node = {**node, "properties": {k: v for k, v in node["properties"].items()
                                       if not (isinstance(v, dict) and v.get("readOnly"))}}
    node = {k: _convert(v) for k, v in node.items()}
    if "$ref" in node:
        node["$ref"] = "#/definitions/" + node["$ref"].rsplit("/", 1)[-1]
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    if node.get("type") == "object" or "properties" in node:
        node["additionalProperties"] = False
    for key in ("example", "xml", "readOnly", "writeOnly"):
        node.pop(key, None)
    return node


@functools.lru_cache(maxsize=1)
def _definitions():
    return {name: _convert(copy.deepcopy(s)) for name, s in _components().items()}


@functools.lru_cache(maxsize=64)
def _validator(schema_name):
    import jsonschema

    definitions = _definitions()
    schema = {**definitions[schema_name], "definitions": definitions}
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def validate(schema_name, payload):
    """Raise jsonschema.ValidationError if `payload` does not fit `schema_name`."""
    if not SPEC.exists():
        pytest.skip(f"Tripletex spec not found at {SPEC}")
    error = next(iter(_validator(schema_name).iter_errors(payload)), None)
    if error is not None:
        raise error


@functools.lru_cache(maxsize=1)
def _paths():
    return json.loads(SPEC.read_text())["paths"]


def query_parameters(path, method):
    """{name: required} of an operation's query parameters in the spec (KeyError for an
    operation the spec does not have)."""
    operation = _paths()[path][method]
    return {p["name"]: p.get("required", False) for p in operation.get("parameters", [])
            if p.get("in") == "query"}
