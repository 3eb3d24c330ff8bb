"""The shared provider cases on PowerOffice Go v2, its API played with `responses` at a fake
host (fact sheet `poweroffice-go.md`): a token is asked for with the client key (§2, no refresh
token), connecting is the onboarding flow (§3B: Initiate -> approval in Go -> Finalize, our
state in the redirect URI's query), disconnecting is `DELETE /v2/Offboarding/RemoveIntegration`
(§4), the create is `POST /v2/Customers`, found again by `ExternalImportReference`, and a relayed
webhook wakes the payment poll (`GET /v2/OutgoingInvoices`)."""

import base64
import itertools
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from accounting.models import Customer
from integrations.providers import registry
from tests.integrations.provider_cases import ProviderContractCases, WebhookCases
from tests.integrations.provider_edge import ProviderEdge, connected

HOST = "https://pogo.contract.test/Demo"
API = f"{HOST}/v2"
APPLICATION_KEY = "app-key-c0ntract-5ecret"
SUBSCRIPTION_KEY = "sub-key-c0ntract-5ecret"


class PowerOfficeGoEdge(ProviderEdge):
    token_endpoint = ("POST", r"/OAuth/Token$")
    create_endpoint = ("POST", r"/v2/Customers$")
    revoke_endpoint = ("DELETE", r"/v2/Offboarding/RemoveIntegration$")
    refresh_token = None  # v2 has none: a new token is asked for with the client key

    def __init__(self, rsps):
        super().__init__(rsps)
        self.client_keys = set()  # keys of integrations still active in Go
        self.tokens = {}  # access token -> client key
        self.customers = []
        self.redirect_uris = []
        self.numbers = itertools.count(10001)
        self.serve("POST", f"{HOST}/OAuth/Token", self._token)
        self.serve("POST", f"{API}/Onboarding/Initiate", self._initiate)
        self.serve("POST", f"{API}/Onboarding/Finalize", self._finalize)
        self.serve("GET", f"{API}/ClientIntegrationInformation", self._client_information)
        self.serve("GET", f"{API}/Customers", self._list_customers)
        self.serve("POST", f"{API}/Customers", self._create_customer)
        self.serve("GET", re.compile(rf"{re.escape(API)}/Customers/\d+$"), self._get_customer)
        self.serve("PATCH", re.compile(rf"{re.escape(API)}/Customers/\d+$"), self._get_customer)
        self.serve("GET", f"{API}/OutgoingInvoices", self._authorized(lambda r: (204, "")))
        self.serve("DELETE", f"{API}/Offboarding/RemoveIntegration", self._remove_integration)

    def grant(self, client_key, access_token):
        with self.lock:
            self.client_keys.add(client_key)
            self.tokens[access_token] = client_key

    # -- the cases' hooks -------------------------------------------------------------------
    def remote_ids(self):
        return [str(row["Id"]) for row in self.customers]

    def connect_state(self, url):
        assert url == "https://go.contract.test/onboarding/approve"
        return parse_qs(urlsplit(self.redirect_uris[-1]).query)["state"][0]

    def approval(self, state):
        return {"state": state, "status": "Success", "token": "onboarding-token"}

    # -- the API ----------------------------------------------------------------------------
    def _subscribed(self, request):
        return request.headers.get("Ocp-Apim-Subscription-Key") == SUBSCRIPTION_KEY

    def _token(self, request):
        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        app_key, _, client_key = base64.b64decode(basic).decode().partition(":")
        if not self._subscribed(request) or app_key != APPLICATION_KEY:
            return 401, {"statusCode": 401, "message": "Access denied due to invalid "
                                                       "subscription key."}
        with self.lock:
            if client_key not in self.client_keys:
                return 400, {"error": "invalid_client",
                             "error_description": "Client integration not found."}
            token = f"pogo-at-{len(self.tokens)}"
            self.tokens[token] = client_key
        time.sleep(0.1)  # long enough that unserialised refreshes would overlap
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 1200}

    def _authorized(self, handler):
        def check(request):
            if not self._subscribed(request):
                return 401, {"statusCode": 401, "message": "Missing subscription key."}
            with self.lock:
                client_key = self.tokens.get(self.bearer(request))
                if client_key not in self.client_keys:
                    return 401, {"title": "Unauthorized", "status": 401}
            return handler(request)

        return check

    def _initiate(self, request):
        body = self.json_body(request)
        assert body["ApplicationKey"] == APPLICATION_KEY and self._subscribed(request)
        self.redirect_uris.append(body["RedirectUri"])
        return 200, {"TemporaryUrl": "https://go.contract.test/onboarding/approve",
                     "ValidUntilDateTimeOffset": "2030-01-01T00:00:00Z"}

    def _finalize(self, request):
        if self.json_body(request).get("OnboardingToken") != "onboarding-token":
            return 400, {"title": "Invalid onboarding token", "status": 400}
        with self.lock:
            self.client_keys.add("client-key-onboarded")
        return 200, {"UserEmail": "admin@example.no", "OnboardedClientsInformation": [
            {"ClientKey": "client-key-onboarded", "ClientName": "Contract Home AS",
             "ClientOrganizationNumber": "912345678"}]}

    def _client_information(self, request):
        return self._authorized(lambda r: (200, {
            "ClientId": "0f8fad5b-d9cb-469f-a165-70867728950e", "ClientName": "Contract Home AS",
            "ValidPrivileges": [], "InvalidPrivileges": []}))(request)

    def _list_customers(self, request):
        def answer(request):
            reference = self.query(request).get("externalImportReference")
            rows = [r for r in self.customers
                    if reference is None or r.get("ExternalImportReference") == reference]
            return (200, rows) if rows else (204, "")

        return self._authorized(answer)(request)

    def _create_customer(self, request):
        def answer(request):
            row = {**self.json_body(request), "Id": next(self.numbers)}
            row["Number"] = row["Id"]
            with self.lock:
                self.customers.append(row)
            if self.take_loss():
                raise self.timeout()
            return 201, row

        return self._authorized(answer)(request)

    def _get_customer(self, request):
        wanted = int(urlsplit(request.url).path.rsplit("/", 1)[1])
        rows = [r for r in self.customers if r["Id"] == wanted]
        return self._authorized(lambda r: (200, rows[0]) if rows else (404, ""))(request)

    def _remove_integration(self, request):
        def answer(request):
            with self.lock:
                self.client_keys.discard(self.tokens.get(self.bearer(request)))
            return 200, {"Success": True, "Message": "Integration removed"}

        return self._authorized(answer)(request)


