"""The Tripletex simulator against Tripletex's published spec (shared/specs): its models are the
spec's, and a `validate` other Tripletex tests use on the simulator's answers, with every object
closed (an answer with a property the spec does not have fails)."""

import copy
import functools
import json

import pytest

from sandbox.tripletex.schema import ENUMS, MODELS
from tests.specs import spec_path

SPEC = spec_path("tripletex-openapi-v2.74.00.json")


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
    if node.get("type") == "object" and "properties" in node:
        node["additionalProperties"] = False
    for key in ("example", "readOnly", "writeOnly"):
        node.pop(key, None)
    return node


@functools.lru_cache(maxsize=1)
def _definitions():
    definitions = {name: _closed(copy.deepcopy(schema))
                   for name, schema in _spec()["components"]["schemas"].items()}
    # The spec's introduction: "validationMessages ... can be null" (the schema omits it).
    messages = definitions["ApiError"]["properties"]["validationMessages"]
    definitions["ApiError"]["properties"]["validationMessages"] = {
        "anyOf": [messages, {"type": "null"}]}
    # closeGroup.* events (2.75.03) postdate the 2.74 spec: CloseGroup is there, the key not.
    return definitions


def validate(schema_name, payload):
    """Raise jsonschema.ValidationError unless `payload` fits `schema_name` (closed)."""
    import jsonschema

    if not SPEC.exists():
        pytest.skip(f"Tripletex spec not found at {SPEC}")
    definitions = _definitions()
    schema = {**definitions[schema_name], "definitions": definitions}
    jsonschema.validate(payload, schema, cls=jsonschema.Draft7Validator)
    return payload


def _ours(spec):
    read_only = spec.get("readOnly", False)
    if "$ref" in spec:
        kind = "@" + spec["$ref"].rsplit("/", 1)[-1]
    elif spec.get("type") == "array":
        item = spec["items"]
        kind = ("[@" + item["$ref"].rsplit("/", 1)[-1] + "]" if "$ref" in item else
                "[" + {"string": "str", "integer": "int", "number": "num",
                       "boolean": "bool"}[item["type"]] + "]")
    elif "enum" in spec:
        kind = "enum"
    else:
        kind = {"string": "str", "integer": "int", "number": "num", "boolean": "bool",
                "object": "obj"}[spec["type"]]
    return ("!" if read_only else "") + kind


@pytest.mark.skipif(not SPEC.exists(), reason=f"the published spec is not at {SPEC}")
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_models_are_the_specs(kind):
    theirs = _spec()["components"]["schemas"][kind]["properties"]

    assert MODELS[kind] == {name: _ours(spec) for name, spec in theirs.items()}
    for name, spec in theirs.items():
        if "enum" in spec:
            assert ENUMS[(kind, name)] == tuple(spec["enum"])
