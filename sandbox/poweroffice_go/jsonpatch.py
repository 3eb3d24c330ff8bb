"""RFC 6902 JSON Patch, the way Go's PATCH endpoints take it (ASP.NET's JsonPatchDocument):
`Content-Type: application/json-patch+json`, a list of `{op, path, value}`, property names
matched case-insensitively, and only the properties of the resource's Post DTO writable.

Supported: add, replace, remove, test. A path to a property the Post DTO does not have is a
400 naming the segment; another content type is a 415.
"""

import copy
import json

from sandbox.poweroffice_go import fields
from sandbox.poweroffice_go.store import fail, invalid

CONTENT_TYPE = "application/json-patch+json"
OPERATIONS = ("add", "replace", "remove", "test")


def _operations(request):
    if request.content_type != CONTENT_TYPE:
        fail(request, 415, "Unsupported Media Type",
             f"PATCH requests must be sent as {CONTENT_TYPE} (a JSON Patch document).")
    try:
        document = json.loads(request.body or b"")
    except ValueError:
        invalid(request, "$", "The request body is not a valid JSON Patch document.")
    if not isinstance(document, list) or not all(isinstance(op, dict) for op in document):
        invalid(request, "$", "A JSON Patch document is a list of operations.")
    return document


def _segments(request, path, spec):
    """[(declared name, nested spec)] for a path such as /MailAddress/City."""
    if not isinstance(path, str) or not path.startswith("/") or path == "/":
        invalid(request, "path", f"The path '{path}' is not a valid JSON Pointer.")
    found, here = [], spec
    for raw in path[1:].split("/"):
        segment = raw.replace("~1", "/").replace("~0", "~")
        declared = next((name for name in (here or {}) if name.lower() == segment.lower()),
                        None)
        if declared is None:
            invalid(request, "path", f"The target location specified by path segment "
                                     f"'{segment}' was not found.")
        found.append(declared)
        here = here[declared] if isinstance(here[declared], dict) else None
    return found


def apply(request, writable, spec):
    """`writable` (the Post-DTO fields of the stored object) with the request's patch applied;
    the values are type-checked against `spec`."""
    result = copy.deepcopy(writable)
    for operation in _operations(request):
        op = str(operation.get("op", "")).lower()
        if op not in OPERATIONS:
            invalid(request, "op", f"The operation '{operation.get('op')}' is not supported.")
        names = _segments(request, operation.get("path"), spec)
        parent = result
        for name in names[:-1]:
            if not isinstance(parent.get(name), dict):
                parent[name] = {}
            parent = parent[name]
        last = names[-1]
        if op == "test":
            if parent.get(last) != operation.get("value"):
                invalid(request, "path", f"The current value at '{operation['path']}' is not "
                                         f"equal to the test value.")
            continue
        if op == "remove":
            parent[last] = None
            continue
        if "value" not in operation:
            invalid(request, "value", f"The '{op}' operation needs a value.")
        parent[last] = operation["value"]
    wrong = fields.type_errors(result, spec)
    if wrong:
        first = next(iter(wrong.values()))[0]
        fail(request, 400, "One or more validation errors occurred.", first, field_errors=wrong)
    return result
