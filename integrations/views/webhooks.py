"""`POST /api/webhooks/<provider>`: the one inbound webhook endpoint (see `integrations.webhooks`).

No session, no CSRF: a sender proves itself by what the provider's verify hook checks. A
provider that keeps an older URL of its own routes it here with `provider` fixed.
"""

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.providers import registry
from integrations.webhooks import receive


class AnswerInJson(BaseContentNegotiation):
    """Whatever the sender's Accept header says: a 406 before the request is stored would lose
    the event."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def webhook_provider(key):
    """The registered provider class that receives webhooks under `key`, or None."""
    try:
        provider_class = registry.get(key)
    except LookupError:
        return None
    return provider_class if provider_class.receives_webhooks() else None


class WebhookView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnswerInJson

    def post(self, request, provider):
        provider_class = webhook_provider(provider)
        if provider_class is None:
            return Response({"status": "unknown_provider",
                             "error": f"No provider '{provider}' receives webhooks here."},
                            status=404)
        status, body = receive(request, provider_class)
        return Response(body, status=status)
