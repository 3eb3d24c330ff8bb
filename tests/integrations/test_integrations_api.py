"""The integrations API: connect and callback, export (one job per id, idempotent), sync,
status numbers, disconnect; every call inside the caller's organization."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from accounting.models import Customer, Invoice
from integrations.models import Connection, Link, SyncCursor, SyncJob, SyncLogEntry
from tests.integrations.test_integrations_api_fake_provider import (
    Calls,
    browser,
    make_connection,
    queued_tasks,
    run_queued,
)

pytest_plugins = ["tests.integrations.test_integrations_api_fake_provider"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(make_user, swedish_org):
    return make_user("frost-admin", swedish_org, role="admin")


@pytest.fixture
def api(admin_user):
    return browser(admin_user, language="en")


@pytest.fixture
def staff_api(make_user, swedish_org):
    return browser(make_user("frost-staff", swedish_org), language="en")


@pytest.fixture
def conn(swedish_org, hubbooks):
    return make_connection(swedish_org)


@pytest.fixture
def customer(swedish_org):
    return Customer.objects.create(organization=swedish_org, name="Kund AB", kind="company",
                                   org_number="556000-0000", email="k@example.se")


def make_invoices(org, customer, n):
    return [Invoice.objects.create(organization=org, customer=customer, number=f"F-{i}",
                                   issue_date=date(2026, 1, i + 1)) for i in range(n)]


def url(name, *args):
    return reverse(f"integrations:{name}", args=args)


def test_url_names():
    assert url("connect", "fortnox") == "/api/integrations/fortnox/connect"
    assert url("oauth_callback", "fortnox") == "/api/integrations/fortnox/callback"
    assert url("export", 3) == "/api/integrations/3/export"
    assert url("sync", 3) == "/api/integrations/3/sync"
    assert url("status", 3) == "/api/integrations/3/status"
    assert url("disconnect", 3) == "/api/integrations/3/disconnect"
    assert url("page") == "/integrations/"


# -- connect ------------------------------------------------------------------------------------

def test_connect_answers_the_authorization_url_and_the_callback_connects(api, hubbooks,
                                                                        swedish_org):
    response = api.post(url("connect", "hubbooks"), {"service_account": True},
                        content_type="application/json")
    assert response.status_code == 200
    auth_url = response.json()["authorization_url"]
    assert auth_url.startswith("https://hubbooks.test/oauth/auth?") and "account_type=service" \
        in auth_url
    state = parse_qs(urlparse(auth_url).query)["state"][0]

    landed = api.get(url("oauth_callback", "hubbooks"), {"code": "good-code", "state": state},
                     follow=True)
    assert landed.redirect_chain[-1][0] == url("page")
    assert "Connected to HubBooks (Frost Bygg AB (HubBooks))." in landed.content.decode()
    connection = Connection.objects.get(organization=swedish_org, provider="hubbooks")
    assert connection.status == Connection.Status.CONNECTED


def test_a_callback_with_a_used_state_says_what_to_do(api, hubbooks):
    auth_url = api.post(url("connect", "hubbooks")).json()["authorization_url"]
    state = parse_qs(urlparse(auth_url).query)["state"][0]
    api.get(url("oauth_callback", "hubbooks"), {"code": "good-code", "state": state})
    again = api.get(url("oauth_callback", "hubbooks"), {"code": "good-code", "state": state},
                    follow=True)
    page = again.content.decode()
    assert "already completed" in page and "Start the connection again" in page


def test_a_refused_consent_is_shown_in_words(api, hubbooks):
    landed = api.get(url("oauth_callback", "hubbooks"),
                     {"error": "access_denied", "error_description": "The user said no"},
                     follow=True)
    assert "The connection was not made" in landed.content.decode()
    assert "The user said no" in landed.content.decode()


def test_a_refused_code_is_shown_in_words(api, hubbooks):
    auth_url = api.post(url("connect", "hubbooks")).json()["authorization_url"]
    state = parse_qs(urlparse(auth_url).query)["state"][0]
    landed = api.get(url("oauth_callback", "hubbooks"), {"code": "bad", "state": state},
                     follow=True)
    assert "refused the authorization code" in landed.content.decode()


def test_connect_is_for_admins_and_known_providers(api, staff_api, hubbooks):
    assert staff_api.post(url("connect", "hubbooks")).status_code == 403
    assert api.post(url("connect", "nosuch")).status_code == 404


# -- export -------------------------------------------------------------------------------------

def test_export_enqueues_one_job_per_id_once_however_often_it_is_asked(api, conn, swedish_org,
                                                                       customer):
    invoices = make_invoices(swedish_org, customer, 2)
    body = {"type": "invoice", "ids": [i.pk for i in invoices]}
    first = api.post(url("export", conn.pk), body, content_type="application/json")
    assert first.status_code == 202
    jobs = first.json()["jobs"]
    assert [j["local_id"] for j in jobs] == [str(i.pk) for i in invoices]
    assert all(j["created"] and j["status"] == "queued" for j in jobs)

    second = api.post(url("export", conn.pk), body, content_type="application/json")
    assert [j["id"] for j in second.json()["jobs"]] == [j["id"] for j in jobs]
    assert not any(j["created"] for j in second.json()["jobs"])
    assert SyncJob.objects.count() == 2
    assert len(queued_tasks()) == 2
    job = SyncJob.objects.get(pk=jobs[0]["id"])
    assert (job.operation, job.record_type, job.priority) == (
        "invoice.export", "invoice", SyncJob.Priority.INTERACTIVE)


def test_export_of_an_unknown_type_is_a_400_naming_what_it_exports(api, conn, customer):
    response = api.post(url("export", conn.pk), {"type": "car", "ids": [customer.pk]},
                        content_type="application/json")
    assert response.status_code == 400
    message = response.json()["type"][0]
    assert "cannot export \"car\"" in message and "invoice" in message


def test_export_validates_the_ids(api, conn):
    response = api.post(url("export", conn.pk), {"type": "invoice", "ids": []},
                        content_type="application/json")
    assert response.status_code == 400 and "ids" in response.json()
    response = api.post(url("export", conn.pk), {"type": "invoice", "ids": ["x"]},
                        content_type="application/json")
    assert response.status_code == 400


def test_export_of_another_organizations_record_is_a_404_and_queues_nothing(
        api, conn, swedish_org, norwegian_org, customer):
    ours = make_invoices(swedish_org, customer, 1)[0]
    their_customer = Customer.objects.create(organization=norwegian_org, name="Their AS")
    theirs = Invoice.objects.create(organization=norwegian_org, customer=their_customer,
                                    number="X-1", issue_date=date(2026, 1, 1))
    response = api.post(url("export", conn.pk), {"type": "invoice", "ids": [ours.pk, theirs.pk]},
                        content_type="application/json")
    assert response.status_code == 404
    assert f"No invoice with id {theirs.pk} in Frost Bygg AB" in response.json()["detail"]
    assert SyncJob.objects.count() == 0 and queued_tasks() == []


def test_export_through_a_connection_that_needs_reauth_is_blocked_with_a_fix(api, conn,
                                                                           customer):
    Connection.objects.filter(pk=conn.pk).update(status=Connection.Status.NEEDS_REAUTH)
    response = api.post(url("export", conn.pk), {"type": "customer", "ids": [customer.pk]},
                        content_type="application/json")
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert "Reconnect" in problem["message"] and problem["fix_url"] == "/integrations/"
    assert SyncJob.objects.count() == 0


def test_export_reports_every_problem_of_every_record_and_queues_nothing(api, conn,
                                                                        swedish_org, customer):
    good = Invoice.objects.create(organization=swedish_org, customer=customer, number="F-1",
                                  issue_date=date(2026, 1, 1))
    bad = [Invoice.objects.create(organization=swedish_org, customer=customer, number=f"BAD-{i}",
                                  issue_date=date(2026, 1, 1)) for i in (1, 2)]
    response = api.post(url("export", conn.pk),
                        {"type": "invoice", "ids": [good.pk, *(b.pk for b in bad)]},
                        content_type="application/json")
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["message"] for p in problems] == ["Invoice BAD-1 has no lines.",
                                                "Invoice BAD-2 has no lines."]
    assert problems[0]["fix_url"] == f"/invoices/{bad[0].pk}/"
    assert SyncJob.objects.count() == 0 and queued_tasks() == []


def test_another_organizations_connection_is_a_404_everywhere(api, norwegian_org, hubbooks):
    theirs = make_connection(norwegian_org)
    for name, method in (("export", "post"), ("sync", "post"), ("status", "get"),
                         ("disconnect", "post")):
        response = getattr(api, method)(url(name, theirs.pk), {"type": "customer", "ids": [1]},
                                        content_type="application/json")
        assert response.status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.status == Connection.Status.CONNECTED


def test_an_id_outside_the_organization_is_a_404_for_staff_too(staff_api, norwegian_org,
                                                                hubbooks):
    """Found before the role is checked: a member learns nothing from someone else's id, and
    an id that does not exist is "not found", never "forbidden"."""
    theirs = make_connection(norwegian_org)
    for pk in (theirs.pk, theirs.pk + 1000):
        for name in ("export", "sync", "disconnect", "status"):
            method = staff_api.get if name == "status" else staff_api.post
            response = method(url(name, pk), {"type": "customer", "ids": [1]},
                              content_type="application/json")
            assert response.status_code == 404, (name, pk)


def test_staff_may_read_the_status_but_not_change_anything(staff_api, conn, customer):
    assert staff_api.get(url("status", conn.pk)).status_code == 200
    for name in ("export", "sync", "disconnect"):
        response = staff_api.post(url(name, conn.pk), {"type": "customer", "ids": [customer.pk]},
                                  content_type="application/json")
        assert response.status_code == 403, name
    assert SyncJob.objects.count() == 0


# -- sync ---------------------------------------------------------------------------------------

def test_sync_queues_one_import_that_logs_its_counts(api, conn):
    response = api.post(url("sync", conn.pk), {"types": ["invoice"], "since": "2026-01-01"},
                        content_type="application/json")
    assert response.status_code == 202
    assert response.json()["types"] == ["invoice"]
    assert response.json()["since"].startswith("2026-01-01T00:00:00")
    assert [func for func, _ in queued_tasks()] == ["integrations.tasks.import_changes"]
    assert Calls.imports == []  # nothing ran in the request

    run_queued()
    (conn_id, types, since), = Calls.imports
    assert (conn_id, types) == (conn.pk, ("invoice",))
    assert since.date() == date(2026, 1, 1) and timezone.is_aware(since)
    entry = SyncLogEntry.objects.get(action="invoice.import")
    assert entry.status == "ok" and entry.message == "imported: 2"


def test_sync_defaults_to_every_type_the_provider_imports(api, conn):
    assert api.post(url("sync", conn.pk)).json()["types"] == ["customer", "invoice"]


def test_sync_validates_types_and_dates(api, conn):
    response = api.post(url("sync", conn.pk), {"types": ["payslip"]},
                        content_type="application/json")
    assert response.status_code == 400
    assert "cannot import payslip" in response.json()["types"][0]
    response = api.post(url("sync", conn.pk), {"since": "last tuesday"},
                        content_type="application/json")
    assert response.status_code == 400 and "2026-01-31" in response.json()["since"][0]
    assert queued_tasks() == []


# -- status -------------------------------------------------------------------------------------

def test_status_counts_per_record_type(api, conn, swedish_org):
    org = swedish_org
    for i in range(3):
        Link.objects.create(organization=org, connection=conn, record_type="invoice",
                            local_id=str(i), remote_id=f"R{i}")
    for i, status in enumerate(["queued", "queued", "failed", "dead", "done", "running"]):
        SyncJob.objects.create(organization=org, connection=conn, operation="invoice.export",
                               record_type="invoice", local_id=str(100 + i), status=status,
                               idempotency_key=f"k{i}", external_reference=f"r{i}")
    older = timezone.now() - timedelta(hours=2)
    SyncLogEntry.objects.create(organization=org, connection=conn, provider="hubbooks",
                                entity="invoice", action="invoice.export", status="failed",
                                message="old error", created_at=older)
    SyncLogEntry.objects.create(organization=org, connection=conn, provider="hubbooks",
                                entity="invoice", action="invoice.export", status="dead",
                                message="Kunde inte hitta konto 3001")
    SyncLogEntry.objects.create(organization=org, connection=conn, provider="hubbooks",
                                entity="invoice", action="invoice.export", status="ok",
                                created_at=older)
    SyncCursor.objects.create(organization=org, connection=conn, record_type="customer",
                              value="2026-02-01 10:00")

    state = api.get(url("status", conn.pk)).json()
    assert state["status"] == "connected" and state["provider"] == "hubbooks"
    invoice = state["record_types"]["invoice"]
    assert invoice["linked"] == 3
    assert invoice["jobs"] == {"queued": 2, "running": 1, "unknown": 0, "failed": 1, "dead": 1,
                               "done": 1}
    assert invoice["last_error"]["message"] == "Kunde inte hitta konto 3001"
    assert invoice["last_sync"] is not None and invoice["direction"] == "both"
    customer = state["record_types"]["customer"]
    assert customer["linked"] == 0 and customer["last_error"] is None
    assert customer["cursor"] == "2026-02-01 10:00" and customer["last_sync"] is not None
    assert state["record_types"]["payslip"]["last_sync"] is None
    assert set(state["record_types"]) == {"customer", "invoice", "quote", "time_entry",
                                          "employee", "payslip", "project"}
    assert "credentials" not in str(state) and "refresh" not in str(state)


# -- disconnect ---------------------------------------------------------------------------------

def test_disconnect_revokes_at_the_provider_then_clears(api, conn):
    response = api.post(url("disconnect", conn.pk))
    assert response.status_code == 200 and response.json()["status"] == "disconnected"
    assert Calls.revoked == [(conn.pk, "r")]
    conn.refresh_from_db()
    assert conn.status == Connection.Status.DISCONNECTED and conn.credentials == {}


def test_the_callback_of_a_provider_that_connects_elsewhere_is_a_404_not_a_500(api, hubbooks,
                                                                              monkeypatch):
    monkeypatch.setattr(hubbooks, "connect_flow", "")  # e.g. a key pasted on its own page
    response = api.get(url("oauth_callback", "hubbooks"), {"code": "x", "state": "y"})
    assert response.status_code == 404
    assert "does not connect through this address" in response.content.decode()
    assert api.get(url("oauth_callback", "nosuch"), {"code": "x"}).status_code == 404


def test_a_body_nested_too_deeply_is_a_400_not_a_500(api, conn):
    body = "[" * 100_000 + "]" * 100_000
    for name in ("export", "sync"):
        response = api.post(url(name, conn.pk), body, content_type="application/json")
        assert response.status_code == 400, name
        assert "nested too deeply" in response.json()["detail"]
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED


def test_a_busy_provider_on_revoke_is_asked_again_before_giving_up(api, conn, hubbooks,
                                                                   monkeypatch):
    """A 429 (or 5xx) on the revoke is tried again after its Retry-After, so a grant is not
    left alive because the provider was busy for a second."""
    from integrations import connections
    from integrations.errors import RateLimitedError

    answers = [RateLimitedError("slow down", retry_after=1.0, status_code=429), True]
    waits = []

    def revoke(self, credentials):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(hubbooks, "revoke_credentials", revoke)
    monkeypatch.setattr(connections.time, "sleep", waits.append)
    response = api.post(url("disconnect", conn.pk))
    assert response.status_code == 200
    assert waits == [1.0] and answers == []
    conn.refresh_from_db()
    assert connections.NOT_TOLD_REASON not in conn.status_reason
    assert SyncLogEntry.objects.get(action="disconnect").details["revoked"] == "revoked"


def test_a_provider_with_a_connect_flow_but_no_connect_hooks_cannot_connect_here(hubbooks):
    """`can_connect_here` compares the hooks as defined: a classmethod read through a class is
    a new bound method each time, which once made every provider look as if it overrode it."""
    from integrations.providers.base import OAUTH_CODE, Provider

    class Halfway(Provider):
        key, name, connect_flow = "halfway", "Halfway", OAUTH_CODE

    class OnlyStarts(Halfway):
        @classmethod
        def start_connect(cls, *, organization, user, options=None):
            return "https://example.test/consent"

    assert hubbooks.can_connect_here()
    assert not Halfway.can_connect_here()
    assert not OnlyStarts.can_connect_here()


def test_a_revoke_that_crashes_still_forgets_the_grant_here(api, conn, hubbooks, monkeypatch):
    def revoke(self, credentials):
        raise ValueError("the provider answered HTML")

    monkeypatch.setattr(hubbooks, "revoke_credentials", revoke)
    response = api.post(url("disconnect", conn.pk))
    assert response.status_code == 200
    conn.refresh_from_db()
    assert conn.status == Connection.Status.DISCONNECTED and conn.credentials == {}
    assert "could not be told" in conn.status_reason
    entry = SyncLogEntry.objects.get(action="disconnect")
    assert entry.status == "failed" and "ValueError" in entry.message


def test_a_connect_while_the_provider_is_asked_keeps_the_new_grant(api, conn, hubbooks,
                                                                   monkeypatch):
    """Disconnect clears only the grant it revoked: someone connecting again meanwhile keeps
    theirs (one connection row per organization and provider)."""
    def revoke(self, credentials):
        fresh = Connection.objects.get(pk=self.connection.pk)
        fresh.set_credentials({"access_token": "new", "refresh_token": "new-r"})
        fresh.status = Connection.Status.CONNECTED
        fresh.save()
        return True

    monkeypatch.setattr(hubbooks, "revoke_credentials", revoke)
    assert api.post(url("disconnect", conn.pk)).status_code == 200
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED
    assert conn.credentials["refresh_token"] == "new-r"


def test_a_late_auth_failure_does_not_turn_disconnected_into_needs_reauth(conn):
    from integrations.credentials import mark_needs_reauth

    conn.status = Connection.Status.DISCONNECTED
    conn.status_reason = "Disconnected by an administrator."
    conn.save()
    assert mark_needs_reauth(conn, reason="token refused") is False
    conn.refresh_from_db()
    assert conn.status == Connection.Status.DISCONNECTED
    assert conn.status_reason == "Disconnected by an administrator."


def test_an_id_too_large_for_the_database_is_a_400(api, conn):
    response = api.post(url("export", conn.pk), {"type": "customer", "ids": [2**70]},
                        content_type="application/json")
    assert response.status_code == 400
    assert "ids" in response.json()
