"""Tripletex's error envelope, as the spec's introduction publishes it:

    {"status", "code", "message", "link", "developerMessage", "validationMessages", "requestId"}

`requestId` equals the `x-tlx-request-id` header every response carries. `validationMessages`
is null unless there are some ("can be null"). Codes are the published ones: 4000 bad request,
11000 illegal filter, 3000 unauthorized, 9000 forbidden, 6000 not found, 7000 object exists,
8000 revision (version) conflict, 10000 locked, 14000 duplicate entry, 15000 value validation,
16000 mapping (unknown property, wrong JSON type), 17000 sorting, 21000 parameter, 22000 invalid
JSON, 1000 internal error. Messages are Norwegian, the demo employees' language; clients switch
on `status` and `code`.
"""

import uuid

from sandbox.framework.errors import ErrorResponse, json_error

DOCS_LINK = "https://developer.tripletex.no/docs/documentation/"

INTERNAL = 1000
AUTHENTICATION = 3000
BAD_REQUEST = 4000
NOT_FOUND = 6000
OBJECT_EXISTS = 7000
REVISION = 8000
SECURITY = 9000
LOCKED = 10000
ILLEGAL_FILTER = 11000
DUPLICATE = 14000
VALUE_VALIDATION = 15000
MAPPING = 16000
SORTING = 17000
PARAM = 21000
INVALID_JSON = 22000


def request_id(request):
    """The request's id (also sent as x-tlx-request-id), made on first use."""
    if request is None:
        return str(uuid.uuid4())
    if not getattr(request, "tlx_request_id", None):
        request.tlx_request_id = str(uuid.uuid4())
    return request.tlx_request_id


def envelope(request, status, code, message, *, developer_message=None, validation=None,
             headers=None):
    """The error response. `validation` is a list of (field, message) pairs."""
    messages = None
    if validation:
        messages = [{"field": field, "message": text} for field, text in validation]
    body = {"status": status, "code": code, "message": message, "link": DOCS_LINK,
            "developerMessage": developer_message or message,
            "validationMessages": messages, "requestId": request_id(request)}
    return json_error(body, status, headers=headers)


def fail(request, status, code, message, **kwargs):
    raise ErrorResponse(envelope(request, status, code, message, **kwargs))


def invalid(request, *problems):
    """422 15000 with one validation message per (field, message)."""
    fail(request, 422, VALUE_VALIDATION, "Validering feilet.", validation=list(problems))


def required(request, *fields):
    invalid(request, *[(field, "Kan ikke være null.") for field in fields])


def not_found(request, what="Objektet"):
    fail(request, 404, NOT_FOUND, f"{what} finnes ikke.",
         developer_message="Object not found")


def unknown_reference(request, field):
    """A body refers to an object that does not exist (or one this sandbox does not keep)."""
    invalid(request, (field, "Objektet finnes ikke."))


def revision_conflict(request, kind, current):
    fail(request, 409, REVISION,
         "Objektet har blitt endret av noen andre siden du hentet det. Hent det på nytt.",
         developer_message=f"{kind}: the version sent is not the current version {current}.")


def duplicate(request, field, message):
    fail(request, 409, DUPLICATE, "Duplicate entry", developer_message=message,
         validation=[(field, message)])


def object_exists(request, kind):
    fail(request, 409, OBJECT_EXISTS, "Objektet finnes allerede.",
         developer_message=f"{kind}: a new object must not carry the id of an existing one.")


def bad_json(request, detail):
    fail(request, 422, INVALID_JSON, "Ugyldig JSON.", developer_message=detail)


def mapping(request, problems):
    """422 16000: properties the model does not have, or values of the wrong JSON type."""
    fail(request, 422, MAPPING, "Feil i forespørselen: feltene kan ikke tolkes.",
         developer_message="; ".join(f"{field}: {text}" for field, text in problems),
         validation=list(problems))


def illegal_field(request, name, model):
    fail(request, 400, ILLEGAL_FILTER,
         f"Illegal field in fields filter: {name}. {name} does not match a field in the model: "
         f"{model}DTO")


# -- builders the `Simulator` calls ---------------------------------------------------------------

def unauthorized(request, reason):
    """401 3000 for a missing, unknown, expired or deleted session token."""
    return envelope(request, 401, AUTHENTICATION, "Du er ikke logget inn.",
                    developer_message=f"Authentication failed: session token {reason}.")


def method_not_allowed(request, allowed):
    """ASSUMED: a method the path does not publish, in the envelope, with Allow."""
    return envelope(request, 405, BAD_REQUEST, "Metoden er ikke tillatt for denne ressursen.",
                    developer_message=f"Allowed: {', '.join(allowed)}",
                    headers={"Allow": ", ".join(allowed)})


def server_error(request, status):
    return envelope(request, status, INTERNAL, "Det oppstod en uventet feil.",
                    developer_message="Internal error")


def rate_limited(request, retry_after):
    """ASSUMED: Tripletex publishes the status (429) and the headers, not the body; the envelope
    with code 0 is our choice. `X-Rate-Limit-Reset` says when the period ends."""
    return envelope(request, 429, 0, "For mange forespørsler. Prøv igjen senere.",
                    developer_message=f"Rate limit exceeded; resets in {retry_after} s.",
                    headers={"X-Rate-Limit-Remaining": "0",
                             "X-Rate-Limit-Reset": str(retry_after)})
