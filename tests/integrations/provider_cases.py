"""Shared cases every provider's tests inherit, as django-anymail's per-backend tests do.

The classes here are not collected by themselves (no `Test` prefix). A provider's test module
(`tests/integrations/<provider>/test_contract.py`) inherits them and supplies what differs:

    class TestAcmeContract(ProviderContractCases, WebhookCases):
        provider_key = "acme"                   # the registry key
        create_operation = "customer.export"    # an operation with `find_existing` that creates
        secret_settings = ("ACME_CLIENT_SECRET",)   # settings whose values are secret
        revokes_at_provider = True              # False when its API cannot revoke our grant

        @pytest.fixture
        def edge(self, settings):               # point the settings at a fake host and play it
            settings.ACME_BASE_URL = "https://acme.contract.test"
            with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
                yield AcmeEdge(rsps)            # a `provider_edge.ProviderEdge`: see there

        @pytest.fixture
        def make_connected(self, edge):         # organization -> a CONNECTED Connection whose
            ...                                 # stored credentials the edge accepts, token
                                                # valid for an hour, remote_tenant_id set
        @pytest.fixture
        def make_record(self):                  # organization -> local id of a record that
            ...                                 # `create_operation` sends

        def webhook_body(self, connection):     # WebhookCases: a JSON event naming the
            ...                                 # connection (webhook_connections finds it)

    Optional overrides: `same_budget(connection, other_connection)` and
    `other_budget(connection, other_connection, settings)` say which provider instance spends
    the same rate-limit budget and which another (default: the budget is per connection);
    `sign_webhook` and `make_webhook_secret` for a provider that does not use our HMAC scheme;
    `organization` / `other_organization` fixtures when its records need other fields.

Cases (each asserts what breaks without the shared code it guards):
    a. connect: the state is single-use and bound to the user who started it, and is checked
       before any request (providers that connect through our pages)
    b. refresh: eight threads with an expired token ask at once -> one token request
    c. a create whose response was lost is adopted by `find_existing`, never created twice
    d. disconnect (hook, JSON API, page) revokes at the provider, clears, keeps Links
    e. the rate-limit key follows the budget's scope and holds no secret
    f. another organization's connection id answers 404 on the JSON API, changing nothing
    g. webhooks (`WebhookCases`, for providers that receive them): a bad signature is a 400
       and not processed, a replayed event is processed once, a stale one refused, a rotated
       secret accepted while both are active
and no case's HTTP request leaves inside a database transaction.
"""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from integrations.connections import NOT_TOLD_REASON, NOTHING, REVOKED
from integrations.credentials import access_token_rollback_unsafe
from integrations.engine import enqueue_job, run_job
from integrations.engine.runner import ADOPTED_MESSAGE, Outcome
from integrations.errors import ActionBlocked
from integrations.models import (
    Connection,
    Link,
    OAuthState,
    SyncJob,
    SyncLogEntry,
    WebhookEvent,
)
from integrations.providers import registry
from integrations.webhooks import new_secret, sign
from tests.integrations.provider_edge import ProviderFixtures, browser, in_threads
from tests.integrations.test_integrations_api_fake_provider import run_queued


