"""The Tripletex simulator over real HTTP (`requests` against the live server): an order whose
response is lost on the wire but which Tripletex stored, found again by our reference within a
date range; and a webhook that really reaches a subscriber's HTTP server, signed."""

import base64
import hashlib
import hmac
import itertools
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sandbox.framework import faults
from sandbox.tripletex import seed, store, webhooks
from sandbox.tripletex.simulator import RATE_LIMIT
from tests.sandbox.conftest import SANDBOX_APPS

pytestmark = pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)


@pytest.fixture
def tx(live_server, monkeypatch):
    ticks = itertools.count(0, 0.001)  # never rate-limited here; test_tripletex_hooks tests it
    monkeypatch.setattr(RATE_LIMIT, "clock", lambda: next(ticks))
    tenant = seed.seed_company("Live Bil AS")
    api = f"{live_server.url}/sandbox/tripletex/v2"
    expiration = (store.today() + timedelta(days=1)).isoformat()
    answer = requests.post(f"{api}/token/session/:create", timeout=10, json={
        "consumerToken": seed.CONSUMER_TOKEN, "employeeToken": tenant.secret,
        "expirationDate": expiration})
    assert answer.status_code == 201, answer.text
    session = requests.Session()
    session.auth = ("0", answer.json()["value"]["token"])
    session.api = api
    yield session
    session.close()


def order_body(tx, reference):
    customer = tx.post(f"{tx.api}/customer", json={"name": "Kari AS"}, timeout=10).json()
    return {"customer": {"id": customer["value"]["id"]}, "orderDate": "2026-12-01",
            "deliveryDate": "2026-12-01", "reference": reference,
            "orderLines": [{"description": "Bil", "unitPriceExcludingVatCurrency": 200000.0}]}


def test_a_lost_response_on_order_create_still_stores_the_order(tx):
    body = order_body(tx, "hub-lost-1")
    faults.lose_next_responses("tripletex", mode="reset", path_prefix="/v2/order")

    with pytest.raises(requests.ConnectionError):
        tx.post(f"{tx.api}/order", json=body, timeout=10)

    found = tx.get(f"{tx.api}/order", timeout=10, params={
        "orderDateFrom": "2026-12-01", "orderDateTo": "2026-12-02",
        "customerId": body["customer"]["id"], "fields": "id,reference,isClosed"}).json()
    assert [(row["reference"], row["isClosed"]) for row in found["values"]] == [
        ("hub-lost-1", False)]
    invoiced = tx.put(f"{tx.api}/order/{found['values'][0]['id']}/:invoice",
                      params={"invoiceDate": "2026-12-01"}, timeout=10)
    assert invoiced.status_code == 200 and invoiced.json()["value"]["invoiceNumber"] == 1


@pytest.fixture
def subscriber():
    """A subscriber's HTTP server that records what it receives."""
    received, arrived = [], threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": body})
            self.send_response(200)
            self.end_headers()
            arrived.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    webhooks.dispatcher.clear()
    yield f"http://127.0.0.1:{server.server_port}/api/webhooks/tripletex", received, arrived
    server.shutdown()
    server.server_close()


def test_invoice_charged_reaches_the_subscriber_over_http(tx, subscriber):
    url, received, arrived = subscriber
    tx.post(f"{tx.api}/event/subscription", timeout=10, json={
        "event": "invoice.charged", "targetUrl": url, "hmacSharedSecret": "hemmelig",
        "fields": "id,invoiceNumber,amountOutstanding"})
    order = tx.post(f"{tx.api}/order", json=order_body(tx, "hub-2"), timeout=10).json()

    invoice = tx.put(f"{tx.api}/order/{order['value']['id']}/:invoice",
                     params={"invoiceDate": "2026-12-01"}, timeout=10).json()["value"]

    assert arrived.wait(10)
    [call] = received
    key = call["headers"]["idempotency-key"]
    signature = base64.b64encode(hmac.new(b"hemmelig", key.encode() + b"&" + call["body"],
                                          hashlib.sha512).digest()).decode()
    assert call["headers"]["x-request-signature"] == signature
    assert json.loads(call["body"])["value"] == {"id": invoice["id"], "invoiceNumber": 1,
                                                 "amountOutstanding": 250000.0}
    log = tx.get(tx.api.replace("/v2", "/_control/webhooks"), params={"wait": "5"},
                 timeout=10).json()
    assert [entry["outcome"] for entry in log["deliveries"]] == ["delivered"]


def test_two_invoice_calls_at_once_make_one_invoice(tx):
    order = tx.post(f"{tx.api}/order", json=order_body(tx, "hub-3"), timeout=10).json()["value"]
    barrier, statuses = threading.Barrier(2), []

    def invoice():
        barrier.wait()
        statuses.append(requests.put(f"{tx.api}/order/{order['id']}/:invoice", auth=tx.auth,
                                     params={"invoiceDate": "2026-12-01"}, timeout=30)
                        .status_code)

    threads = [threading.Thread(target=invoice) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    invoices = tx.get(f"{tx.api}/invoice", timeout=10, params={
        "invoiceDateFrom": "2026-12-01", "invoiceDateTo": "2026-12-02", "fields": "id"}).json()
    assert sorted(statuses) == [200, 422]
    assert invoices["fullResultSize"] == 1
