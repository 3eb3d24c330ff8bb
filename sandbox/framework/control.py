"""The control endpoints under /sandbox/<provider>/_control/: how a test or a person in another
process sets faults, expires tokens and reads what the rate limiter admitted, without access to
the sandbox's Python objects (e.g. against `make run`).

They are not part of any provider's API, so they answer in one plain shape: JSON in, JSON out,
`{"errors": {field: message}}` on a bad request. POSTs must be `application/json`: a browser
cannot send that cross-site without a CORS preflight, which is why these JSON endpoints may
skip Django's CSRF token while the HTML pages keep it.
"""

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sandbox.framework import faults as fault_settings
from sandbox.framework import tokens as token_store
from sandbox.models import SandboxFaultConfig, SandboxTenant, SandboxToken


def _bad_request(errors, status=400):
    return JsonResponse({"errors": errors}, status=status)


def _json_body(request):
    """(body dict, None) or (None, error response)."""
    if request.content_type != "application/json":
        return None, _bad_request({"content_type": "must be application/json"}, 415)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None, _bad_request({"body": "not valid JSON"})
    if not isinstance(body, dict):
        return None, _bad_request({"body": "must be a JSON object"})
    return body, None


def _tenant(simulator, external_id):
    """(tenant or None, None) or (None, error response) for an optional tenant id."""
    if external_id in (None, ""):
        return None, None
    tenant = SandboxTenant.objects.filter(provider=simulator.realm,
                                          external_id=str(external_id)).first()
    if tenant is None:
        return None, _bad_request({"tenant": f"no tenant {external_id!r} in {simulator.slug}"},
                                  404)
    return tenant, None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def faults(request, simulator):
    """GET: every fault row of the simulator. POST {"tenant"?, "reset"?, <setting>: value...}:
    `reset` first removes the row, then the settings given are applied."""
    if request.method == "GET":
        rows = SandboxFaultConfig.objects.filter(provider=simulator.slug)
        return JsonResponse({"provider": simulator.slug,
                             "faults": [fault_settings.as_json(row) for row in rows]})
    body, refused = _json_body(request)
    if refused:
        return refused
    tenant, refused = _tenant(simulator, body.pop("tenant", None))
    if refused:
        return refused
    reset = body.pop("reset", False)
    try:
        fault_settings.clean(body)
    except fault_settings.InvalidFaults as invalid:
        return _bad_request(invalid.errors)
    if reset:
        fault_settings.clear(simulator.slug, tenant)
    config = None
    if body or not reset:
        config = fault_settings.configure(simulator.slug, tenant, **body)
    return JsonResponse({"provider": simulator.slug,
                         "faults": fault_settings.as_json(config) if config else None})


_KINDS = {"access": [SandboxToken.ACCESS], "refresh": [SandboxToken.REFRESH],
          "code": [SandboxToken.CODE],
          "all": [SandboxToken.ACCESS, SandboxToken.REFRESH, SandboxToken.CODE]}


@csrf_exempt
@require_http_methods(["POST"])
def tokens(request, simulator):
    """POST {"expire": "access"|"refresh"|"code"|"all", "tenant"?} makes tokens expired now;
    POST {"revoke": true, "tenant"} revokes all of a tenant's tokens (consent withdrawn)."""
    body, refused = _json_body(request)
    if refused:
        return refused
    tenant, refused = _tenant(simulator, body.get("tenant"))
    if refused:
        return refused
    if body.get("revoke") is True:
        if tenant is None:
            return _bad_request({"tenant": "required to revoke"})
        return JsonResponse({"revoked": token_store.revoke_tenant_tokens(simulator.realm,
                                                                         tenant)})
    kinds = _KINDS.get(body.get("expire"))
    if kinds is None:
        return _bad_request({"expire": f"one of {sorted(_KINDS)}"})
    expired = sum(token_store.expire_tokens(simulator.realm, tenant=tenant, kind=kind)
                  for kind in kinds)
    return JsonResponse({"expired": expired})


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def admitted_requests(request, simulator):
    """GET (?key=): the requests the simulator's rate limits admitted, with the most ever
    admitted in one window; DELETE forgets them and the windows."""
    limits = sorted(simulator.rate_limits, key=lambda limit: limit.name)
    if request.method == "DELETE":
        for limit in limits:
            limit.reset()
        return JsonResponse({"reset": len(limits)})
    key = request.GET.get("key")
    return JsonResponse({"limits": [
        {"name": limit.name, "limit": limit.limit, "window_seconds": limit.window_seconds,
         "max_in_any_window": limit.max_admitted_in_any_window(key),
         "admitted": [{"key": entry.key, "wall_time": entry.wall_time,
                       "method": entry.method, "path": entry.path}
                      for entry in limit.admitted(key)]}
        for limit in limits
    ]})