class ProviderContractCases(ProviderFixtures):
    create_operation = ""
    secret_settings: tuple = ()
    revokes_at_provider = True

    @pytest.fixture
    def make_record(self):
        raise NotImplementedError(f"{type(self).__name__} must supply `make_record`")

    def same_budget(self, connection, other_connection):
        """A provider instance that spends the same rate-limit budget as `connection`."""
        return registry.for_connection(Connection.objects.get(pk=connection.pk))

    def other_budget(self, connection, other_connection, settings):
        """A provider instance that spends another budget (may change `settings`)."""
        return registry.for_connection(other_connection)

    # -- a. connect ---------------------------------------------------------------------------
    @pytest.mark.django_db
    def test_connect_state_is_single_use_and_bound_to_the_user(self, edge, http, organization,
                                                                admin, make_user):
        cls = self.provider_class()
        if not cls.can_connect_here():
            pytest.skip(f"{cls.name} is connected on its own settings page")
        url = cls.start_connect(organization=organization, user=admin, options={})
        assert url.startswith(("https://", "http://"))
        state = edge.connect_state(url)
        assert state, "the connect URL (or its redirect) carries no state"
        assert OAuthState.objects.filter(provider=cls.key, organization=organization,
                                         user=admin, used_at=None).count() == 1
        colleague = make_user("contract-admin-2", organization, role="admin")
        before = http.count()
        with pytest.raises(ActionBlocked):
            cls.finish_connect(params=edge.approval(state), user=colleague)
        with pytest.raises(ActionBlocked):
            cls.finish_connect(params=edge.approval("forged-" + state[:8]), user=admin)
        assert http.count() == before, "a refused state must be refused before any request"
        assert not Connection.objects.filter(provider=cls.key,
                                             status=Connection.Status.CONNECTED).exists()

        connection = cls.finish_connect(params=edge.approval(state), user=admin)
        connection.refresh_from_db()
        assert connection.organization_id == organization.pk
        assert connection.status == Connection.Status.CONNECTED
        assert connection.credentials.get("access_token")
        version, before = connection.credentials_version, http.count()
        with pytest.raises(ActionBlocked):
            cls.finish_connect(params=edge.approval(state), user=admin)
        assert http.count() == before
        connection.refresh_from_db()
        assert connection.credentials_version == version
        self.assert_no_http_in_transaction(http)

    # -- b. refresh single-flight ---------------------------------------------------------------
    @pytest.mark.django_db(transaction=True)
    def test_eight_threads_on_an_expired_token_refresh_once(self, edge, http, connected):
        Connection.objects.filter(pk=connected.pk).update(
            token_expires_at=timezone.now() - timedelta(seconds=5))
        stale = [Connection.objects.get(pk=connected.pk) for _ in range(8)]
        seen, old_token = stale[0].credentials_version, stale[0].credentials["access_token"]

        tokens = in_threads(8, lambda i: access_token_rollback_unsafe(
            stale[i], force=True, seen_version=seen)[0])

        assert http.count(*edge.token_endpoint) == 1, "the token endpoint was asked more than once"
        fresh = Connection.objects.get(pk=connected.pk)
        assert fresh.status == Connection.Status.CONNECTED
        assert set(tokens) == {fresh.credentials["access_token"]} != {old_token}
        assert fresh.credentials_version == seen + 1
        if edge.refresh_token is not None:
            assert fresh.credentials["refresh_token"] == edge.refresh_token
        # What was saved works for the next refresh (a spent refresh token would not).
        access_token_rollback_unsafe(fresh, force=True, seen_version=fresh.credentials_version)
        assert http.count(*edge.token_endpoint) == 2
        assert Connection.objects.get(pk=connected.pk).status == Connection.Status.CONNECTED
        self.assert_no_http_in_transaction(http)

    # -- c. a lost response is adopted ----------------------------------------------------------
    @pytest.mark.django_db
    def test_a_lost_create_is_adopted_and_never_repeated(self, edge, http, connected,
                                                         make_record):
        operation = self.provider_class().operations[self.create_operation]
        assert operation.find_existing is not None, "the create operation has no look-up"
        local_id = str(make_record(connected.organization))
        intent = {"connection": connected, "operation": self.create_operation,
                  "record_type": operation.record_type, "local_id": local_id}
        job, _ = enqueue_job(**intent)
        edge.lose_next_create()

        assert run_job(job.pk) == Outcome.UNKNOWN
        job.refresh_from_db()
        assert job.status == SyncJob.Status.UNKNOWN and job.outcome_uncertain
        assert len(edge.remote_ids()) == 1, "the remote side should have stored the create"
        assert not Link.objects.filter(connection=connected, local_id=local_id).exists()

        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            assert run_job(job.pk) == Outcome.ADOPTED
            assert run_job(job.pk) == Outcome.NOT_CLAIMED
        again, created = enqueue_job(**intent)
        assert (again.pk, created) == (job.pk, False)

        assert http.count(*edge.create_endpoint) == 1, "the create was sent again"
        link = Link.objects.get(connection=connected, record_type=operation.record_type,
                                local_id=local_id)
        assert edge.remote_ids() == [link.remote_id]
        job.refresh_from_db()
        assert job.status == SyncJob.Status.DONE
        assert SyncLogEntry.objects.filter(job=job, message=ADOPTED_MESSAGE).exists()
        self.assert_no_http_in_transaction(http)

    # -- d. disconnect ------------------------------------------------------------------------
    @pytest.mark.django_db
    @pytest.mark.parametrize("via", ["hook", "api", "page"])
    def test_disconnect_revokes_at_the_provider_clears_and_keeps_links(self, via, edge, http,
                                                                       connected, admin):
        Link.objects.create(organization=connected.organization, connection=connected,
                            record_type="customer", local_id="1", remote_id="R-1")
        if via == "hook":
            outcome = registry.for_connection(connected).disconnect(user=admin)
            # Revoked where the provider can revoke; "nothing to revoke" (never a failure, never
            # a claimed revocation) where it cannot.
            assert outcome == (REVOKED if self.revokes_at_provider else NOTHING)
        else:
            name = "integrations:disconnect" if via == "api" else "integrations:page_disconnect"
            # The page asks first; its confirmation form posts `confirm`.
            data = {"confirm": "1"} if via == "page" else {}
            response = browser(admin).post(reverse(name, args=[connected.pk]), data)
            assert response.status_code in (200, 302), response.content[:300]

        connected.refresh_from_db()
        assert connected.status == Connection.Status.DISCONNECTED
        assert connected.credentials == {} and connected.encrypted_credentials == ""
        assert Link.objects.filter(connection=connected).count() == 1
        revokes = http.count(*edge.revoke_endpoint) if edge.revoke_endpoint else 0
        assert revokes == (1 if self.revokes_at_provider else 0)
        assert NOT_TOLD_REASON not in connected.status_reason, "reported as not told"
        self.assert_no_http_in_transaction(http)

    # -- e. rate-limit scope --------------------------------------------------------------------
    def _secrets(self, connection, settings):
        values = [str(v) for v in connection.credentials.values()]
        values += [str(getattr(settings, name, "") or "") for name in self.secret_settings]
        return [v for v in values if len(v) >= 4]

    @pytest.mark.django_db
    def test_the_rate_limit_key_follows_the_scope_and_holds_no_secret(
            self, connected, make_connected, other_organization, settings):
        provider = registry.for_connection(connected)
        other_connection = make_connected(other_organization)
        path = "/v2/things/1234"
        key = provider.rate_limit_key(path)
        assert key == registry.for_connection(connected).rate_limit_key(path)
        assert self.same_budget(connected, other_connection).rate_limit_key(path) == key
        policy = provider.rate_limit
        if policy is not None and policy.per_endpoint:
            assert provider.rate_limit_key("/v2/things/99") == key
            assert provider.rate_limit_key("/v2/others") != key
        else:
            assert provider.rate_limit_key("/v2/others") == key
        secrets = self._secrets(connected, settings) + self._secrets(other_connection, settings)
        other_key = self.other_budget(connected, other_connection, settings).rate_limit_key(path)
        assert other_key != key
        secrets += self._secrets(connected, settings)  # the settings `other_budget` changed
        for value in (key, other_key):
            leaked = [s for s in secrets if s in value]
            assert not leaked, f"the limiter key {value!r} holds a secret"

    # -- f. another organization's id -----------------------------------------------------------
    @pytest.mark.django_db
    @pytest.mark.parametrize("role", ["admin", "staff"])
    def test_another_organizations_connection_is_a_404_on_the_api(
            self, role, http, connected, other_organization, make_user):
        stranger = browser(make_user(f"other-{role}", other_organization, role=role))
        export_types = self.provider_class().export_types() or ["customer"]
        missing = (Connection.objects.order_by("-pk").values_list("pk", flat=True).first()
                   or 0) + 1000
        version = connected.credentials_version
        queued = OrmQ.objects.count()
        for pk in (connected.pk, missing):
            for name, body in (("export", {"type": export_types[0], "ids": [1]}),
                               ("sync", {}), ("status", None), ("disconnect", {})):
                url = reverse(f"integrations:{name}", args=[pk])
                response = (stranger.get(url) if body is None
                            else stranger.post(url, body, content_type="application/json"))
                assert response.status_code == 404, (name, pk, role, response.status_code)
        connected.refresh_from_db()
        assert connected.status == Connection.Status.CONNECTED
        assert connected.credentials_version == version and connected.credentials
        assert not SyncJob.objects.exists() and OrmQ.objects.count() == queued
        assert http.count() == 0


