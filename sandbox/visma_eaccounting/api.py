"""What every eAccounting endpoint shares: the `@endpoint` decorator (the framework's pipeline
with the scopes the spec names per operation), reading a JSON body, and the list answer.

Scopes: each operation's description in the spec says "Requires any of the following scopes";
a token without one of them answers 403 ErrorCode 4006 (identity.py). Every call also needs
`ea:api` (the Simulator's authenticate hook).
"""

import functools
import json

from sandbox.framework.errors import ErrorResponse
from sandbox.framework.jsonbody import BodyProblem
from sandbox.visma_eaccounting import errors, identity, store
from sandbox.visma_eaccounting.simulator import simulator

SALES_READ = ("ea:sales", "ea:sales_readonly")
SALES_WRITE = ("ea:sales",)
ACCOUNTING_READ = ("ea:accounting", "ea:accounting_readonly")
PURCHASE_READ = ("ea:purchase", "ea:purchase_readonly")


def endpoint(*, methods=("GET",), read=SALES_READ, write=SALES_WRITE, scopes=None):
    """Decorate a view `view(request, tenant, **kwargs)`. `read` are the scopes for GET,
    `write` for the other methods; `scopes` maps a method to its own."""
    scopes = scopes or {}

    def decorate(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            needed = scopes.get(request.method) or (read if request.method == "GET" else write)
            identity.require_scope(request, *needed)
            return view(request, request.sandbox_tenant, *args, **kwargs)

        return simulator.endpoint(methods=methods)(checked)

    return decorate


def body(request, shape):
    """The request's JSON object, checked against `shape` (shapes.py), else Visma's 400."""
    if request.content_type not in ("application/json", "text/json"):
        errors.fail(415, errors.DATA_MODEL_VALIDATION,
                    "UnsupportedMediaType - Send the body as application/json.")
    try:
        data = json.loads(request.body or b"")
    except (UnicodeDecodeError, ValueError) as problem:
        raise_malformed(f"The body is not valid JSON: {problem}")
    if not isinstance(data, dict):
        raise_malformed("The body must be a JSON object.")
    return shape.check(data)


def raise_malformed(detail):
    raise ErrorResponse(errors.body_rejected(BodyProblem(BodyProblem.MALFORMED, detail=detail)))


def optional_body(request, shape):
    """Like `body`, but an empty body is an empty object (e.g. convert without totals)."""
    if not request.body.strip():
        return {}
    return body(request, shape)


def listing(request, tenant, kind, *, filterable=None, sortable=None, present=None):
    """The paged list of a kind's records; `present(data)` shapes each one for output."""
    items = [present(record.data) if present else record.data
             for record in store.records(tenant, kind).order_by("id")]
    filterable = filterable or {}
    return store.page(request, items, filterable=filterable,
                      sortable=sortable if sortable is not None else tuple(filterable))
