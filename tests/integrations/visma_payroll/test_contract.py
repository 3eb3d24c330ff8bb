"""The shared provider cases on Visma payroll, its API played with `responses` at a fake host
(fact sheets visma-payroll.md 1.1, visma-eaccounting.md 2): the identity server's code flow at
`<VISMA_IDENTITY_URL>/connect/authorize` and `/connect/token` (our client as Basic auth), JWT
access tokens naming the company (`customer_id`), refresh tokens that rotate and work once and
live in the shared Visma grant, revocation at `/connect/revocation`; the create is `POST
/v2/employees` with our employee number, found again by listing the employees."""

import base64
import itertools
import json
import re
import time
import uuid

import pytest
import responses

from accounting.models import Employee
from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.visma_eaccounting import identity
from tests.integrations.provider_cases import ProviderContractCases
from tests.integrations.provider_edge import ProviderEdge
from tests.integrations.visma_payroll.conftest import API, IDENTITY

CLIENT_ID = "hub-visma-client"
CLIENT_SECRET = "hub-visma-s3cret-value"


def jwt(customer_id, n):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return ".".join([part({"alg": "RS256"}), part({"customer_id": customer_id,
                                                   "scope": ["vls:api"], "n": n}),
                     "c2lnbmF0dXJl"])


class PayrollEdge(ProviderEdge):
    token_endpoint = ("POST", r"/connect/token$")
    create_endpoint = ("POST", r"/v2/employees$")
    revoke_endpoint = ("POST", r"/connect/revocation$")

    def __init__(self, rsps):
        super().__init__(rsps)
        self.access_tokens, self.refresh_tokens = set(), set()
        self.refresh_token = None  # it lives in the shared grant, not on the connection
        self.serial = itertools.count(1)
        self.company = str(uuid.uuid4())
        self.employees = {}
        self.created = []
        self.serve("POST", f"{IDENTITY}/connect/token", self._token)
        self.serve("POST", f"{IDENTITY}/connect/revocation", self._revoke)
        self.serve("GET", f"{API}/v2/employees", self._authorized(self._list))
        self.serve("POST", f"{API}/v2/employees", self._authorized(self._create))
        self.serve("GET", re.compile(rf"{re.escape(API)}/v2/employees/[^/?]+(\?.*)?$"),
                   self._authorized(self._get))

    def grant(self, access_token, refresh_token):
        with self.lock:
            self.access_tokens.add(access_token)
            self.refresh_tokens.add(refresh_token)

    def remote_ids(self):
        return list(self.created)

    def approval(self, state):
        return {"code": "good-code", "state": state}

    def _our_client(self, request):
        basic = request.headers.get("Authorization", "").removeprefix("Basic ")
        return base64.b64decode(basic).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"

    def _token(self, request):
        form = self.form(request)
        if not self._our_client(request):
            return 401, {"error": "invalid_client"}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(form["refresh_token"])
            elif not (grant == "authorization_code" and form.get("code") == "good-code"):
                return 400, {"error": "invalid_grant"}
            n = next(self.serial)
        time.sleep(0.1)  # long enough that unserialised refreshes would overlap
        access, refresh = jwt(self.company, n), f"vis-rt-{n}"
        self.grant(access, refresh)
        return 200, {"access_token": access, "refresh_token": refresh, "expires_in": 3600,
                     "token_type": "Bearer", "scope": "offline_access vls:api"}

    def _revoke(self, request):
        form = self.form(request)
        with self.lock:
            known = form.get("token") in self.refresh_tokens
            self.refresh_tokens.discard(form.get("token"))
        return (200, "") if self._our_client(request) and known else (400, {
            "error": "invalid_request"})

    def _authorized(self, handler):
        def check(request):
            if self.bearer(request) not in self.access_tokens:
                return 401, {"ErrorCode": 4005, "DeveloperErrorMessage": "Denied",
                             "ErrorId": str(uuid.uuid4())}
            return handler(request)

        return check

    def _list(self, request):
        rows = list(self.employees.values())
        return 200, {"Meta": {"CurrentPage": 1, "PageSize": 500, "TotalNumberOfPages": 1,
                              "TotalNumberOfResults": len(rows),
                              "ServerTimeUtc": "2026-03-20T09:30:00Z"}, "Data": rows}

    def _create(self, request):
        body = self.json_body(request)
        row = {"Id": str(uuid.uuid4()), "EmployeeNumber": body["EmployeeNumber"],
               "FirstName": body["FirstName"], "LastName": body["LastName"],
               "IdentificationNumber": body["IdentificationNumber"], "Type": 0, "State": 1}
        with self.lock:
            self.employees[row["Id"]] = row
            self.created.append(row["Id"])
        if self.take_loss():
            raise self.timeout()
        return 201, row

    def _get(self, request):
        row = self.employees.get(request.url.split("?")[0].rsplit("/", 1)[1])
        return (200, row) if row else (404, {"ErrorCode": 3000, "DeveloperErrorMessage": "Not",
                                            "ErrorId": str(uuid.uuid4())})


class TestVismaPayrollContract(ProviderContractCases):
    provider_key = "visma_payroll"
    create_operation = "employee.export"
    secret_settings = ("VISMA_CLIENT_SECRET",)

    @pytest.fixture
    def edge(self, visma_settings):
        visma_settings.VISMA_CLIENT_ID = CLIENT_ID
        visma_settings.VISMA_CLIENT_SECRET = CLIENT_SECRET
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            yield PayrollEdge(rsps)

    @pytest.fixture
    def make_connected(self, edge):
        def make(organization):
            access, refresh = jwt(edge.company, f"first-{organization.pk}"), \
                f"vis-rt-first-{organization.pk}"
            edge.grant(access, refresh)
            grant = identity.store_grant(organization=organization, token={
                "access_token": access, "refresh_token": refresh, "expires_in": 3600,
                "scope": "offline_access vls:api"}, company_name=organization.name)
            return identity.attach(grant=grant, provider_key=self.provider_key)

        return make

    @pytest.fixture
    def make_record(self):
        def make(organization):
            return Employee.objects.create(
                organization=organization, employee_number="501", first_name="Lars",
                last_name="Andersson", personal_identity_number="198004121234").pk

        return make

    def other_budget(self, connection, other_connection, settings):
        # The budget is our client id's (per endpoint), whichever company: another client id
        # is another budget.
        settings.VISMA_CLIENT_ID = "another-visma-client"
        return registry.for_connection(Connection.objects.get(pk=connection.pk))
