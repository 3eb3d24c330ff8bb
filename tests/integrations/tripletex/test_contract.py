"""The shared provider cases on Tripletex v2, its API played with `responses` (`fake.py`): a
session token is made from our consumer token and the dealer's employee token (no refresh
token: the employee token stays), connecting is a pasted token on the settings page (so the
connect-state case does not apply), disconnecting deletes our session
(`DELETE /token/session/{token}`), the create is `POST /customer`, found again by organization
number, and webhooks are Tripletex's own HMAC-SHA512 over `idempotency-key & body`."""

import pytest
import responses

from accounting.models import Customer
from integrations.models import Link
from integrations.providers.tripletex import mappers
from integrations.webhooks import new_secret
from tests.integrations.provider_cases import ProviderContractCases, WebhookCases
from tests.integrations.provider_edge import connected
from tests.integrations.tripletex.fake import TripletexEdge


class TestTripletexContract(ProviderContractCases, WebhookCases):
    provider_key = "tripletex"
    create_operation = "customer.upsert"
    secret_settings = ("TRIPLETEX_CONSUMER_TOKEN",)

    @pytest.fixture
    def edge(self, tx_settings):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            yield TripletexEdge(rsps)

    @pytest.fixture
    def make_connected(self, edge):
        def make(organization):
            employee, session = f"test-employee-{organization.pk}", f"s-{organization.pk}"
            edge.grant(employee, session)
            return connected(organization, self.provider_key,
                             {"employee_token": employee, "access_token": session},
                             remote_tenant_id=f"91000{organization.pk}")

        return make

    @pytest.fixture
    def make_record(self):
        def make(organization):
            return Customer.objects.create(
                organization=organization, kind="company", name="Fjordtransport AS",
                org_number="987654321", email="post@fjordtransport.example.no",
                street="Bryggen 3", postal_code="5003", city="Bergen").pk

        return make

    # -- webhooks: Tripletex signs `idempotency-key & body` with HMAC-SHA512, no timestamp --
    def make_webhook_secret(self, connection, *, overlap=None):
        return new_secret(connection, overlap=overlap)

    def sign_webhook(self, secret, raw, event_id, timestamp):
        return {"HTTP_IDEMPOTENCY_KEY": event_id,
                "HTTP_X_REQUEST_SIGNATURE": mappers.signature(secret, event_id, raw)}

    def webhook_body(self, connection):
        link, _ = Link.objects.get_or_create(
            connection=connection, record_type="subscription", local_id="invoice.charged",
            defaults={"organization_id": connection.organization_id, "remote_id": "77"})
        return {"subscriptionId": int(link.remote_id), "event": "invoice.charged", "id": 5001,
                "value": {"id": 5001}}

    def test_a_stale_event_is_refused(self):
        pytest.skip("Tripletex's signature carries no timestamp: a replay is refused by its "
                    "idempotency-key (test_a_replayed_event_is_processed_once)")
