"""The shared provider cases on Fortnox, its API played with `responses` at a fake host (fact
sheet `fortnox.md`): OAuth code flow at `<FORTNOX_AUTH_URL>/auth` and `/token` (client id and
secret as Basic auth), refresh tokens that rotate and work once, revocation of the refresh token
at `/revoke`, the create is `POST /3/customers` with a customer number we choose, found again
by that number and our `ExternalReference`, and a relayed `customer-updated` event imports the
customer it names."""

import base64
import itertools
import re
import time
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
import responses
from django.utils import timezone

from accounting.models import Customer
from integrations.models import Connection
from integrations.providers import registry
from tests.integrations.provider_cases import ProviderContractCases, WebhookCases
from tests.integrations.provider_edge import ProviderEdge, connected

API = "https://fortnox.contract.test"
AUTH = "https://apps.fortnox.contract.test/oauth-v1"
CLIENT_ID = "fortnox-client-c0ntract"
CLIENT_SECRET = "fortnox-secret-c0ntract-5ecret"
NOT_FOUND = {"ErrorInformation": {"error": 1, "message": "Kan inte hitta kunden.",
                                  "code": 2000729}}
IN_USE = {"ErrorInformation": {"error": 1, "message": "Kundnummer används redan.",
                               "code": 2000637}}


class FortnoxEdge(ProviderEdge):
    token_endpoint = ("POST", r"/oauth-v1/token$")
    create_endpoint = ("POST", r"/3/customers$")
    revoke_endpoint = ("POST", r"/oauth-v1/revoke$")

    def __init__(self, rsps):
        super().__init__(rsps)
        self.access_tokens = set()
        self.refresh_tokens = set()  # each works once
        self.refresh_token = None  # the one issued last
        self.tenants = set()  # companies whose service account consent stands
        self.serial = itertools.count(1)
        self.customers = {"K-77": {"CustomerNumber": "K-77", "Name": "Berg Bygg AB",
                                   "Type": "COMPANY", "OrganisationNumber": "556000-1111"}}
        self.created = []
        self.serve("POST", f"{AUTH}/token", self._token)
        self.serve("POST", f"{AUTH}/revoke", self._revoke)
        self.serve("GET", f"{API}/3/companyinformation", self._authorized(lambda r: (200, {
            "CompanyInformation": {"CompanyName": "Contract Home AB", "DatabaseNumber": 778899}
        })))
        self.serve("POST", f"{API}/3/customers", self._authorized(self._create_customer))
        self.serve("GET", f"{API}/3/customers", self._authorized(self._list_customers))
        one = re.compile(rf"{re.escape(API)}/3/customers/[^/?]+(\?.*)?$")
        self.serve("GET", one, self._authorized(self._get_customer))
        self.serve("PUT", one, self._authorized(self._put_customer))

    def grant(self, access_token, refresh_token):
        with self.lock:
            self.access_tokens.add(access_token)
            self.refresh_tokens.add(refresh_token)
            self.refresh_token = refresh_token

    # -- the cases' hooks -------------------------------------------------------------------
    def remote_ids(self):
        return list(self.created)

    def approval(self, state):
        return {"code": "good-code", "state": state}

    # -- OAuth ------------------------------------------------------------------------------
    def _our_client(self, request):
        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        return base64.b64decode(basic).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"

    def _token(self, request):
        form = self.form(request)
        if not self._our_client(request):
            return 401, {"error": "invalid_client", "error_description": "Bad client"}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(form["refresh_token"])
            elif grant == "client_credentials" and request.headers.get("TenantId") in self.tenants:
                pass  # a service account: no refresh token at all
            elif not (grant == "authorization_code" and form.get("code") == "good-code"):
                return 400, {"error": "invalid_grant", "error_description": "Invalid grant"}
            n = next(self.serial)
        time.sleep(0.1)  # long enough that unserialised refreshes would overlap
        body = {"access_token": f"fx-at-{n}", "scope": "customer", "expires_in": 3600,
                "token_type": "bearer"}
        if grant == "client_credentials":
            with self.lock:
                self.access_tokens.add(body["access_token"])
        else:
            body["refresh_token"] = f"fx-rt-{n}"
            self.grant(body["access_token"], body["refresh_token"])
        return 200, body

    def _revoke(self, request):
        form = self.form(request)
        with self.lock:
            known = form.get("token") in self.refresh_tokens
            self.refresh_tokens.discard(form.get("token"))
        if not (self._our_client(request) and known):
            return 400, {"error": "invalid_request", "error_description": "Unknown token"}
        return 200, {"revoked": True}

    def _authorized(self, handler):
        def check(request):
            if self.bearer(request) not in self.access_tokens:
                return 401, {"message": "unauthorized"}
            return handler(request)

        return check

    # -- customers --------------------------------------------------------------------------
    def _number(self, request):
        return unquote(urlsplit(request.url).path.rsplit("/", 1)[1])

    def _create_customer(self, request):
        row = self.json_body(request)["Customer"]
        with self.lock:
            if row["CustomerNumber"] in self.customers:
                return 400, IN_USE
            self.customers[row["CustomerNumber"]] = row
            self.created.append(row["CustomerNumber"])
        if self.take_loss():
            raise self.timeout()
        return 201, {"Customer": row}

    def _list_customers(self, request):
        rows = list(self.customers.values())
        return 200, {"Customers": rows, "MetaInformation": {
            "@TotalResources": len(rows), "@TotalPages": 1, "@CurrentPage": 1}}

    def _get_customer(self, request):
        row = self.customers.get(self._number(request))
        return (200, {"Customer": row}) if row else (404, NOT_FOUND)

    def _put_customer(self, request):
        number = self._number(request)
        if number not in self.customers:
            return 404, NOT_FOUND
        self.customers[number].update(self.json_body(request)["Customer"])
        return 200, {"Customer": self.customers[number]}


