"""PowerOffice Go's error bodies: ProblemDetails from the API, `{statusCode, message}` from
its gateway (Azure API Management), 204 for an empty list. Builders plug into the `Simulator`
(see sandbox.framework.errors for the signatures)."""

from django.http import HttpResponse

from sandbox.framework.errors import json_error

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


def problem(status, title, detail=None, *, instance=None, extra=None):
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


def validation_problem(field_errors, *, instance=None):
    """ASP.NET's 400 for a body that fails validation: `errors` maps field -> messages."""
    return problem(400, "One or more validation errors occurred.",
                               instance=instance, extra={"errors": field_errors})


def route_not_found():
    """The API gateway's (Azure APIM) 404 for a route that does not exist, a different shape
    from the ProblemDetails 404 for a missing entity."""
    return json_error({"statusCode": 404, "message": "Resource not found"}, 404)


def empty_list():
    """PowerOffice Go answers an empty list with 204 and no body at all, not `[]`."""
    return HttpResponse(status=204)


def rate_limited(request, retry_after):
    """The gateway's throttling answer. Retry-After is what APIM's rate-limit policy sends."""
    return json_error(
        {"statusCode": 429,
         "message": f"Rate limit is exceeded. Try again in {retry_after} seconds."},
        429, headers={"Retry-After": str(retry_after)},
    )


def missing_subscription_key(request=None):
    """The gateway's 401 when Ocp-Apim-Subscription-Key is missing or wrong (APIM's text)."""
    return json_error(
        {"statusCode": 401,
         "message": "Access denied due to missing subscription key. Make sure to include "
                    "subscription key when making requests to an API."},
        401,
    )


def unauthorized(request, reason):
    """ASSUMED: the gateway's JWT-validation shape; the body is not documented, 401 is."""
    return json_error(
        {"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."}, 401
    )


def server_error(request, status):
    titles = {500: "An unexpected error occurred.", 502: "Bad Gateway",
              503: "Service Unavailable", 504: "Gateway Timeout"}
    return problem(status, titles.get(status, "Server Error"))


def body_rejected(problem):
    if problem.kind == problem.MALFORMED:
        return validation_problem({"$": [problem.detail]})
    return validation_problem(
        {field: [f"The field {field} is not allowed."] for field in problem.fields}
    )
