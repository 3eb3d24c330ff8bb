"""A provider that exists only in tests: a small, honest client for an imaginary accounting API
at https://fakebooks.test, whose HTTP side `FakeBooksServer` plays through `responses`.

It lets the engine's promises be tested without a real provider: create with our reference,
find by reference, OAuth refresh with single-use refresh tokens, 429/5xx/timeouts on demand."""

import json
import threading
import time
from datetime import timedelta

import requests
from django.utils import timezone

from integrations.errors import AuthError
from integrations.http import ProviderClient
from integrations.providers.base import Capabilities, Operation, OperationResult, Provider

BASE = "https://fakebooks.test/api"
TOKEN_URL = "https://fakebooks.test/oauth/token"


class FakeBooksClient(ProviderClient):
    base_url = BASE

    def parse_error(self, response):
        try:
            body = response.json()
        except ValueError:
            return None, response.text
        return body.get("code"), body.get("message", "")


def _create_customer(provider, job):
    client = FakeBooksClient(provider)
    body = {"name": job.params.get("name", "x"), "reference": job.external_reference}
    data = client.request("POST", "/customers", json=body).json()
    return OperationResult(remote_id=str(data["id"]), remote_number=str(data["id"]))


def _find_customer(provider, job):
    client = FakeBooksClient(provider)
    response = client.request("GET", "/customers", params={"reference": job.external_reference})
    for row in response.json() if response.status_code == 200 else []:
        if row["reference"] == job.external_reference:  # the API matches substrings
            return OperationResult(remote_id=str(row["id"]), remote_number=str(row["id"]))
    return None


class FakeBooks(Provider):
    key = "fakebooks"
    name = "FakeBooks"
    capabilities = Capabilities(records={"customer": "out"}, inbound="poll", auth=("oauth2_code",))
    operations = {
        "customer.create": Operation(record_type="customer", perform=_create_customer,
                                     find_existing=_find_customer),
    }
    remote_url_template = "https://fakebooks.test/app/customers/{remote_id}"

    def refresh_credentials(self, credentials):
        try:
            form = {"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]}
            response = requests.post(TOKEN_URL, data=form, timeout=5)
        except requests.RequestException as exc:
            raise AuthError(f"token endpoint unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise AuthError(response.json().get("error_description", "refused"),
                            status_code=response.status_code, raw=response.json())
        token = response.json()
        expires_at = timezone.now() + timedelta(seconds=token["expires_in"])
        return ({"access_token": token["access_token"], "refresh_token": token["refresh_token"]},
                expires_at)


class FakeBooksServer:
    """The remote side. Thread-safe, because the engine tests hit it from many threads."""

    def __init__(self, rsps):
        self.lock = threading.Lock()
        self.customers = []
        self.refresh_token = "refresh-0"
        self.access_token = "access-0"
        self.token_calls = 0
        self.create_calls = 0
        self.authorized_calls = []
        # Queued behaviours for the next POSTs: "503", "422", "429:<retry-after>",
        # "timeout-after-store", "cut-off-after-store"
        self.next_post_faults = []
        self.create_delay = 0.0
        rsps.add_callback("POST", f"{BASE}/customers", callback=self._post_customer)
        rsps.add_callback("GET", f"{BASE}/customers", callback=self._get_customers)
        rsps.add_callback("POST", TOKEN_URL, callback=self._token)

    def _authorized(self, request):
        ok = request.headers.get("Authorization") == f"Bearer {self.access_token}"
        self.authorized_calls.append(ok)
        return ok

    def _post_customer(self, request):
        with self.lock:
            self.create_calls += 1
            if not self._authorized(request):
                return 401, {}, json.dumps({"code": "auth", "message": "bad token"})
            fault = self.next_post_faults.pop(0) if self.next_post_faults else None
        if self.create_delay:
            time.sleep(self.create_delay)
        if fault == "503":
            return 503, {}, json.dumps({"code": "down", "message": "maintenance"})
        if fault and fault.startswith("429"):
            return 429, {"Retry-After": fault.split(":")[1]}, json.dumps({"message": "slow down"})
        if fault == "422":
            return 422, {}, json.dumps({"code": "2000637", "message": "Customer number in use"})
        body = json.loads(request.body)
        with self.lock:
            row = {"id": 1000 + len(self.customers), **body}
            self.customers.append(row)
        if fault == "timeout-after-store":
            raise requests.exceptions.ReadTimeout("read timed out")
        if fault == "cut-off-after-store":
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")
        return 201, {}, json.dumps(row)

    def _get_customers(self, request):
        ref = request.params.get("reference", "")
        with self.lock:
            rows = [c for c in self.customers if ref in c["reference"]]
        return 200, {}, json.dumps(rows)

    def _token(self, request):
        form = dict(p.split("=", 1) for p in request.body.split("&"))
        with self.lock:
            self.token_calls += 1
            if form.get("refresh_token") != self.refresh_token:
                return 400, {}, json.dumps({"error": "invalid_grant",
                                            "error_description": "refresh token already used"})
            n = self.token_calls
            self.refresh_token = f"refresh-{n}"
            self.access_token = f"access-{n}"
        time.sleep(0.05)  # long enough that concurrent refreshes would overlap
        return 200, {}, json.dumps({"access_token": f"access-{n}", "refresh_token": f"refresh-{n}",
                                    "expires_in": 3600, "token_type": "bearer"})
