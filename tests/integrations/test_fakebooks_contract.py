"""The shared provider cases on the suite's own fake provider, FakeBooks (`fakebooks.py`): it
refreshes with single-use refresh tokens, creates with our reference and finds by it, has no
revoke endpoint, no connect flow of our pages and no webhooks (those cases skip)."""


import pytest

from accounting.models import Customer
from tests.integrations.fakebooks import BASE, TOKEN_URL
from tests.integrations.provider_cases import ProviderContractCases, WebhookCases
from tests.integrations.provider_edge import ProviderEdge, connected


class FakeBooksEdge(ProviderEdge):
    token_endpoint = ("POST", f"^{TOKEN_URL}$")
    create_endpoint = ("POST", f"^{BASE}/customers$")
    revoke_endpoint = None

    def __init__(self, server):
        super().__init__(rsps=None)
        self.server = server

    @property
    def refresh_token(self):
        return self.server.refresh_token

    def lose_next_create(self):
        self.server.next_post_faults.append("timeout-after-store")

    def remote_ids(self):
        return [str(row["id"]) for row in self.server.customers]


class TestFakeBooksContract(ProviderContractCases, WebhookCases):
    provider_key = "fakebooks"
    create_operation = "customer.create"
    revokes_at_provider = False

    @pytest.fixture
    def edge(self, fake_server):
        return FakeBooksEdge(fake_server)

    @pytest.fixture
    def make_connected(self, edge):
        def make(organization):
            # The fake server hands out one token pair at a time, shared by its connections.
            return connected(organization, "fakebooks",
                             {"access_token": edge.server.access_token,
                              "refresh_token": edge.server.refresh_token},
                             remote_tenant_id=f"fb-{organization.pk}")

        return make

    @pytest.fixture
    def make_record(self):
        def make(organization):
            return Customer.objects.create(organization=organization, name="Kunde AS").pk

        return make
