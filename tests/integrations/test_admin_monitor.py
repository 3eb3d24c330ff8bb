"""The sync monitor, jobs with retry by hand, connections without secrets, the webhook inbox."""

import json
from datetime import timedelta
from html import escape

import pytest
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone, translation
from django_q.models import OrmQ

from integrations.models import Connection, SyncJob, SyncLogEntry, WebhookEvent
from tests.integrations.admin_helpers import client_for, make_connection, make_job, make_log

pytest_plugins = ["tests.integrations.admin_fixtures"]
pytestmark = pytest.mark.django_db

MONITOR = reverse("admin:integrations_synclogentry_changelist")
JOBS = reverse("admin:integrations_syncjob_changelist")
S = SyncJob.Status


def _listed(browser, url):
    response = browser.get(url)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# -- sync monitor --------------------------------------------------------------------------------

def test_monitor_lists_newest_first_fifty_per_page(admin_of, conn):
    now = timezone.now()
    entries = [make_log(conn, local_id=str(i), created_at=now - timedelta(minutes=i))
               for i in range(60)]
    first_page = _listed(admin_of, MONITOR)
    assert [e.pk for e in first_page] == [e.pk for e in entries[:50]]
    assert [e.pk for e in _listed(admin_of, MONITOR + "?p=2")] == [e.pk for e in entries[50:]]


def test_monitor_filters_by_status_entity_and_provider(admin_of, org, conn):
    failed = make_log(conn, status="failed", entity="invoice")
    ok = make_log(conn, status="ok", entity="customer")
    legacy = make_log(make_connection(org, provider="legacybooks"), status="ok", entity="invoice")

    def pks(query):
        return {e.pk for e in _listed(admin_of, MONITOR + query)}

    assert pks("?status__exact=failed") == {failed.pk}
    assert pks("?entity=invoice") == {failed.pk, legacy.pk}
    assert pks("?provider=adminbooks") == {failed.pk, ok.pk}
    assert pks("?provider=legacybooks&status__exact=ok") == {legacy.pk}


def test_monitor_shortens_messages_and_shows_the_full_error_and_raw_response(admin_of, conn):
    message = ("PowerOffice Go refused the order: the customer has no address. " * 4).strip()
    details = {"error_class": "PermanentError",
               "provider_response": {"ErrorCode": 4011, "Message": "Kunden mangler adresse",
                                     "ValidationErrors": [{"Field": "MailAddress.Street"}]}}
    entry = make_log(conn, message=message, details=details, provider_response_code=422,
                     duration_ms=140)

    listing = admin_of.get(MONITOR).content.decode()
    assert message not in listing and message[:60] in listing
    assert "140 ms" in listing and "422" in listing

    page = admin_of.get(reverse("admin:integrations_synclogentry_change", args=[entry.pk]))
    html = page.content.decode()
    assert message in html
    entry.refresh_from_db()  # PostgreSQL's jsonb keeps its own key order
    assert entry.details == details
    assert escape(json.dumps(entry.details, indent=2, ensure_ascii=False)) in html
    assert 'name="_save"' not in html  # read-only


def test_monitor_can_be_filtered_to_one_jobs_entries(admin_of, conn):
    job = make_job(conn)
    mine, _ = make_log(conn, job=job), make_log(conn)
    assert [e.pk for e in _listed(admin_of, MONITOR + f"?job__id__exact={job.pk}")] == [mine.pk]


# -- retry ---------------------------------------------------------------------------------------

def _post_action(browser, url, action, pks):
    return browser.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks],
                              "index": "0"}, follow=True)


def test_retry_action_requeues_failed_and_dead_jobs_and_leaves_others(admin_of, conn):
    failed = make_job(conn, "1", status=S.FAILED, attempts=1, last_error="400 Bad Request")
    dead = make_job(conn, "2", status=S.DEAD, attempts=6)
    done = make_job(conn, "3", status=S.DONE, attempts=1)
    queued_before = OrmQ.objects.count()

    response = _post_action(admin_of, JOBS, "retry_selected", [failed.pk, dead.pk, done.pk])

    for job in (failed, dead, done):
        job.refresh_from_db()
    assert (failed.status, failed.attempts) == (S.QUEUED, 0)
    assert (dead.status, dead.attempts) == (S.QUEUED, 0)
    assert (done.status, done.attempts) == (S.DONE, 1)
    assert OrmQ.objects.count() == queued_before + 2
    texts = [str(m) for m in response.context["messages"]]
    assert "2 jobs queued again." in texts
    assert any("Skipped 1 job that is done" in t for t in texts)


