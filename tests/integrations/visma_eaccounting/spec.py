"""Our Visma eAccounting payloads against Visma's published Swagger 2.0 spec (../shared/specs,
visma-eaccounting-v2-swagger-2023-07-03.json), with every object closed: unknown properties are
forbidden, and so are the read-only ones (a write must not carry them). The schema is the body
parameter's of the operation."""

import functools
import json

import pytest

from tests.specs import spec_path

SPEC = spec_path("visma-eaccounting-v2-swagger-2023-07-03.json")


@functools.lru_cache(maxsize=1)
def _spec():
    return json.loads(SPEC.read_text())


def _closed(node):
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _closed(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict):
        node["properties"] = {k: v for k, v in node["properties"].items()
                              if not (isinstance(v, dict) and v.get("readOnly"))}
    if node.get("type") == "object" or "properties" in node:
        node["additionalProperties"] = False
    node.pop("example", None)
    return node


def body_schema_name(method, path):
    """The definition a request body must fit, e.g. ("post", "/v2/customers") -> "CustomerApi"."""
    parameters = _spec()["paths"][path][method]["parameters"]
    body = next(p for p in parameters if p.get("in") == "body")
    return body["schema"]["$ref"].rsplit("/", 1)[-1]


def validate(method, path, payload):
    """Raise jsonschema.ValidationError unless `payload` fits; skip without the spec."""
    import jsonschema

    if not SPEC.exists():
        pytest.skip(f"Visma eAccounting spec not found at {SPEC} (shared/specs beside the "
                    "project)")
    definitions = {name: _closed(schema) for name, schema in _spec()["definitions"].items()}
    name = body_schema_name(method, path)
    schema = {**definitions[name], "definitions": definitions}
    jsonschema.validate(payload, schema, cls=jsonschema.Draft4Validator,
                        format_checker=jsonschema.FormatChecker())
    return name
