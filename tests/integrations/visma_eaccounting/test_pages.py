"""What Frost Bygg's people see of Visma eAccounting, in Swedish: the Integrationer page beside
Fortnox with the same controls, the Connect button leading to Visma's consent page, the
connection's company and tenant id, and the invoice page with Visma's number and payment
status. Also the seed's URLs (`/api/integrations/visma/...`)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from integrations.models import Link
from tests.integrations.visma_eaccounting.conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def swedish_admin(make_user, frost):
    client = Client()
    client.force_login(make_user("frost-admin", frost, role="admin"))
    return client  # no language cookie: the organization's language


def test_the_integrationer_page_shows_visma_beside_fortnox_in_swedish(swedish_admin, frost,
                                                                      connection):
    from integrations.models import VatMapping

    VatMapping.objects.create(organization=frost, provider="fortnox", category="labor",
                              vat_code="MP1")  # Frost uses Fortnox too (not connected here)
    html = swedish_admin.get("/integrations/").content.decode()
    assert 'id="integration-visma_eaccounting"' in html
    assert 'id="integration-fortnox"' in html
    section = html[html.index('id="integration-visma_eaccounting"'):]
    section = section[:section.index("</section>")]
    for text in ("Visma eAccounting", "Ansluten", "Koppla från", "Exportera", "Synka",
                 "Frost Bygg AB", connection.remote_tenant_id):
        assert text in section, text
    assert "Disconnect" not in section


def test_connect_at_the_seed_url_and_on_the_page_goes_to_vismas_consent(swedish_admin, visma,
                                                                         frost):
    answer = swedish_admin.post("/api/integrations/visma/connect", {},
                                content_type="application/json")
    assert answer.status_code == 200, answer.content
    url = answer.json()["authorization_url"]
    assert url.startswith("https://identity.visma.test/connect/authorize?")
    scope = parse_qs(urlsplit(url).query)["scope"][0].split()
    assert {"ea:api", "offline_access", "ea:sales", "ea:accounting_readonly"} == set(scope)
    page = swedish_admin.post("/integrations/visma_eaccounting/connect/")
    assert page.status_code == 302
    assert page["Location"].startswith("https://identity.visma.test/connect/authorize?")


def test_the_callback_at_the_seed_url_connects_and_names_the_company(swedish_admin, visma,
                                                                     frost):
    url = swedish_admin.post("/api/integrations/visma/connect", {},
                             content_type="application/json").json()["authorization_url"]
    state = parse_qs(urlsplit(url).query)["state"][0]
    back = swedish_admin.get("/api/integrations/visma/callback",
                             {"code": "good-code", "state": state}, follow=True)
    html = back.content.decode()
    assert "Contract Bygg AB" in html  # the company's name, from /v2/companysettings
    from integrations.models import Connection

    connection = Connection.objects.get(organization=frost, provider="visma_eaccounting")
    assert connection.remote_tenant_id == visma.customer_id
    assert connection.status == Connection.Status.CONNECTED


def test_a_consent_without_eaccounting_says_what_to_do(swedish_admin, visma, frost):
    from integrations.models import Connection

    visma.granted_scope = "vls:api offline_access"  # the person unticked eAccounting
    url = swedish_admin.post("/api/integrations/visma/connect", {},
                             content_type="application/json").json()["authorization_url"]
    state = parse_qs(urlsplit(url).query)["state"][0]
    back = swedish_admin.get("/api/integrations/visma/callback",
                             {"code": "good-code", "state": state}, follow=True)
    assert "ea:api" in back.content.decode()
    assert not Connection.objects.filter(provider="visma_eaccounting").exists()


def test_the_invoice_page_shows_vismas_number_and_payment_status(swedish_admin, visma,
                                                                 connection, invoice):
    assert run(connection, "invoice.export", invoice)[0] == "done"
    remote_id = Link.objects.get(record_type="invoice").remote_id
    visma.pay(remote_id, 1000)
    from datetime import timedelta

    from django.utils import timezone

    from integrations.providers import registry

    registry.for_connection(connection).poll(record_types=["invoice"],
                                             since=timezone.now() - timedelta(hours=1))
    html = swedish_admin.get(f"/invoices/{invoice.pk}/").content.decode()
    panel = html[html.index('id="visma-eaccounting-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert "Delvis betald" in panel  # partly paid, in Swedish
    assert "5906.69" in panel.replace("\xa0", "").replace(",", ".")  # what is left
    assert remote_id in html or "1" in panel  # Visma's invoice number / id on the page
