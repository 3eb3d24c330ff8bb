"""Fortnox's refusals, each raised as `ErrorResponse` in Fortnox's own body
`{"ErrorInformation": {"error": 1, "message", "code"}}` (see sandbox.framework.errors).

Codes from Fortnox's published error list are used as listed; where Fortnox publishes no code
for a rule the simulator enforces, the code is ASSUMED (marked below) and stays the same for
the same rule, so a client can still switch on it. Messages are Swedish, as Fortnox's mostly
are; clients should switch on `code`.
"""

from sandbox.framework.errors import ErrorResponse, json_error

# Published codes.
SYSTEM_EXCEPTION = 1000003
INVALID_CONTENT_TYPE = 1000031
NOT_NUMERIC = 2000108
NOT_BOOLEAN = 2000134
DISALLOWED_CHARACTERS = 2000359
INVALID_PARAMETER = 2000588
CUSTOMER_NUMBER_IN_USE = 2000637
NO_SCOPE = 2000663
NO_VALID_IDENTIFIER = 2000729
ACCOUNT_NOT_FOUND = 2001304
EMPTY_OR_WRONG_BODY = 2001392
INVALID_FIELD_NAME = 2001399
JSON_SYNTAX = 2002115

# ASSUMED: Fortnox's docs show "Kan inte hitta kontot." with 2000423; used for every entity
# that does not exist (404 on its own URL, 400 when a request body refers to it).
NOT_FOUND = 2000423
# ASSUMED: numbers other than customer numbers that are taken (article, project, employee,
# account, document numbers).
NUMBER_IN_USE = 2000466
# ASSUMED: a booked or cancelled document cannot be changed, cancelled, booked again or paid.
DOCUMENT_LOCKED = 2000461
# ASSUMED: a date inside the company's locked period (settings/lockedperiod).
LOCKED_PERIOD = 2000462
# ASSUMED: a payment of zero, or larger than what is left to pay.
PAYMENT_REFUSED = 2000463
# ASSUMED: a value outside its allowed set (enum fields, "Sweden" instead of "Sverige").
INVALID_VALUE = 2000464


def fail(status, code, message):
    raise ErrorResponse(error(status, code, message))


def bad_request(code, message):
    fail(400, code, message)


def not_found(what):
    """404 for an entity addressed by its URL, e.g. `not_found("fakturan 12")`."""
    fail(404, NOT_FOUND, f"Kan inte hitta {what}.")


def unknown_reference(what):
    """400 for a body that names something that does not exist (a customer, an article)."""
    bad_request(NOT_FOUND, f"Kan inte hitta {what}.")


def invalid_parameter(name):
    bad_request(INVALID_PARAMETER, f"Ogiltig parameter i anropet. ({name})")


def missing_scope(scope):
    fail(403, NO_SCOPE, f"Har inte behörighet för scope ({scope}).")


def required(field):
    bad_request(EMPTY_OR_WRONG_BODY, f"Ingen eller felaktig typ av data. ({field} saknas)")


def body_rejected(problem):
    """An empty body gets 2001392 as Fortnox lists it; bad JSON 2002115, unknown fields
    2001399 (`body_rejected_shape`)."""
    if problem.kind == problem.MALFORMED and "required" in problem.detail:
        return error(400, EMPTY_OR_WRONG_BODY, "Ingen eller felaktig typ av data.")
    return body_rejected_shape(problem)


# -- the bodies ------------------------------------------------------------------------------

def error(status, code, message):
    """`{"ErrorInformation": {"error": 1, "message", "code"}}` with lowercase inner keys, as
    the API sends them (the spec capitalises them). Messages are often Swedish; clients switch
    on `code`."""
    return json_error({"ErrorInformation": {"error": 1, "message": message, "code": code}},
                      status)


def unauthorized(request, reason):
    """ASSUMED: 401 with the legacy login codes (2000311 credentials missing, 2000310 invalid
    login); whether an expired token answers 401 or 403 is not documented."""
    if reason == "missing":
        return error(401, 2000311, "Kan inte logga in, access-token saknas.")
    return error(401, 2000310, "Kan inte logga in, access-token eller "
                               "client-secret är felaktigt eller har gått ut.")


def rate_limited(request, retry_after):
    """ASSUMED: the bare `{"message"}` shape client SDKs parse for gateway errors; the real 429
    body and any Retry-After header are undocumented, so none is sent."""
    return json_error({"message": "Too Many Requests"}, 429)


def server_error(request, status):
    return error(status, 1000003, "Ett internt systemfel uppstod.")


def body_rejected_shape(problem):
    if problem.kind == problem.MALFORMED:
        return error(400, 2002115, "Felaktig JSON-syntax.")
    return error(400, 2001399, f"Felaktigt fältnamn ({', '.join(problem.fields)})")