class TestPowerOfficeGoContract(ProviderContractCases, WebhookCases):
    provider_key = "poweroffice_go"
    create_operation = "customer.upsert"
    secret_settings = ("POWEROFFICE_GO_APPLICATION_KEY", "POWEROFFICE_GO_SUBSCRIPTION_KEY")

    @pytest.fixture
    def edge(self, settings):
        settings.POWEROFFICE_GO_BASE_URL = HOST
        settings.POWEROFFICE_GO_APPLICATION_KEY = APPLICATION_KEY
        settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = SUBSCRIPTION_KEY
        settings.APP_BASE_URL = "https://hub.contract.test"
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            yield PowerOfficeGoEdge(rsps)

    @pytest.fixture
    def make_connected(self, edge):
        def make(organization):
            client_key, token = f"client-key-{organization.pk}", f"pogo-at-first-{organization.pk}"
            edge.grant(client_key, token)
            return connected(organization, self.provider_key,
                             {"client_key": client_key, "access_token": token},
                             remote_tenant_id=f"client-guid-{organization.pk}")

        return make

    @pytest.fixture
    def make_record(self):
        def make(organization):
            return Customer.objects.create(
                organization=organization, kind="company", name="Fjordtransport AS",
                org_number="987654321", email="post@fjordtransport.example.no",
                street="Bryggen 3", postal_code="5003", city="Bergen").pk

        return make

    def same_budget(self, connection, other_connection):
        # Our subscription key's budget is shared by every customer company.
        return registry.for_connection(other_connection)

    def other_budget(self, connection, other_connection, settings):
        settings.POWEROFFICE_GO_SUBSCRIPTION_KEY = "another-sub-key-5ecret"
        return registry.for_connection(connection)

    def webhook_body(self, connection):
        return {"ClientId": connection.remote_tenant_id, "Type": "OutgoingInvoice.Changed"}
