"""The dealer's seven acceptance criteria against the Tripletex simulator, for the second demo
dealer, exactly as `make demo` runs them: the app and the sandbox served in this process, a
person's browser on the shared contract and settings pages, the accountant page registering
the payment, and the simulator calling our webhook endpoint with its HMAC signature."""

import io
import json

import pytest
import requests
from django.core.management import call_command
from django.core.management.color import no_style

from integrations.models import WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings):
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    call_command("load_demo", verbosity=0)


def test_the_dealers_seven_criteria_pass_on_tripletex(demo):
    from integrations.providers.tripletex.acceptance_run import run

    out = io.StringIO()
    assert run(stdout=out, style=no_style(), verbosity=1), out.getvalue()
    text = out.getvalue()
    assert text.count("[PASS]") == 7 and "by webhook" in text
    # The payment came back through the webhook endpoint, signed and stored raw first.
    assert WebhookEvent.objects.filter(provider="tripletex", valid=True,
                                       status=WebhookEvent.Status.PROCESSED).exists()


def test_a_badly_signed_delivery_at_the_live_endpoint_is_refused(demo, live_server):
    body = json.dumps({"subscriptionId": 1, "event": "invoice.charged", "id": 1}).encode()
    answer = requests.post(f"{live_server.url}/api/webhooks/tripletex", data=body, timeout=30,
                           headers={"Content-Type": "application/json",
                                    "idempotency-key": "k-1", "x-request-signature": "bad"})
    assert answer.status_code == 400
    assert not WebhookEvent.objects.filter(provider="tripletex", valid=True).exists()
