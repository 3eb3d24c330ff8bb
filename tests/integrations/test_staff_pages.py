"""Retry where the problem shows, picked mappings, the monitor's row retry, disconnect asks
first: the staff-facing parts of issue 12, with a test provider at the HTTP-free edge."""

from unittest import mock

import pytest
from django.urls import reverse
from django.utils import translation

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


class CheckingBooks(ListBooks):
    key = "checkingbooks"
    name = "CheckingBooks"

    def dealer_setup_problems(self, organization):
        from integrations.errors import ValidationProblem
        from integrations.models import AccountingSettings

        stored = AccountingSettings.objects.for_org(organization).get(provider=self.key)
        if stored.default_project_code not in ("", "P-1"):
            return [ValidationProblem(f"No project {stored.default_project_code}.",
                                      field="default_project_code"),
                    ValidationProblem("Unrelated mapping problem.", field="mapping.vat.car")]
        return []


@pytest.fixture
def checkingbooks(org):
    from integrations.providers import registry

    registry.register(CheckingBooks)
    make_connection(org, provider=CheckingBooks.key)
    yield CheckingBooks
    registry.unregister(CheckingBooks.key)


def _defaults_form(data, instance):
    from django import forms

    from integrations.models import AccountingSettings

    class DefaultsForm(forms.ModelForm):
        class Meta:
            model = AccountingSettings
            fields = ["payment_terms_days", "default_project_code", "default_department_code",
                      "invoice_delivery_channel"]

    return DefaultsForm(data, instance=instance)


@pytest.mark.parametrize("project, kept", [("P-1", True), ("NOPE-999", False)])
def test_defaults_are_checked_at_the_provider_on_save(org, checkingbooks, project, kept):
    from integrations.models import AccountingSettings
    from integrations.views.defaults import save_checked_defaults_rollback_unsafe

    stored = AccountingSettings.objects.create(organization=org, provider=CheckingBooks.key,
                                               default_project_code="P-1")
    form = _defaults_form({"payment_terms_days": "30", "default_project_code": project,
                           "default_department_code": "", "invoice_delivery_channel": "email"},
                          stored)
    assert form.is_valid()
    problems = save_checked_defaults_rollback_unsafe(form, organization=org,
                                                     provider_key=CheckingBooks.key)
    stored.refresh_from_db()
    assert (stored.default_project_code, stored.payment_terms_days) == (
        (project, 30) if kept else ("P-1", 14))
    assert [p.field for p in problems] == ([] if kept else ["default_project_code"])
    if not kept:
        assert form.errors["default_project_code"] == ["No project NOPE-999."]


def test_reset_restores_the_defaults_every_organization_starts_with(org):
    from integrations.models import AccountingSettings
    from integrations.views.defaults import reset_defaults

    AccountingSettings.objects.create(organization=org, provider="x", payment_terms_days=30,
                                      default_project_code="P-7", invoice_delivery_channel="ehf")
    reset = reset_defaults(org, "x")
    assert (reset.payment_terms_days, reset.default_project_code,
            reset.invoice_delivery_channel) == (14, "", "email")


def test_blocked_problems_show_once_each_with_their_fix_link(rf, org):
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from integrations.errors import ActionBlocked, ValidationProblem
    from integrations.viewkit import show_problems

    request = rf.get("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    same = ValidationProblem("Needs a salary code for 'overtime'.", fix_url="/admin/fix/1")
    with translation.override("en"):
        show_problems(request, ActionBlocked([same, same, ValidationProblem("No name.")]))
    shown = [str(m) for m in get_messages(request)]
    assert shown == ["Needs a salary code for &#x27;overtime&#x27;. "
                     '<a href="/admin/fix/1">Fix</a>', "No name."]


def test_a_record_type_linked_without_a_log_entry_still_has_a_last_sync(org, listbooks):
    from integrations.models import Link
    from integrations.views.selectors import connection_state

    connection = make_connection(org, provider=ListBooks.key)
    Link.objects.create(organization=org, connection=connection, record_type="customer",
                        local_id="1", remote_id="R-1")
    [row] = connection_state(connection)["record_types"]
    assert row["linked"] == 1 and row["last_sync"] is not None


def test_the_reset_button_restores_the_defaults_for_admins_only(org, org_admin, make_user,
                                                                listbooks):
    from integrations.models import AccountingSettings

    AccountingSettings.objects.create(organization=org, provider=ListBooks.key,
                                      default_project_code="P-7", payment_terms_days=30)
    url = reverse("integrations:defaults_reset", args=[ListBooks.key])
    assert client_for(make_user("sara", org)).post(url).status_code == 403
    answer = client_for(org_admin).post(url, {"next": "/settings/accounting/"})
    stored = AccountingSettings.objects.get(organization=org, provider=ListBooks.key)
    assert answer["Location"] == "/settings/accounting/"
    assert (stored.default_project_code, stored.payment_terms_days) == ("", 14)
