"""The dealer's pages and API without the simulator: validation blocks with deep links, one
job per intent, organization scoping, roles."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from contracts.models import ContractLine
from integrations.models import Connection, SyncJob

pytestmark = pytest.mark.django_db

BASE = "https://goapi.test/Demo"


@pytest.fixture(autouse=True)
def pogo(settings):
    settings.POWEROFFICE_GO_BASE_URL = BASE
    settings.POWEROFFICE_GO_APPLICATION_KEY = "app-key"
    settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = "sub-key"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{BASE}/v2/GeneralLedgerAccounts", json=[
            {"AccountNo": n, "VatCode": "3"} for n in (3000, 3010, 3020, 3100)])
        yield mock


@pytest.fixture
def connection(dealer):
    conn = Connection(organization=dealer, provider="poweroffice_go",
                      status=Connection.Status.CONNECTED, connected_at=timezone.now())
    conn.set_credentials({"client_key": "ck-SECRET-123", "access_token": "tok-SECRET-456"},
                         expires_at=timezone.now() + timedelta(minutes=20))
    conn.save()
    return conn


@pytest.fixture
def staff(dealer, make_user, client):
    user = make_user("selger", dealer, role="staff")
    client.force_login(user)
    return user


def test_missing_mapping_blocks_with_a_deep_link_to_the_mapping_row(client, staff, connection,
                                                                    mappings, contract):
    ContractLine.objects.create(contract=contract, category="fee", description="Omreg.",
                                unit_price=1500)
    response = client.post("/api/accounting/pogo/send-order", {"contractId": contract.pk},
                           content_type="application/json")
    assert response.status_code == 422
    problems = response.json()["problems"]
    vat = next(p for p in problems if p["field"] == "mapping.vat.fee")
    assert vat["message"] == "Mangler MVA-mapping for 'Gebyr'. Gå til Regnskap -> Mapping."
    assert vat["fix_url"] == "/admin/integrations/vatmapping/add/?provider=poweroffice_go&" \
                             "category=fee"
    assert any(p["field"] == "mapping.account.fee" for p in problems)
    assert not SyncJob.objects.exists()
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Mangler MVA-mapping for" in page
    assert 'href="/admin/integrations/vatmapping/add/?provider=poweroffice_go&amp;category=fee"' \
        in page
    assert "disabled" in page.split("Send til PowerOffice Go")[0].rsplit("<button", 1)[1]


def test_every_problem_is_reported_at_once(client, staff, connection, contract):
    contract.customer.street = ""
    contract.customer.save()
    contract.car.year = None
    contract.car.save()
    response = client.post("/api/accounting/pogo/send-order", {"contractId": contract.pk},
                           content_type="application/json")
    fields = {p["field"] for p in response.json()["problems"]}
    assert {"customer.street", "car.year", "mapping.vat.car", "mapping.vat.addon",
            "mapping.account.car", "mapping.account.addon"} <= fields


def test_a_vat_code_that_differs_from_the_account_blocks(client, staff, connection, mappings,
                                                         contract, pogo):
    pogo.replace("GET", f"{BASE}/v2/GeneralLedgerAccounts", json=[
        {"AccountNo": 3000, "VatCode": "3"}, {"AccountNo": 3010, "VatCode": "6"}])
    response = client.post("/api/accounting/pogo/send-order", {"contractId": contract.pk},
                           content_type="application/json")
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert "3010" in problem["message"] and "VAT code 6" in problem["message"]
    assert problem["fix_url"].startswith("/admin/integrations/vatmapping/")


def test_clicking_twice_and_the_api_make_one_job(client, staff, connection, mappings, contract):
    for _ in range(2):
        assert client.post(f"/contracts/{contract.pk}/pogo/send/").status_code == 302
    response = client.post("/api/accounting/pogo/send-order", {"contractId": contract.pk},
                           content_type="application/json")
    assert response.status_code == 202, response.json()
    assert SyncJob.objects.filter(operation="order.create").count() == 1
    assert response.json()["job"]["jobId"] == SyncJob.objects.get().pk


def test_invoice_before_order_is_blocked(client, staff, connection, mappings, contract):
    response = client.post("/api/accounting/pogo/invoice", {"contractId": contract.pk},
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "order"


def test_another_organizations_contract_is_404(client, make_org, make_user, connection,
                                               contract):
    other = make_org("annen")
    client.force_login(make_user("annen-bruker", other))
    for url in ("/api/accounting/pogo/send-order", "/api/accounting/pogo/invoice"):
        assert client.post(url, {"contractId": contract.pk},
                           content_type="application/json").status_code == 404
    assert client.post(f"/contracts/{contract.pk}/pogo/send/").status_code == 404
    assert client.get(f"/api/accounting/pogo/contracts/{contract.pk}/status").status_code == 404


def test_bad_body_says_what_is_wrong(client, staff):
    response = client.post("/api/accounting/pogo/send-order", {"contract": 1},
                           content_type="application/json")
    assert response.status_code == 400
    assert "contractId" in response.json()


def test_staff_cannot_change_the_connection(client, staff, connection):
    assert client.post("/api/accounting/pogo/disconnect").status_code == 403
    assert client.post("/settings/accounting/disconnect/").status_code == 403
    connection.refresh_from_db()
    assert connection.status == Connection.Status.CONNECTED


def test_settings_page_shows_the_connection_without_secrets(client, dealer, make_user,
                                                            connection):
    client.force_login(make_user("sjef", dealer, role="admin"))
    page = client.get("/settings/accounting/").content.decode()
    assert "Koble fra" in page and "Test tilkobling" in page
    assert "SECRET" not in page


def test_the_mapping_editor_offers_the_providers_own_accounts(client, dealer, make_user,
                                                              connection, pogo):
    pogo.get(f"{BASE}/v2/VatCodes", json=[{"Code": "3", "Name": "Utgående høy", "Rate": 0.25}])
    client.force_login(make_user("sjef", dealer, role="admin"))
    page = client.get("/admin/integrations/accountmapping/add/?provider=poweroffice_go&"
                      "category=fee").content.decode()
    # Picked from Go's own lists (a select), not typed.
    assert 'data-remote-list="account"' in page
    assert '<option value="3010">3010 (' in page
    vat = client.get("/admin/integrations/vatmapping/add/?provider=poweroffice_go&"
                     "category=fee").content.decode()
    assert '<option value="3">3 Utgående høy (0.25)</option>' in vat
    # Another provider, not connected here: a plain field.
    plain = client.get("/admin/integrations/accountmapping/add/?provider=fortnox").content
    assert b"data-remote-list" not in plain


def test_the_nav_and_the_contract_panel_come_with_the_provider_only_where_it_is_used(
        client, staff, connection, contract, make_org, make_user):
    """The provider contributes its nav entry ("Regnskap") and its contract panel through the
    registry, for organizations that use it; a builder without it sees neither."""
    nav = client.get("/contracts/").content.decode().split("</nav>")[0]
    assert 'href="/settings/accounting/"' in nav
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'id="accounting-panel" data-provider="poweroffice_go"' in page
    builder = make_org("bygg", name="Bygg AB", country="SE", language="sv")
    client.force_login(make_user("snickare", builder, role="staff"))
    projects = client.get("/projects/")
    assert projects.status_code == 200
    nav = projects.content.decode().split("</nav>")[0]
    assert 'class="nav"' in nav and "/settings/accounting/" not in nav


def test_the_generic_callback_answers_go_without_a_500(client, dealer, make_user):
    """`GET /api/integrations/poweroffice_go/callback` once crashed (AttributeError); now the
    contract's finish_connect runs and a missing state says what to do."""
    client.force_login(make_user("sjef", dealer, role="admin"))
    response = client.get("/api/integrations/poweroffice_go/callback", follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("no state" in m for m in messages), messages
