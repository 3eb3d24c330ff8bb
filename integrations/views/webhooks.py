"""`POST /api/webhooks/<provider>`: the one inbound webhook endpoint (see `integrations.webhooks`).

No session, no CSRF: a sender proves itself by what the provider's verify hook checks. A
provider that keeps an older URL of its own routes it here with `provider` fixed.

A plain Django view, not a DRF one: the sequence reads the raw body itself and answers JSON
whatever the Accept header says (a 406 before the request is stored would lose the event), so
DRF's authentication, negotiation and parsers would only cost time on every event.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounting import rls
from integrations.providers import registry
from integrations.webhooks import receive


def webhook_provider(key):
    """The registered provider class that receives webhooks under `key`, or None."""
    try:
        provider_class = registry.get(key)
    except LookupError:
        return None
    return provider_class if provider_class.receives_webhooks() else None


def answer(request, provider_key) -> tuple[int, dict]:
    """(HTTP status, JSON body) for a POST of a webhook to `provider_key`: what this view and
    the WSGI fast path (`config/handlers.py`) both answer."""
    provider_class = webhook_provider(provider_key)
    if provider_class is None:
        return 404, {"status": "unknown_provider",
                     "error": f"No provider '{provider_key}' receives webhooks here."}
    # The sender names its organization only inside the event: the inbox finds the connection
    # across organizations, and keeps what it cannot place (no organization).
    with rls.rls_bypass(f"webhook inbox ({provider_class.key}): finds the connection the "
                        "event names"):
        return receive(request, provider_class)


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    http_method_names = ["post"]

    def post(self, request, provider):
        status, body = answer(request, provider)
        # The body is a few strings: json.dumps without JsonResponse's encoder class.
        return HttpResponse(json.dumps(body), status=status, content_type="application/json")

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = JsonResponse({"detail": f'Method "{request.method}" not allowed.'},
                                status=405)
        response["Allow"] = "POST"
        return response
