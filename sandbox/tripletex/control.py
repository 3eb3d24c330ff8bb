"""Tripletex's own control endpoints (the framework adds faults, tokens and requests):

    GET/POST   _control/ratelimit        {"limit"?, "period_seconds"?, "reset"?}: the per-token
                                          budget, e.g. a small one to see 429 until the reset
    GET/DELETE _control/webhooks         deliveries made (status, attempt, idempotency-key,
                                          body; never secrets), ?wait=<s> waits until idle
    POST       _control/employee-tokens  {"tenant", "token"?, "active"?: false}: make a new
                                          employee token, or deactivate one (the customer
                                          deletes it in the GUI: its sessions stop working)
"""

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sandbox.models import SandboxRecord, SandboxTenant
from sandbox.tripletex import seed, store, webhooks
from sandbox.tripletex.simulator import RATE_LIMIT
from sandbox.tripletex.store import SLUG


def _body(request):
    if request.content_type != "application/json":
        return None, JsonResponse({"errors": {"content_type": "must be application/json"}},
                                  status=415)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, JsonResponse({"errors": {"body": "must be a JSON object"}}, status=400)
    return body, None


def _limit_json():
    return {"limit": RATE_LIMIT.limit, "period_seconds": RATE_LIMIT.window_seconds}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ratelimit(request):
    if request.method == "GET":
        return JsonResponse(_limit_json())
    body, refused = _body(request)
    if refused:
        return refused
    errors = {}
    for name in ("limit", "period_seconds"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or value < 1):
            errors[name] = "must be a number of at least 1"
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    if body.get("limit") is not None:
        RATE_LIMIT.limit = int(body["limit"])
    if body.get("period_seconds") is not None:
        RATE_LIMIT.window_seconds = float(body["period_seconds"])
    if body.get("reset") or body.get("limit") or body.get("period_seconds"):
        RATE_LIMIT.reset()
    return JsonResponse(_limit_json())


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def deliveries(request):
    if request.method == "DELETE":
        webhooks.dispatcher.clear()
        return JsonResponse({"cleared": True})
    try:
        wait = min(float(request.GET.get("wait") or 0), 30.0)
    except ValueError:
        return JsonResponse({"errors": {"wait": "must be a number of seconds"}}, status=400)
    idle = webhooks.wait_until_idle(wait) if wait > 0 else None
    return JsonResponse({"idle": idle, "deliveries": list(webhooks.dispatcher.log)})


@csrf_exempt
@require_http_methods(["POST"])
def employee_tokens(request):
    body, refused = _body(request)
    if refused:
        return refused
    tenant = SandboxTenant.objects.filter(provider=SLUG,
                                          external_id=str(body.get("tenant", ""))).first()
    if tenant is None:
        return JsonResponse({"errors": {"tenant": "no such Tripletex company"}}, status=404)
    if body.get("active") is False:
        token = SandboxRecord.objects.filter(tenant=tenant, kind="EmployeeToken",
                                             data__token=body.get("token", "")).first()
        if token is None:
            return JsonResponse({"errors": {"token": "no such employee token"}}, status=404)
        token.data["_active"] = False
        store.save(token)
        return JsonResponse({"token": token.data["token"], "active": False})
    token = seed.add_employee_token(tenant, token=body.get("token") or None)
    return JsonResponse({"token": token.data["token"], "active": True}, status=201)
