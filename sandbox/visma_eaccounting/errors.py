"""Visma's error envelope and the eAccounting codes [visma-eaccounting.md 4; the published list
of 56 codes]: every non-2xx answer is `{"ErrorCode", "DeveloperErrorMessage", "ErrorId"}`, with
a fresh ErrorId each time (support asks for it); validation failures add
`Errors: [{"Field", "ErrorCode", "Message", "Key"}]`. Visma payroll answers in the same envelope
and imports it from here (`error`, also as `visma_error`). Messages start with the code's
published name, as the real API's do ("AuthorizationException - ...").
"""

import uuid

from sandbox.framework.errors import ErrorResponse, json_error

DATA_MODEL_VALIDATION = 2000
RESOURCE_NOT_FOUND = 3000
FISCAL_YEAR_NOT_FOUND = 3001
ACCOUNT_NOT_FOUND = 3002
CONFLICT = 4000
CANNOT_BE_DELETED = 4001
CANNOT_BE_CREATED_OR_UPDATED = 4002
TOO_MANY_REQUESTS = 4010
CANNOT_BOOKKEEP_INVOICE = 4013
FUTURE_DATE = 4023
QUERY_PARAMETER = 6000
INVALID_INPUT = 6001

NOT_AUTHORIZED = 4005
NO_ACCESS_TO_SCOPES = 4006
INSUFFICIENT_SCOPE = "insufficient_scope"  # the reason identity.py gives `unauthorized`


# -- the envelope --------------------------------------------------------------------------------

def error(status, code, message, *, errors=None):
    """`{"ErrorCode", "DeveloperErrorMessage", "ErrorId"}`, plus `Errors` when given."""
    body = {"ErrorCode": code, "DeveloperErrorMessage": message, "ErrorId": str(uuid.uuid4())}
    if errors is not None:
        body["Errors"] = errors
    return json_error(body, status)


visma_error = error


def unauthorized(request, reason):
    """401 ErrorCode 4005 for a missing, unknown, expired or revoked token; 403 ErrorCode 4006
    for a token without the scope the endpoint needs."""
    if reason == INSUFFICIENT_SCOPE:
        return error(403, NO_ACCESS_TO_SCOPES, "NoAccessToScopes - The access token does not "
                                               "have the scopes this endpoint requires.")
    return error(401, NOT_AUTHORIZED, "AuthorizationException - Authorization has been denied "
                                      "for this request.")


def rate_limited(request, retry_after, *, limit=600, per="Minute"):
    """429 ErrorCode 4010 in the documented words [visma-eaccounting.md 3]; no Retry-After
    header (UNCONFIRMED): the seconds are in the message. Bind another `limit` with
    functools.partial where a simulator lowers it."""
    return error(429, TOO_MANY_REQUESTS, f"API calls quota exceeded! maximum admitted {limit} "
                                         f"per {per}. Try again in {retry_after} seconds.")


def server_error(request, status):
    if status == 503:
        return error(503, 5001, "CantReachSystemDependendency - Can't reach system dependency.")
    return error(status, 5000, "InternalServerError - An internal server error occurred.")


def body_rejected(problem):
    """For `strict_json` (sandbox.framework.jsonbody): 2000, with the unknown fields listed."""
    if problem.kind == problem.MALFORMED:
        return error(400, DATA_MODEL_VALIDATION, f"DataModelValidationError - {problem.detail}")
    return error(
        400, DATA_MODEL_VALIDATION,
        "DataModelValidationError - The request body contains unknown fields.",
        errors=[{"Field": field, "ErrorCode": DATA_MODEL_VALIDATION,
                 "Message": f"Unknown field {field}.", "Key": "UnknownField"}
                for field in problem.fields])


# -- the rules -----------------------------------------------------------------------------------

def fail(status, code, message, *, errors=None):
    raise ErrorResponse(error(status, code, message, errors=errors))


def not_found(what):
    """404 for an entity addressed by its URL, e.g. `not_found("Customer")`."""
    fail(404, RESOURCE_NOT_FOUND, f"ResourceNotFound - {what} was not found.")


def field_error(field, message, code=DATA_MODEL_VALIDATION, key="Invalid"):
    return {"Field": field, "ErrorCode": code, "Message": message, "Key": key}


def invalid(*problems, code=DATA_MODEL_VALIDATION):
    """400 with one `Errors[]` entry per (field, message) problem."""
    problems = [field_error(field, message, code) for field, message in problems]
    summary = "; ".join(f"{entry['Field']}: {entry['Message']}" for entry in problems)
    name = "DataModelValidationError" if code == DATA_MODEL_VALIDATION else "ValidationError"
    fail(400, code, f"{name} - {summary}", errors=problems)


def unknown_reference(field, what):
    """400 ResourceNotFound for a body naming something that does not exist."""
    fail(400, RESOURCE_NOT_FOUND, f"ResourceNotFound - {what} was not found.",
         errors=[field_error(field, f"{what} was not found.", RESOURCE_NOT_FOUND, "NotFound")])


def conflict(field, message):
    fail(400, CONFLICT, f"Conflict - {message}",
         errors=[field_error(field, message, CONFLICT, "Conflict")])


def cannot_change(message, field=None):
    errors = [field_error(field, message, CANNOT_BE_CREATED_OR_UPDATED)] if field else None
    fail(400, CANNOT_BE_CREATED_OR_UPDATED, f"CanNotBeCreatedOrUpdated - {message}",
         errors=errors)


def query_error(message):
    """6000 QueryParameterError for a `$filter` (or other query parameter) we cannot read."""
    fail(400, QUERY_PARAMETER, f"QueryParameterError - {message}")


def invalid_input(message):
    """6001 InvalidInput: a date or number in the query in the wrong format."""
    fail(400, INVALID_INPUT, f"InvalidInput - {message}")
