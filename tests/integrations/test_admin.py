"""Integrations admin: who gets in, and that an organization's admin sees only its own rows."""

import pytest
from django.contrib import admin
from django.urls import reverse

from integrations.models import Connection, Link, RateLimitBucket, SyncCursor, WebhookEvent
from tests.integrations.admin_helpers import ROW_MAKERS, client_for

pytest_plugins = ["tests.integrations.admin_fixtures"]
pytestmark = pytest.mark.django_db


def _url(model, view, *args):
    return reverse(f"admin:integrations_{model._meta.model_name}_{view}", args=args)


def test_every_integrations_model_in_admin_is_covered_by_the_tenancy_tests():
    registered = {m for m in admin.site._registry if m._meta.app_label == "integrations"}
    # RateLimitBucket is the installation's, not an organization's: superusers only (below).
    assert registered - {RateLimitBucket} == set(ROW_MAKERS)


@pytest.mark.parametrize("model", list(ROW_MAKERS), ids=lambda m: m.__name__)
def test_org_admin_sees_only_own_rows_and_404_on_others(model, admin_of, conn, other_conn):
    mine, theirs = ROW_MAKERS[model](conn), ROW_MAKERS[model](other_conn)

    response = admin_of.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert [obj.pk for obj in response.context["cl"].result_list] == [mine.pk]

    assert admin_of.get(_url(model, "change", mine.pk)).status_code == 200
    assert admin_of.get(_url(model, "change", theirs.pk)).status_code == 404
    assert admin_of.get(_url(model, "history", theirs.pk)).status_code == 404
    deleted = admin_of.post(_url(model, "delete", theirs.pk), {"post": "yes"})
    assert deleted.status_code in (403, 404)
    assert model.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("model", list(ROW_MAKERS), ids=lambda m: m.__name__)
def test_superuser_sees_every_organization(model, superuser_browser, conn, other_conn):
    mine, theirs = ROW_MAKERS[model](conn), ROW_MAKERS[model](other_conn)
    response = superuser_browser.get(_url(model, "changelist"))
    assert {obj.pk for obj in response.context["cl"].result_list} == {mine.pk, theirs.pk}
    assert superuser_browser.get(_url(model, "change", theirs.pk)).status_code == 200


def test_webhook_events_without_organization_are_for_superusers_only(
        admin_of, superuser_browser, conn):
    stray = WebhookEvent.objects.create(provider="adminbooks", raw_body=b"{}")
    assert admin_of.get(_url(WebhookEvent, "change", stray.pk)).status_code == 404
    assert stray not in admin_of.get(_url(WebhookEvent, "changelist")).context["cl"].result_list
    assert superuser_browser.get(_url(WebhookEvent, "change", stray.pk)).status_code == 200


@pytest.mark.parametrize("model", [Link, SyncCursor], ids=lambda m: m.__name__)
def test_connection_choices_are_the_admins_organizations_only(model, admin_of, conn, other_conn):
    form = admin_of.get(_url(model, "add")).context["adminform"].form
    assert list(form.fields["connection"].queryset) == [conn]
    assert "organization" not in form.fields


def test_a_link_cannot_be_made_on_another_organizations_connection(admin_of, conn, other_conn):
    data = {"record_type": "customer", "local_id": "9", "remote_id": "77", "remote_number": "",
            "remote_url": ""}
    response = admin_of.post(_url(Link, "add"), {**data, "connection": other_conn.pk})
    assert response.status_code == 200 and "connection" in response.context["adminform"].form.errors
    assert not Link.objects.exists()

    response = admin_of.post(_url(Link, "add"), {**data, "connection": conn.pk})
    assert response.status_code == 302
    link = Link.objects.get()
    assert (link.organization_id, link.connection_id, link.remote_id) == (conn.organization_id,
                                                                          conn.pk, "77")


def test_staff_role_users_cannot_reach_admin(make_user, org, conn):
    link = ROW_MAKERS[Link](conn)
    staff = client_for(make_user("sam-staff", org, role="staff"))
    for url in (reverse("admin:index"), _url(Link, "changelist"), _url(Link, "change", link.pk),
                reverse("admin:integrations_mapping_overview")):
        response = staff.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_role_with_is_staff_flag_still_sees_nothing(make_user, org, conn):
    user = make_user("sam-staff", org, role="staff")
    user.is_staff = True
    user.save()
    browser = client_for(user)
    assert browser.get(_url(Connection, "changelist")).status_code == 403
    assert browser.get(reverse("admin:integrations_mapping_overview")).status_code == 403
    apps = browser.get(reverse("admin:index")).context["app_list"]
    assert "integrations" not in [app["app_label"] for app in apps]


def test_rate_limit_buckets_are_for_superusers_only(admin_of, superuser_browser):
    RateLimitBucket.objects.create(key="adminbooks:subscription", admitted=[1.0, 2.0])
    assert admin_of.get(_url(RateLimitBucket, "changelist")).status_code == 403
    response = superuser_browser.get(_url(RateLimitBucket, "changelist"))
    assert response.status_code == 200 and b"adminbooks:subscription" in response.content
    assert superuser_browser.get(_url(RateLimitBucket, "add")).status_code == 403


def test_index_orders_the_integrations_group_for_the_work(admin_of, conn):
    for path in (reverse("admin:index"), reverse("admin:app_list", args=["integrations"])):
        apps = admin_of.get(path).context["app_list"]
        integrations = next(app for app in apps if app["app_label"] == "integrations")
        names = [m["object_name"] for m in integrations["models"]]
        assert names[:8] == [
            "SyncLogEntry", "SyncJob", "MappingOverview", "VatMapping", "AccountMapping",
            "AccountingSettings", "Connection", "Link",
        ]
        overview = integrations["models"][2]
        assert overview["admin_url"] == reverse("admin:integrations_mapping_overview")


def test_a_second_organization_admin_only_gets_their_chosen_organization(
        make_user, org, other_org, conn, other_conn):
    """An admin of two organizations works in the one chosen in the session."""
    user = make_user("both", org, role="admin")
    from accounting.models import Membership

    Membership.objects.create(user=user, organization=other_org, role="admin")
    browser = client_for(user)
    session = browser.session
    session["organization_id"] = other_org.pk
    session.save()
    result = browser.get(_url(Connection, "changelist")).context["cl"].result_list
    assert [c.pk for c in result] == [other_conn.pk]