def test_retry_action_from_the_monitor_retries_the_entrys_job(admin_of, conn):
    job = make_job(conn, status=S.DEAD)
    entry = make_log(conn, job=job, status="dead")
    no_job = make_log(conn, status="failed")
    queued_before = OrmQ.objects.count()

    _post_action(admin_of, MONITOR, "retry_entry_jobs", [entry.pk, no_job.pk])

    job.refresh_from_db()
    assert (job.status, job.attempts) == (S.QUEUED, 0)
    assert OrmQ.objects.count() == queued_before + 1
    assert SyncLogEntry.objects.filter(job=job, message="Retried by hand").exists()


def test_retry_action_never_touches_another_organizations_job(admin_of, conn, other_conn):
    theirs = make_job(other_conn, status=S.FAILED)
    _post_action(admin_of, JOBS, "retry_selected", [theirs.pk])
    theirs.refresh_from_db()
    assert theirs.status == S.FAILED
    assert not OrmQ.objects.exists()


def test_retry_button_on_the_job_page(org_admin, conn):
    failed, done = make_job(conn, "1", status=S.FAILED), make_job(conn, "2", status=S.DONE)
    browser = client_for(org_admin, enforce_csrf_checks=True)
    retry_url = reverse("admin:integrations_syncjob_retry", args=[failed.pk])

    page = browser.get(reverse("admin:integrations_syncjob_change", args=[failed.pk]))
    assert f'action="{retry_url}"' in page.content.decode()
    done_page = browser.get(reverse("admin:integrations_syncjob_change", args=[done.pk]))
    assert "/retry/" not in done_page.content.decode()

    assert browser.get(retry_url).status_code == 405
    assert browser.post(retry_url).status_code == 403  # no CSRF token
    failed.refresh_from_db()
    assert failed.status == S.FAILED

    token = page.context["csrf_token"]
    response = browser.post(retry_url, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (S.QUEUED, 0)
    assert OrmQ.objects.count() == 1


def test_retry_button_skips_a_job_that_is_not_failed_and_says_why(admin_of, conn):
    running = make_job(conn, status=S.RUNNING)
    url = reverse("admin:integrations_syncjob_retry", args=[running.pk])
    response = admin_of.post(url, follow=True)
    running.refresh_from_db()
    assert running.status == S.RUNNING and not OrmQ.objects.exists()
    assert any("only failed or dead jobs can be retried" in str(m)
               for m in response.context["messages"])


def test_retry_button_answers_404_for_another_organizations_job(admin_of, other_conn):
    theirs = make_job(other_conn, status=S.FAILED)
    url = reverse("admin:integrations_syncjob_retry", args=[theirs.pk])
    assert admin_of.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.FAILED


def test_monitor_entry_page_offers_to_retry_its_failed_job(admin_of, conn):
    entry = make_log(conn, job=make_job(conn, status=S.FAILED))
    html = admin_of.get(reverse("admin:integrations_synclogentry_change", args=[entry.pk]))
    assert reverse("admin:integrations_syncjob_retry", args=[entry.job_id]) in html.content.decode()


def test_jobs_list_filters_and_shows_the_full_error_on_the_detail(admin_of, org, conn):
    error = "Fortnox: " + "Kunden finns inte. " * 20
    failed = make_job(conn, "1", status=S.FAILED, last_error=error)
    make_job(conn, "2", status=S.DONE)
    legacy = make_job(make_connection(org, provider="legacybooks"), "3", status=S.DONE)

    assert [j.pk for j in _listed(admin_of, JOBS + "?status__exact=failed")] == [failed.pk]
    assert [j.pk for j in _listed(admin_of, JOBS + "?provider=legacybooks")] == [legacy.pk]
    assert len(_listed(admin_of, JOBS + "?operation=customer.create&record_type=customer")) == 3
    assert error not in admin_of.get(JOBS).content.decode()
    detail = admin_of.get(reverse("admin:integrations_syncjob_change", args=[failed.pk]))
    assert escape(error) in detail.content.decode()


# -- connections: never a secret -----------------------------------------------------------------

def test_connection_pages_never_show_credentials(admin_of, org, adminbooks):
    conn = Connection(organization=org, provider="adminbooks", status=Connection.Status.CONNECTED,
                      remote_company_name="Nordbil AS (PowerOffice)")
    conn.set_credentials({"access_token": "tok-PLAINTEXT-9f8e7d6c",
                          "refresh_token": "refresh-PLAINTEXT-1a2b3c"},
                         expires_at=timezone.now() + timedelta(hours=1))
    conn.save()
    with db.cursor() as cursor:
        cursor.execute("SELECT encrypted_credentials FROM integrations_connection WHERE id = %s",
                       [conn.pk])
        ciphertext = bytes(cursor.fetchone()[0]).decode()  # a Fernet token, stored as bytes
    assert ciphertext and "PLAINTEXT" not in ciphertext

    pages = [
        admin_of.get(reverse("admin:integrations_connection_changelist")),
        admin_of.get(reverse("admin:integrations_connection_change", args=[conn.pk])),
        admin_of.get(reverse("admin:integrations_connection_history", args=[conn.pk])),
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "PLAINTEXT" not in html
        assert ciphertext not in html and ciphertext[:20] not in html
        assert "encrypted_credentials" not in html
    assert "Nordbil AS (PowerOffice)" in pages[1].content.decode()
    assert "icon-yes" in pages[1].content.decode()  # credentials stored: yes
    assert admin_of.get(reverse("admin:integrations_connection_add")).status_code == 403


def test_connections_are_not_edited_or_deleted_in_admin(admin_of, conn):
    change = reverse("admin:integrations_connection_change", args=[conn.pk])
    admin_of.post(change, {"status": "disconnected", "status_reason": "x"})
    assert admin_of.post(reverse("admin:integrations_connection_delete", args=[conn.pk]),
                         {"post": "yes"}).status_code == 403
    conn.refresh_from_db()
    assert conn.status == Connection.Status.CONNECTED


# -- webhook inbox -------------------------------------------------------------------------------

def test_webhook_event_shows_headers_and_a_shortened_body(admin_of, org, conn):
    body = b'{"event": "invoice.paid", "filler": "' + b"x" * 10_000 + b'", "end": "TAIL-MARK"}'
    event = WebhookEvent.objects.create(
        provider="adminbooks", organization=org, connection=conn, raw_body=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer sekret-abc-123",
                 "X-Signature": "t=1,v1=abc"},
    )
    html = admin_of.get(reverse("admin:integrations_webhookevent_change", args=[event.pk]))
    html = html.content.decode()
    assert "invoice.paid" in html and "TAIL-MARK" not in html
    assert "x" * 4000 in html and "x" * 4100 not in html
    assert "sekret-abc-123" not in html and "[redacted]" in html
    assert "application/json" in html and "X-Signature" in html


def test_the_limiter_page_says_when_a_person_waits_not_the_books_raw_mark(django_user_model):
    """The limiter keeps the last admission's mark as a negative number in the same column as
    a waiting person's deadline: the operator sees a time or nobody, never the raw number."""
    from datetime import UTC, datetime

    from django.test import Client
    from django.urls import reverse

    from integrations.models import RateLimitBucket

    waiting = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp()
    RateLimitBucket.objects.create(key="k-nobody", admitted=[], interactive_waiting_until=-1234.5)
    RateLimitBucket.objects.create(key="k-person", admitted=[], interactive_waiting_until=waiting)
    browser = Client()
    browser.force_login(django_user_model.objects.create_superuser("root", password="pw-123456"))
    with translation.override("en"):
        page = browser.get(reverse("admin:integrations_ratelimitbucket_changelist"),
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "-1234.5" not in page and "1234,5" not in page
    assert "2030" in page
