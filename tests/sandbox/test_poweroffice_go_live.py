"""The PowerOffice Go simulator over real HTTP (`requests` against the live server), as the hub's
client will meet it: the whole order-to-invoice path, and a sales order whose response is lost
on the wire but which Go has stored, to be found again by its ExternalImportReference."""

import itertools

import pytest
import requests

from sandbox.framework import faults
from sandbox.poweroffice_go import seed
from sandbox.poweroffice_go.simulator import simulator
from tests.sandbox.conftest import SANDBOX_APPS

pytestmark = pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)


@pytest.fixture
def go(live_server, monkeypatch):
    ticks = itertools.count(0, 0.11)  # never rate-limited here; test_poweroffice_go tests that
    monkeypatch.setattr(simulator.rate_limit, "clock", lambda: next(ticks))
    seed.ensure_developer_app()
    tenant = seed.seed_company("Live Bil AS")
    base = f"{live_server.url}/sandbox/poweroffice_go"
    session = requests.Session()
    session.headers["Ocp-Apim-Subscription-Key"] = seed.SUBSCRIPTION_KEY
    answer = session.post(f"{base}/OAuth/Token", data={"grant_type": "client_credentials"},
                          auth=(seed.APPLICATION_KEY, tenant.secret), timeout=10)
    assert answer.status_code == 200, answer.text
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    session.api = f"{base}/v2"
    yield session
    session.close()


def make_order_body(go, reference):
    customer = go.post(f"{go.api}/Customers", json={"Name": "Kari AS"}, timeout=10).json()
    go.post(f"{go.api}/Products", json={"Code": "CAR", "Name": "Bil", "UnitPrice": 200000,
                                        "StandardSalesAccount": 3000}, timeout=10)
    return {"CustomerId": customer["Id"], "ExternalImportReference": reference,
            "SalesOrderLines": [{"ProductCode": "CAR", "Quantity": 1}]}


def test_order_to_invoice_over_http(go):
    order = go.post(f"{go.api}/SalesOrders/Complete", json=make_order_body(go, "hub-1"),
                    timeout=10)
    sent = go.post(f"{go.api}/SalesOrders/{order.json()['Id']}/createAndSendInvoice",
                   json={"DeliveryType": "PdfPrintForDownload"}, timeout=10)
    go.get(sent.headers["Location"], timeout=10)
    state = go.get(sent.headers["Location"], timeout=10).json()[0]

    assert order.status_code == 201 and order.json()["TotalAmount"] == 250000.0
    assert sent.status_code == 202
    assert state["InvoiceNo"] == 10001 and state["InvoiceDeliveryType"] == "Print"


def test_a_lost_response_on_sales_order_create_still_stores_the_order(go):
    body = make_order_body(go, "hub-lost-1")
    faults.lose_next_responses("poweroffice_go", mode="reset",
                               path_prefix="/v2/SalesOrders/Complete")

    with pytest.raises(requests.ConnectionError):
        go.post(f"{go.api}/SalesOrders/Complete", json=body, timeout=10)

    listed = go.get(f"{go.api}/SalesOrders",
                    params={"onlyCreatedByCurrentIntegration": "true"}, timeout=10)
    again = go.post(f"{go.api}/SalesOrders/Complete", json=body, timeout=10)
    assert [row["ExternalImportReference"] for row in listed.json()] == ["hub-lost-1"]
    assert again.status_code == 400 and "hub-lost-1" in again.json()["detail"]
