"""The Fortnox simulator over real HTTP (`requests` against the live server), as the hub's
client meets it: a lost response on POST 3/invoices still leaves the invoice stored, where a
search by our reference finds it."""

import pytest
import requests

from sandbox.fortnox.seed import access_headers, seed_app, seed_company
from sandbox.framework import faults
from sandbox.models import SandboxRecord
from tests.sandbox.conftest import SANDBOX_APPS

pytestmark = pytest.mark.django_db(transaction=True, available_apps=SANDBOX_APPS)


def test_a_lost_response_on_post_invoices_still_stores_the_invoice(live_server):
    company = seed_company("Frost Bygg AB")
    app = seed_app(redirect_uris=[f"{live_server.url}/callback"])
    base = f"{live_server.url}/sandbox/fortnox/3"
    session = requests.Session()
    session.headers.update(access_headers(company, app.client_id))
    session.post(f"{base}/customers", json={"Customer": {"CustomerNumber": "1",
                                                         "Name": "Brf Eken"}}, timeout=10)
    faults.lose_next_responses("fortnox", mode="reset", path_prefix="/3/invoices")
    invoice = {"Invoice": {"CustomerNumber": "1", "ExternalInvoiceReference1": "hub-7-inv-1",
                           "InvoiceRows": [{"ArticleNumber": "ARB", "DeliveredQuantity": "1"}]}}

    with pytest.raises(requests.ConnectionError):
        session.post(f"{base}/invoices", json=invoice, timeout=10)
    found = session.get(f"{base}/invoices", params={"externalinvoicereference1": "hub-7-inv-1"},
                        timeout=10)

    assert SandboxRecord.objects.filter(kind="invoice").count() == 1
    assert found.status_code == 200
    assert [item["ExternalInvoiceReference1"] for item in found.json()["Invoices"]] == [
        "hub-7-inv-1"]
    session.close()
