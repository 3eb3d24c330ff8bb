"""The PowerOffice Go simulator as the framework sees it: its gateway (Azure API Management in
front of Go), its 401/404/429 bodies and its rate limit.

The gateway answers before the API does, in its own `{statusCode, message}` shape: a missing or
unknown subscription key is a 401, a route or method it does not publish is a 404 "Resource not
found" (so `POST /v2/SalesOrders` is a 404, not a 405), and more than 10 requests in any second
for one subscription key, whichever client company they are for, is a 429 with Retry-After.
"""

from sandbox.framework.errors import json_error
from sandbox.framework.jsonbody import strict_json
from sandbox.framework.ratelimit import RateLimit, by_header
from sandbox.framework.simulator import Simulator
from sandbox.models import SandboxClient
from sandbox.poweroffice_go import errors, fields, seed
from sandbox.poweroffice_go.accountant import PowerOfficeBook
from sandbox.poweroffice_go.store import SLUG, fail

SUBSCRIPTION_HEADER = "Ocp-Apim-Subscription-Key"
SUBSCRIPTION_QUERY = "subscription-key"


def subscription_key(request):
    return (request.headers.get(SUBSCRIPTION_HEADER, "")
            or request.GET.get(SUBSCRIPTION_QUERY, "")).strip()


def developer_app(request):
    """The registered integration whose subscription key came with the request, or None."""
    key = subscription_key(request)
    if not key:
        return None
    return SandboxClient.objects.filter(provider=SLUG, client_secret=key).first()


def gateway_check(request):
    if not subscription_key(request):
        return errors.missing_subscription_key(request)
    if developer_app(request) is None:
        return json_error(
            {"statusCode": 401,
             "message": "Access denied due to invalid subscription key. Make sure to provide "
                        "a valid key for an active subscription."}, 401)
    return None


def rate_limited(request, retry_after):
    """APIM's throttling body as Go's published spec gives it: statusCode is a string."""
    return json_error(
        {"statusCode": "429",
         "message": f"Rate limit is exceeded. Try again in {retry_after} seconds."},
        429, headers={"Retry-After": str(retry_after)})


def route_not_found(request, allowed=None):
    return errors.route_not_found()


def body_rejected(problem, request=None):
    """ASP.NET's 400 for a body it cannot bind: the property it could not map, by JSON path."""
    instance = request.path if request is not None else None
    if problem.kind == problem.MALFORMED:
        return errors.problem(400, "One or more validation errors occurred.",
                                          problem.detail, instance=instance,
                                          extra={"errors": {"$": [problem.detail]}})
    names = ", ".join(f"'{path}'" for path in problem.fields)
    return errors.problem(
        400, "One or more validation errors occurred.",
        f"The JSON property {names} could not be mapped to any member of the request type.",
        instance=instance,
        extra={"errors": {f"$.{path}": [f"The JSON property '{path.rsplit('.', 1)[-1]}' could "
                                         f"not be mapped to any member of the request type."]
                          for path in problem.fields}})


def json_body(request, spec, *, optional=False):
    """The request's JSON object, refused (400) if it carries a property `spec` does not know
    or a value of the wrong type. `optional`: an empty body reads as {}."""
    if optional and not request.body.strip():
        return {}
    data = strict_json(request, fields.names(spec),
                       rejected=lambda problem: body_rejected(problem, request))
    wrong = fields.type_errors(data, spec)
    if wrong:
        first = next(iter(wrong.values()))[0]
        fail(request, 400, "One or more validation errors occurred.", first, field_errors=wrong)
    return data


simulator = Simulator(
    SLUG, "PowerOffice Go",
    urls="sandbox.poweroffice_go.urls",
    unauthorized=errors.unauthorized,
    server_error=errors.server_error,
    rate_limited=rate_limited,
    rate_limit=RateLimit(limit=10, window_seconds=1, name="10 per second per subscription key",
                         key=by_header(SUBSCRIPTION_HEADER, query_param=SUBSCRIPTION_QUERY)),
    gateway_check=gateway_check,
    method_not_allowed=route_not_found,
    accountant=PowerOfficeBook(),
    description="API v2 (demo environment): token, onboarding, customers, products, sales "
                "orders, invoice sending, outgoing invoices, customer ledger",
    seed=seed.seed,
)
