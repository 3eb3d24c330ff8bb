"""Error responses every simulator shares (the exception that stops a view, JSON bodies, OAuth
2.0 errors). Each simulator keeps its provider's own shapes in `sandbox/<name>/errors.py`, so
our clients are tested against the bodies they will meet in production.

Builders with these signatures plug into a `Simulator`:
    unauthorized(request, reason) -> HttpResponse      reason: missing | invalid | expired | revoked
    server_error(request, status) -> HttpResponse      status: 500, 502, 503, 504
    rate_limited(request, retry_after) -> HttpResponse retry_after: whole seconds, at least 1
Where a provider's real body is not documented, the choice is marked ASSUMED with the reason.
A view stops with a provider error by raising `ErrorResponse(response)`.
"""


from django.http import JsonResponse


class ErrorResponse(Exception):
    """Raised inside a simulator view to answer with `response` at once (caught by
    `Simulator.endpoint`), e.g. `raise ErrorResponse(json_error({...}, 404))`."""

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