class WebhookCases(ProviderFixtures):
    """g. The one endpoint, `POST /api/webhooks/<provider key>`, for a provider whose
    `receives_webhooks()` is true (skipped otherwise). The module supplies `webhook_body`; a
    provider that does not use our HMAC scheme overrides `sign_webhook` and
    `make_webhook_secret`. Its edge serves whatever `handle_webhook` asks the provider."""

    def webhook_body(self, connection) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must supply `webhook_body`")

    def make_webhook_secret(self, connection, *, overlap=None) -> str:
        return new_secret(connection, overlap=overlap)

    def sign_webhook(self, secret, raw, event_id, timestamp) -> dict:
        """The headers (as Django test client keyword arguments) a sender puts on `raw`."""
        return {"HTTP_X_HUB_TIMESTAMP": str(timestamp), "HTTP_X_HUB_EVENT_ID": event_id,
                "HTTP_X_HUB_SIGNATURE": sign(secret, timestamp, event_id, raw)}

    @pytest.fixture
    def handled(self, monkeypatch):
        """The events the provider's `handle_webhook` was run for (it still runs)."""
        cls = self.provider_class()
        if not cls.receives_webhooks():
            pytest.skip(f"{cls.name} receives no webhooks")
        calls, original = [], cls.handle_webhook

        def counting(provider, event):
            calls.append(str(event.pk))
            return original(provider, event)

        monkeypatch.setattr(cls, "handle_webhook", counting)
        return calls

    def post_event(self, connection, secret, event_id, *, timestamp=None, tamper=False):
        raw = json.dumps(self.webhook_body(connection)).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = self.sign_webhook(secret, raw + (b" " if tamper else b""), event_id, timestamp)
        return Client().post(reverse("integrations:webhook", args=[self.provider_key]),
                             data=raw, content_type="application/json", **headers)

    def processed(self):
        return WebhookEvent.objects.filter(provider=self.provider_key,
                                           status=WebhookEvent.Status.PROCESSED).count()

    @pytest.mark.django_db
    def test_a_bad_signature_is_a_400_and_not_processed(self, edge, http, connected, handled):
        secret = self.make_webhook_secret(connected)
        answers = [self.post_event(connected, "not-the-secret", "ev-wrong-secret"),
                   self.post_event(connected, secret, "ev-tampered", tamper=True),
                   Client().post(reverse("integrations:webhook", args=[self.provider_key]),
                                 data=json.dumps(self.webhook_body(connected)),
                                 content_type="application/json")]
        assert [a.status_code for a in answers] == [400, 400, 400]
        run_queued()
        assert handled == []
        events = WebhookEvent.objects.filter(provider=self.provider_key)
        assert events.count() == 3 and not events.filter(valid=True).exists()
        self.assert_no_http_in_transaction(http)

    @pytest.mark.django_db
    def test_a_replayed_event_is_processed_once(self, edge, http, connected, handled):
        secret = self.make_webhook_secret(connected)
        first = self.post_event(connected, secret, "ev-1")
        assert first.status_code == 200 and first.json()["status"] == "accepted"
        again = self.post_event(connected, secret, "ev-1")
        assert again.status_code == 200 and again.json()["status"] != "accepted"
        run_queued()
        late = self.post_event(connected, secret, "ev-1")
        assert late.status_code == 200 and late.json()["status"] == "duplicate"
        run_queued()
        assert len(handled) == 1 and self.processed() == 1
        self.assert_no_http_in_transaction(http)

    @pytest.mark.django_db
    def test_a_stale_event_is_refused(self, edge, connected, handled, settings):
        secret = self.make_webhook_secret(connected)
        stale = int(time.time()) - settings.WEBHOOK_TOLERANCE_SECONDS - 60
        assert self.post_event(connected, secret, "ev-old", timestamp=stale).status_code == 400
        run_queued()
        assert handled == []

    @pytest.mark.django_db
    def test_a_rotated_secret_is_accepted_while_both_are_active(self, edge, http, connected,
                                                               handled):
        old = self.make_webhook_secret(connected)
        new = self.make_webhook_secret(connected, overlap=timedelta(hours=1))
        assert self.post_event(connected, old, "ev-old-secret").status_code == 200
        assert self.post_event(connected, new, "ev-new-secret").status_code == 200
        run_queued()
        assert len(handled) == 2
        with time_machine.travel(timezone.now() + timedelta(hours=2)):
            assert self.post_event(connected, old, "ev-retired").status_code == 400
            assert self.post_event(connected, new, "ev-after").status_code == 200
            run_queued()
        assert len(handled) == 3 and self.processed() == 3
        self.assert_no_http_in_transaction(http)
