"""Strict reading of JSON request bodies: unknown fields are rejected as the real provider
rejects them (with the provider's own "unknown field" error), so a misspelt or invented field
fails in our tests instead of being silently dropped.

A field spec says which names an object may carry:
    {"CustomerNumber": None, "InvoiceRows": {"ArticleNumber": None, "Price": None}}
a name mapped to None takes any value; a name mapped to a spec holds an object, or a list of
objects, checked against that spec. A set of names is a flat object. Each simulator passes its
own specs and its own `rejected(problem) -> HttpResponse` builder (see errors.*_body_rejected).
"""

import json
from dataclasses import dataclass

from sandbox.framework.errors import ErrorResponse


@dataclass(frozen=True)
class BodyProblem:
    """Why a body was refused: MALFORMED (not JSON, empty, wrong top-level type; `detail` says
    which) or UNKNOWN_FIELDS (`fields` lists dotted paths such as `InvoiceRows[0].Pris`)."""

    MALFORMED = "malformed"
    UNKNOWN_FIELDS = "unknown_fields"

    kind: str
    fields: tuple = ()
    detail: str = ""


def _normalise(spec):
    if spec is None or isinstance(spec, dict):
        return spec
    return dict.fromkeys(spec)


def unknown_fields(data, spec, *, case_insensitive=False, path=""):
    """Dotted paths of every field in `data` that `spec` does not allow, in document order."""
    spec = _normalise(spec)
    if spec is None:
        return []
    if isinstance(data, list):
        found = []
        for index, item in enumerate(data):
            found += unknown_fields(item, spec, case_insensitive=case_insensitive,
                                    path=f"{path}[{index}]")
        return found
    if not isinstance(data, dict):
        return []
    allowed = {(name.lower() if case_insensitive else name): name for name in spec}
    found = []
    for name, value in data.items():
        here = f"{path}.{name}" if path else name
        declared = allowed.get(name.lower() if case_insensitive else name)
        if declared is None:
            found.append(here)
        else:
            found += unknown_fields(value, spec[declared], case_insensitive=case_insensitive,
                                    path=here)
    return found


def strict_json(request, fields, *, rejected, case_insensitive=False, allow_list=False):
    """The parsed body of `request` if it is a JSON object (or, with `allow_list`, a list of
    objects) carrying only the fields `fields` allows; otherwise raises
    `ErrorResponse(rejected(BodyProblem(...)))` for the endpoint to answer with."""
    raw = request.body
    if not raw.strip():
        raise ErrorResponse(rejected(BodyProblem(BodyProblem.MALFORMED,
                                                 detail="A request body is required.")))
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ErrorResponse(rejected(BodyProblem(BodyProblem.MALFORMED,
                                                 detail=f"Invalid JSON: {exc}"))) from exc
    expected_list = allow_list and isinstance(data, list)
    if not isinstance(data, dict) and not expected_list:
        kinds = "a JSON object or list" if allow_list else "a JSON object"
        raise ErrorResponse(rejected(BodyProblem(BodyProblem.MALFORMED,
                                                 detail=f"The body must be {kinds}.")))
    unknown = unknown_fields(data, fields, case_insensitive=case_insensitive)
    if unknown:
        raise ErrorResponse(rejected(BodyProblem(BodyProblem.UNKNOWN_FIELDS,
                                                 fields=tuple(unknown))))
    return data
