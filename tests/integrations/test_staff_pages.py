"""Retry where the problem shows, picked mappings, the monitor's row retry, disconnect asks
first: the staff-facing parts of issue 12, with a test provider at the HTTP-free edge."""

from unittest import mock

import pytest
from django.urls import reverse

from accounting.models import Customer
from integrations.models import Connection, SyncJob, VatMapping
from integrations.providers.base import Capabilities, Operation, Provider
from tests.integrations.admin_helpers import client_for, make_connection, make_job

pytest_plugins = ["tests.integrations.admin_fixtures"]
pytestmark = pytest.mark.django_db


class ListBooks(Provider):
    key = "listbooks"
    name = "ListBooks"
    capabilities = Capabilities(records={"customer": "out"})
    operations = {"customer.export": Operation("customer", perform=lambda p, j: None)}

    def list_vat_codes(self):
        return [{"code": "3", "name": "High", "rate": 25}, {"code": "5", "name": "Zero"}]

    def list_accounts(self):
        return [{"number": "3000", "name": "Sales", "vat_code": "3"}]


@pytest.fixture
def listbooks():
    from integrations.providers import registry

    registry.register(ListBooks)
    yield ListBooks
    registry.unregister(ListBooks.key)


@pytest.fixture
def customer(org):
    return Customer.objects.create(organization=org, name="Kari AS")


@pytest.fixture
def failed_job(org, listbooks, customer):
    connection = make_connection(org, provider=ListBooks.key)
    return make_job(connection, str(customer.pk), status=SyncJob.Status.DEAD, attempts=6,
                    last_error="HTTP 503 from upstream", last_response_code=503)


def test_the_record_panel_says_why_and_offers_try_again(org, org_admin, customer, failed_job):
    page = client_for(org_admin).get(reverse("contracts:customer_detail", args=[customer.pk]))
    html = page.content.decode()
    assert "ListBooks did not answer properly after 6 attempts" in html
    assert "HTTP 503 from upstream" in html  # the provider's words, as details
    assert reverse("integrations:retry_job", args=[failed_job.pk]) in html


def test_try_again_requeues_the_job_and_returns_to_the_record(org, org_admin, customer,
                                                              failed_job):
    back = reverse("contracts:customer_detail", args=[customer.pk])
    with mock.patch("integrations.engine.jobs.async_task") as queued:
        answer = client_for(org_admin).post(
            reverse("integrations:retry_job", args=[failed_job.pk]), {"next": back})
    failed_job.refresh_from_db()
    assert answer.status_code == 302 and answer["Location"] == back
    assert failed_job.status == SyncJob.Status.QUEUED and failed_job.attempts == 0
    assert queued.call_count == 1


def test_staff_may_retry_only_what_a_click_started(org, make_user, customer, failed_job):
    staff = client_for(make_user("sara", org))
    url = reverse("integrations:retry_job", args=[failed_job.pk])
    staff.post(url)
    failed_job.refresh_from_db()
    assert failed_job.status == SyncJob.Status.DEAD  # a background job: admins only
    failed_job.priority = SyncJob.Priority.INTERACTIVE
    failed_job.save()
    with mock.patch("integrations.engine.jobs.async_task"):
        staff.post(url)
    failed_job.refresh_from_db()
    assert failed_job.status == SyncJob.Status.QUEUED


def test_another_organizations_job_is_404(other_org, make_user, failed_job):
    stranger = client_for(make_user("olle", other_org, role="admin"))
    assert stranger.post(reverse("integrations:retry_job", args=[failed_job.pk])).status_code \
        == 404


def test_the_panel_rereads_itself_while_a_job_is_under_way(org, org_admin, customer,
                                                           failed_job):
    failed_job.status = SyncJob.Status.QUEUED
    failed_job.save()
    browser = client_for(org_admin)
    html = browser.get(reverse("contracts:customer_detail", args=[customer.pk])).content.decode()
    panel_url = reverse("integrations:record_panel", args=["customer", customer.pk])
    assert f'data-refresh="{panel_url}"' in html
    failed_job.status = SyncJob.Status.DONE
    failed_job.save()
    part = browser.get(panel_url).content.decode()
    assert 'id="sync-panel"' in part and "data-refresh" not in part  # settled: polling stops


def test_home_lists_failed_sends_with_try_again(org, org_admin, failed_job):
    html = client_for(org_admin).get(reverse("home")).content.decode()
    assert 'id="attention-failed"' in html
    assert reverse("integrations:retry_job", args=[failed_job.pk]) in html


def test_the_monitor_has_a_retry_per_row(org, org_admin, failed_job):
    from tests.integrations.admin_helpers import make_log

    make_log(failed_job.connection, job=failed_job, local_id=failed_job.local_id)
    browser = client_for(org_admin)
    html = browser.get(reverse("admin:integrations_synclogentry_changelist")).content.decode()
    retry_url = reverse("admin:integrations_syncjob_retry", args=[failed_job.pk])
    assert f'formaction="{retry_url}"' in html
    monitor = "http://testserver" + reverse("admin:integrations_synclogentry_changelist")
    with mock.patch("integrations.engine.jobs.async_task"):
        answer = browser.post(retry_url, {"back": "list"}, HTTP_REFERER=monitor)
    assert answer["Location"] == monitor
    failed_job.refresh_from_db()
    assert failed_job.status == SyncJob.Status.QUEUED


def test_disconnect_asks_first(org, org_admin, listbooks):
    connection = make_connection(org, provider=ListBooks.key)
    url = reverse("integrations:page_disconnect", args=[connection.pk])
    browser = client_for(org_admin)
    asked = browser.post(url)
    connection.refresh_from_db()
    assert asked.status_code == 200 and "Yes, disconnect" in asked.content.decode()
    assert connection.status == Connection.Status.CONNECTED


@pytest.mark.parametrize("code, refused", [("3", False), ("99", True)])
def test_a_vat_code_the_provider_lacks_is_refused_on_its_field(org, org_admin, listbooks,
                                                               code, refused):
    make_connection(org, provider=ListBooks.key)
    browser = client_for(org_admin)
    add = reverse("admin:integrations_vatmapping_add") + "?provider=listbooks&category=addon"
    form = browser.get(add).content.decode()
    assert 'data-remote-list="vat"' in form and '<option value="5">5 Zero</option>' in form
    answer = browser.post(add, {"provider": "listbooks", "category": "addon", "vat_code": code,
                                "description": ""})
    saved = VatMapping.objects.filter(organization=org, provider="listbooks").exists()
    assert saved is not refused
    if refused:
        assert "ListBooks has no 99 among its VAT codes" in answer.content.decode()


def test_the_overview_shows_only_the_organizations_providers_with_labelled_rows(
        org, org_admin, listbooks, adminbooks):
    VatMapping.objects.create(organization=org, provider="listbooks", category="service",
                              vat_code="3")
    html = client_for(org_admin).get(
        reverse("admin:integrations_mapping_overview")).content.decode()
    assert "ListBooks" in html and "AdminBooks Go" not in html
    assert "Service (service)" in html
