"""Error responses in each provider's real shape, so our clients are tested against the bodies
they will meet in production, not against something friendlier.

Builders with these signatures plug into a `Simulator`:
    unauthorized(request, reason) -> HttpResponse      reason: missing | invalid | expired | revoked
    server_error(request, status) -> HttpResponse      status: 500, 502, 503, 504
    rate_limited(request, retry_after) -> HttpResponse retry_after: whole seconds, at least 1
Where a provider's real body is not documented, the choice is marked ASSUMED with the reason.
A view stops with a provider error by raising `ErrorResponse(response)`.
"""

import uuid

from django.http import HttpResponse, JsonResponse


class ErrorResponse(Exception):
    """Raised inside a simulator view to answer with `response` at once (caught by
    `Simulator.endpoint`), e.g. `raise ErrorResponse(fortnox_error(404, 2000729, "..."))`."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


def json_error(body, status, *, content_type="application/json", headers=None):
    return JsonResponse(
        body, status=status, content_type=content_type, headers=headers,
        json_dumps_params={"ensure_ascii": False},
    )


# -- OAuth 2.0 (RFC 6749 section 5.2), used by every provider's token endpoint -------------------

def oauth_error(error, description, status=400):
    """`{"error", "error_description"}`: invalid_grant, invalid_client, invalid_request,
    unsupported_grant_type, unauthorized_client."""
    return json_error({"error": error, "error_description": description}, status,
                      headers={"Cache-Control": "no-store"})


# -- PowerOffice Go --------------------------------------------------------------------------------

_PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
    422: "https://tools.ietf.org/html/rfc9110#section-15.5.21",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    503: "https://tools.ietf.org/html/rfc9110#section-15.6.4",
}


def poweroffice_problem(status, title, detail=None, *, instance=None, extra=None):
    """ProblemDetails with camelCase keys, as real PowerOffice Go responses spell them (the spec
    says PascalCase; clients must parse case-insensitively)."""
    body = {"type": _PROBLEM_TYPES.get(status, _PROBLEM_TYPES[500]), "title": title,
            "status": status}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(extra or {})
    return json_error(body, status, content_type="application/problem+json")


def poweroffice_validation_problem(field_errors, *, instance=None):
    """ASP.NET's 400 for a body that fails validation: `errors` maps field -> messages."""
    return poweroffice_problem(400, "One or more validation errors occurred.",
                               instance=instance, extra={"errors": field_errors})


def poweroffice_route_not_found():
    """The API gateway's (Azure APIM) 404 for a route that does not exist, a different shape
    from the ProblemDetails 404 for a missing entity."""
    return json_error({"statusCode": 404, "message": "Resource not found"}, 404)


def poweroffice_empty_list():
    """PowerOffice Go answers an empty list with 204 and no body at all, not `[]`."""
    return HttpResponse(status=204)


def poweroffice_rate_limited(request, retry_after):
    """The gateway's throttling answer. Retry-After is what APIM's rate-limit policy sends."""
    return json_error(
        {"statusCode": 429,
         "message": f"Rate limit is exceeded. Try again in {retry_after} seconds."},
        429, headers={"Retry-After": str(retry_after)},
    )


def poweroffice_missing_subscription_key(request=None):
    """The gateway's 401 when Ocp-Apim-Subscription-Key is missing or wrong (APIM's text)."""
    return json_error(
        {"statusCode": 401,
         "message": "Access denied due to missing subscription key. Make sure to include "
                    "subscription key when making requests to an API."},
        401,
    )


def poweroffice_unauthorized(request, reason):
    """ASSUMED: the gateway's JWT-validation shape; the body is not documented, 401 is."""
    return json_error(
        {"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."}, 401
    )


def poweroffice_server_error(request, status):
    titles = {500: "An unexpected error occurred.", 502: "Bad Gateway",
              503: "Service Unavailable", 504: "Gateway Timeout"}
    return poweroffice_problem(status, titles.get(status, "Server Error"))


def poweroffice_body_rejected(problem):
    if problem.kind == problem.MALFORMED:
        return poweroffice_validation_problem({"$": [problem.detail]})
    return poweroffice_validation_problem(
        {field: [f"The field {field} is not allowed."] for field in problem.fields}
    )


# -- Fortnox --------------------------------------------------------------------------------

def fortnox_error(status, code, message):
    """`{"ErrorInformation": {"error": 1, "message", "code"}}` with lowercase inner keys, as
    the API sends them (the spec capitalises them). Messages are often Swedish; clients switch
    on `code`."""
    return json_error({"ErrorInformation": {"error": 1, "message": message, "code": code}},
                      status)


def fortnox_unauthorized(request, reason):
    """ASSUMED: 401 with the legacy login codes (2000311 credentials missing, 2000310 invalid
    login); whether an expired token answers 401 or 403 is not documented."""
    if reason == "missing":
        return fortnox_error(401, 2000311, "Kan inte logga in, access-token saknas.")
    return fortnox_error(401, 2000310, "Kan inte logga in, access-token eller "
                                       "client-secret är felaktigt eller har gått ut.")


def fortnox_rate_limited(request, retry_after):
    """ASSUMED: the bare `{"message"}` shape client SDKs parse for gateway errors; the real 429
    body and any Retry-After header are undocumented, so none is sent."""
    return json_error({"message": "Too Many Requests"}, 429)


def fortnox_server_error(request, status):
    return fortnox_error(status, 1000003, "Ett internt systemfel uppstod.")


def fortnox_body_rejected(problem):
    if problem.kind == problem.MALFORMED:
        return fortnox_error(400, 2002115, "Felaktig JSON-syntax.")
    return fortnox_error(400, 2001399, f"Felaktigt fältnamn ({', '.join(problem.fields)})")


# -- Visma eAccounting and Visma payroll (one envelope) ----------------------------------------

def visma_error(status, code, message, *, errors=None):
    """`{"ErrorCode", "DeveloperErrorMessage", "ErrorId"}` for every non-2xx, plus `Errors`
    (`[{"Field", "ErrorCode", "Message", "Key"}]`) on validation failures. Each answer gets a
    fresh ErrorId, which support asks for."""
    body = {"ErrorCode": code, "DeveloperErrorMessage": message, "ErrorId": str(uuid.uuid4())}
    if errors is not None:
        body["Errors"] = errors
    return json_error(body, status)


def visma_unauthorized(request, reason):
    return visma_error(401, 4005, "AuthorizationException - Authorization has been denied "
                                  "for this request.")


def visma_rate_limited(request, retry_after, *, limit=600, per="Minute"):
    """ErrorCode 4010; bind another `limit` with functools.partial when a simulator lowers it."""
    return visma_error(429, 4010, f"API calls quota exceeded! maximum admitted {limit} per "
                                  f"{per}. Try again in {retry_after} seconds.")


def visma_server_error(request, status):
    if status == 503:
        return visma_error(503, 5001, "Can't reach system dependency.")
    return visma_error(status, 5000, "An internal server error occurred.")


def visma_body_rejected(problem):
    if problem.kind == problem.MALFORMED:
        return visma_error(400, 2000, f"DataModelValidationError - {problem.detail}")
    return visma_error(
        400, 2000, "DataModelValidationError - The request body contains unknown fields.",
        errors=[{"Field": field, "ErrorCode": 2000, "Message": f"Unknown field {field}.",
                 "Key": "UnknownField"} for field in problem.fields],
    )