class TestFortnoxContract(ProviderContractCases, WebhookCases):
    provider_key = "fortnox"
    create_operation = "customer.export"
    secret_settings = ("FORTNOX_CLIENT_SECRET",)

    @pytest.fixture
    def edge(self, settings):
        settings.FORTNOX_BASE_URL = API
        settings.FORTNOX_AUTH_URL = AUTH
        settings.FORTNOX_CLIENT_ID = CLIENT_ID
        settings.FORTNOX_CLIENT_SECRET = CLIENT_SECRET
        settings.APP_BASE_URL = "https://hub.contract.test"
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            yield FortnoxEdge(rsps)

    @pytest.fixture
    def make_connected(self, edge):
        def make(organization):
            access, refresh = f"fx-at-first-{organization.pk}", f"fx-rt-first-{organization.pk}"
            edge.grant(access, refresh)
            return connected(organization, self.provider_key,
                             {"mode": "code", "access_token": access, "refresh_token": refresh},
                             remote_tenant_id=str(500000 + organization.pk),
                             remote_company_name=organization.name)

        return make

    @pytest.fixture
    def make_record(self):
        def make(organization):
            return Customer.objects.create(
                organization=organization, kind="company", name="Brf Solrosen",
                org_number="769600-1234", email="styrelsen@solrosen.example.se",
                street="Solvägen 4", postal_code="11345", city="Stockholm", country="SE").pk

        return make

    def same_budget(self, connection, other_connection):
        # The budget is our client id's in one Fortnox company, whoever connected it.
        Connection.objects.filter(pk=other_connection.pk).update(
            remote_tenant_id=connection.remote_tenant_id)
        return registry.for_connection(Connection.objects.get(pk=other_connection.pk))

    def other_budget(self, connection, other_connection, settings):
        connection.remote_tenant_id = "another-tenant"
        return registry.for_connection(connection)

    def webhook_body(self, connection):
        return {"topic": "customers", "type": "customer-updated-v1",
                "tenantId": connection.remote_tenant_id, "entityId": "K-77"}


class TestFortnoxServiceAccountContract(TestFortnoxContract):
    """A service account (fact sheet: `account_type=service`): a token from our client and the
    tenant id, no refresh token, and nothing to revoke through the API (the customer withdraws
    the consent in Fortnox)."""

    revokes_at_provider = False

    @pytest.fixture
    def make_connected(self, edge):
        def make(organization):
            tenant, access = str(600000 + organization.pk), f"fx-at-service-{organization.pk}"
            with edge.lock:
                edge.tenants.add(tenant)
                edge.access_tokens.add(access)
            connection = Connection(organization=organization, provider=self.provider_key,
                                    status=Connection.Status.CONNECTED,
                                    connected_at=timezone.now(), remote_tenant_id=tenant,
                                    remote_company_name=organization.name)
            connection.set_credentials({"mode": "service", "access_token": access,
                                        "tenant_id": tenant},
                                       expires_at=timezone.now() + timedelta(hours=1))
            connection.save()
            return connection

        return make
