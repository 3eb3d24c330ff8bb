"""A provider that exists only in the integrations API, page, webhook and resync tests
("HubBooks"): it connects through a single-use state like a real OAuth provider, exports every
record type, imports customers and invoices, and records what it was asked to do.

Imported by those test modules for its fixtures; it holds no tests itself."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ

from integrations import oauthstate
from integrations.errors import AuthError, RetryableError, ValidationProblem
from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.base import (
    OAUTH_CODE,
    Capabilities,
    Operation,
    OperationResult,
    Provider,
)
from integrations.webhooks import relay_accepted
from integrations.webhooks.processing import BATCH_TASK

KEY = "hubbooks"
EXPORTS = ("customer", "invoice", "quote", "time_entry", "employee", "payslip", "project")


class Calls:
    imports = []
    records = []
    revoked = []
    fail_import_with = None


class FakeSync:
    @staticmethod
    def import_changes(connection, *, record_types=("customer", "invoice"), since=None):
        if Calls.fail_import_with is not None:
            raise Calls.fail_import_with
        Calls.imports.append((connection.pk, tuple(record_types), since))
        return {record_type: 2 for record_type in record_types}

    @staticmethod
    def import_record(connection, record_type, remote_id):
        Calls.records.append((connection.pk, record_type, remote_id))


def _export(provider, job):
    return OperationResult(remote_id=f"R{job.local_id}", remote_number=f"N{job.local_id}")


def _failing_export(provider, job):
    raise RetryableError("HubBooks is down for maintenance", status_code=503)


def _validate_invoice(provider, obj):
    if str(getattr(obj, "number", "")).startswith("BAD"):
        return [ValidationProblem(f"Invoice {obj.number} has no lines.",
                                  fix_url=f"/invoices/{obj.pk}/")]
    return []


class HubBooks(Provider):
    key = KEY
    name = "HubBooks"
    capabilities = Capabilities(
        records={**{t: "out" for t in EXPORTS}, "customer": "both", "invoice": "both"},
        inbound="poll+webhook", auth=("oauth2_code",))
    operations = {f"{t}.export": Operation(record_type=t, perform=_export) for t in EXPORTS}
    remote_url_template = "https://hubbooks.test/app/{remote_id}"
    connect_flow = OAUTH_CODE
    validators = {"invoice": _validate_invoice}

    @classmethod
    def start_connect(cls, *, organization, user, options=None):
        service_account = bool((options or {}).get("service_account"))
        state = oauthstate.issue(provider=KEY, organization=organization, user=user,
                                 data={"service_account": service_account})
        extra = "&account_type=service" if service_account else ""
        return f"https://hubbooks.test/oauth/auth?state={state}{extra}"

    @classmethod
    def finish_connect(cls, *, params, user):
        row = oauthstate.consume(params.get("state", ""), provider=KEY, user=user)
        if params.get("code") != "good-code":
            raise AuthError("HubBooks refused the authorization code (invalid_grant).")
        connection, _ = Connection.objects.get_or_create(organization=row.organization,
                                                         provider=KEY)
        connection.set_credentials({"access_token": "a", "refresh_token": "r"},
                                   expires_at=timezone.now() + timedelta(hours=1))
        connection.status = Connection.Status.CONNECTED
        connection.status_reason = ""
        connection.remote_company_name = "Frost Bygg AB (HubBooks)"
        connection.remote_tenant_id = "T-1"
        connection.connected_at = timezone.now()
        connection.save()
        return connection

    def revoke_credentials(self, credentials):
        Calls.revoked.append((self.connection.pk, credentials.get("refresh_token")))
        return True

    def poll(self, *, record_types=None, since=None):
        return FakeSync.import_changes(self.connection, record_types=record_types or (),
                                       since=since)

    def import_record(self, record_type, remote_id):
        return FakeSync.import_record(self.connection, record_type, remote_id)


@pytest.fixture
def hubbooks():
    Calls.imports, Calls.records, Calls.revoked, Calls.fail_import_with = [], [], [], None
    registry.register(HubBooks)
    yield HubBooks
    registry.unregister(KEY)


@pytest.fixture
def swedish_org(make_org):
    return make_org("frost", name="Frost Bygg AB", country="SE", currency="SEK", language="sv")


@pytest.fixture
def norwegian_org(make_org):
    return make_org("nordbil", name="Nordbil AS", country="NO")


def make_connection(org, *, provider=KEY, status=Connection.Status.CONNECTED, **kwargs):
    connection = Connection(organization=org, provider=provider, status=status,
                            remote_company_name=kwargs.pop("remote_company_name", "Frost AB"),
                            **kwargs)
    connection.set_credentials({"access_token": "a", "refresh_token": "r"},
                               expires_at=timezone.now() + timedelta(hours=1))
    connection.save()
    return connection


def browser(user, *, language=None):
    client = Client()
    if language:
        from django.conf import settings

        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def relay_now():
    """The sweep's relay of the webhook events the endpoint accepted, as `run_dispatcher` runs
    it a moment later (here: for every event accepted until now)."""
    return relay_accepted(settle=timedelta(0))


def queued_tasks(*, relay=True):
    """The tasks waiting in the ORM broker, as (function path, args), after the sweep queued
    those of webhook events the endpoint accepted (as `run_dispatcher` does within a second)
    unless `relay` is False."""
    if relay:
        relay_now()
    tasks = []
    for row in OrmQ.objects.order_by("id"):
        task = row.task
        tasks.append((task["func"], task["args"]))
    return tasks


def run_queued():
    """Run what the ORM broker holds, as a worker would (after the sweep queued the tasks of
    accepted webhook events, as the dispatcher does), and empty it. Returns each task's result;
    a relayed task of several webhook events gives one per event."""
    relay_now()
    results = []
    for row in list(OrmQ.objects.order_by("id")):
        task = row.task
        row.delete()
        func = task["func"]
        result = (import_string(func) if isinstance(func, str) else func)(
            *task["args"], **task.get("kwargs", {}))
        if func == BATCH_TASK:
            results.extend(result)
        else:
            results.append(result)
    return results
