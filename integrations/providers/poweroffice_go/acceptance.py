"""What the dealer's acceptance run and the end-to-end tests ask PowerOffice Go (the sandbox)
directly: its API with the client key, and its accountant page. The person at the browser
(`Browser`, `drain`, `run_concurrently`) is the shared dealer flow's
(`contracts.dealerflow.acceptance`)."""

import time

import requests
from django.utils import timezone

# The person at the browser and the job runner are the shared dealer flow's (kept importable
# here for the tests that drive PowerOffice Go).
from contracts.dealerflow.acceptance import (  # noqa: F401
    ACTIVE,
    Browser,
    drain,
    run_concurrently,
)
from contracts.dealerflow.acceptance import csrf_in as _csrf_in


class PowerOfficeGoSandbox:
    """What we ask PowerOffice Go (the sandbox) directly, as its accountant or its API would
    answer: with the client key, our application and subscription keys."""

    def __init__(self, base, *, application_key, subscription_key):
        self.base = base.rstrip("/")
        self.application_key = application_key
        self.subscription_key = subscription_key
        self.session = requests.Session()

    def _send(self, method, url, **kwargs):
        """One request; these checks share our subscription key's 10 per second with the hub,
        so a 429 is waited out (Retry-After) rather than read as an answer."""
        for _ in range(10):
            response = self.session.request(method, url, timeout=30, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("Retry-After") or 1))
        return response

    def token(self, client_key):
        return self._send("POST", f"{self.base}/OAuth/Token",
                          data={"grant_type": "client_credentials"},
                          auth=(self.application_key, client_key),
                          headers={"Ocp-Apim-Subscription-Key": self.subscription_key})

    def api(self, client_key, path, params=None):
        token = self.token(client_key).json()["access_token"]
        response = self._send(
            "GET", f"{self.base}/v2/{path.lstrip('/')}", params=params,
            headers={"Authorization": f"Bearer {token}",
                     "Ocp-Apim-Subscription-Key": self.subscription_key})
        if response.status_code == 204:
            return []
        response.raise_for_status()
        return response.json()

    def register_payment(self, *, tenant, invoice_id, amount, paid_on=None):
        """The accountant page's form: register a payment on one invoice."""
        page = self.session.get(f"{self.base}/accountant/", params={"tenant": tenant},
                                timeout=30)
        response = self.session.post(
            f"{self.base}/accountant/", timeout=30,
            data={"csrfmiddlewaretoken": _csrf_in(page.text), "tenant": tenant,
                  "invoice": invoice_id, "amount": str(amount).replace(".", ","),
                  "paid_on": (paid_on or timezone.localdate()).isoformat()},
            headers={"Referer": page.url})
        if response.status_code >= 400:
            raise AssertionError(
                f"the accountant page refused the payment ({response.status_code})")
        return response

    def faults(self, **settings):
        response = self.session.post(f"{self.base}/_control/faults", json=settings, timeout=30)
        response.raise_for_status()
        return response.json()
