"""The shared provider cases on Visma eAccounting, its identity server and API played by the
fake of fake.py: OAuth code flow with our client as Basic auth, refresh tokens that rotate and
work once (kept on the shared grant), revocation at /connect/revocation, the create is `POST
/v2/customers` with our number, found again by it. Visma's webhooks carry no timestamp or event
id header: the notification's `Identifier` is the event id and its `ModifiedUtc` the time, signed
in `X-Hub-Signature` with the custom authentication header beside it (webhooks.py)."""

import json
import time
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from integrations.providers import registry
from integrations.providers.visma_eaccounting import webhooks
from tests.integrations.provider_cases import ProviderContractCases, WebhookCases
from tests.integrations.visma_eaccounting import fake
from tests.integrations.visma_eaccounting.conftest import connect_with_grant


class TestVismaEaccountingContract(ProviderContractCases, WebhookCases):
    provider_key = "visma_eaccounting"
    create_operation = "customer.export"
    secret_settings = ("VISMA_CLIENT_SECRET",)

    @pytest.fixture
    def edge(self, visma):
        return visma

    @pytest.fixture
    def make_connected(self, edge):
        return lambda organization: connect_with_grant(organization, edge)

    @pytest.fixture
    def make_record(self):
        from accounting.models import Customer

        def make(organization):
            return Customer.objects.create(
                organization=organization, kind="company", name="Brf Solrosen",
                org_number="769600-1234", email="styrelsen@solrosen.example.se",
                street="Solvägen 4", postal_code="11345", city="Stockholm", country="SE").pk

        return make

    def other_budget(self, connection, other_connection, settings):
        # Visma counts per client (and endpoint): another client id is another budget.
        settings.VISMA_CLIENT_ID = "another-client"
        return registry.for_connection(connection)

    # -- Visma's webhook scheme ---------------------------------------------------------------
    def webhook_body(self, connection):
        return {"VismaCustomerId": connection.remote_tenant_id, "Entity": "Customer",
                "Action": "Changed", "Url": f"{fake.API}/v2/customers/x", "RetryAttempt": 0}

    def post_event(self, connection, secret, event_id, *, timestamp=None, tamper=False):
        timestamp = int(time.time()) if timestamp is None else timestamp
        payload = {**self.webhook_body(connection), "Identifier": event_id,
                   "ModifiedUtc": datetime.fromtimestamp(timestamp, UTC).isoformat()}
        headers = {"HTTP_X_HUB_WEBHOOK_SECRET": secret,
                   "HTTP_X_HUB_SIGNATURE": webhooks.signature(secret, payload)}
        if tamper:
            payload["Url"] += "/other"
        return Client().post(reverse("integrations:webhook", args=[self.provider_key]),
                             data=json.dumps(payload), content_type="application/json",
                             **headers)
