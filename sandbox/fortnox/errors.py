"""Fortnox's refusals, each raised as `ErrorResponse` in Fortnox's own body
`{"ErrorInformation": {"error": 1, "message", "code"}}` (see sandbox.framework.errors).

Codes from Fortnox's published error list are used as listed; where Fortnox publishes no code
for a rule the simulator enforces, the code is ASSUMED (marked below) and stays the same for
the same rule, so a client can still switch on it. Messages are Swedish, as Fortnox's mostly
are; clients should switch on `code`.
"""

from sandbox.framework.errors import ErrorResponse, fortnox_body_rejected, fortnox_error

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
    raise ErrorResponse(fortnox_error(status, code, message))


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
    2001399 (the framework's Fortnox builder)."""
    if problem.kind == problem.MALFORMED and "required" in problem.detail:
        return fortnox_error(400, EMPTY_OR_WRONG_BODY, "Ingen eller felaktig typ av data.")
    return fortnox_body_rejected(problem)
