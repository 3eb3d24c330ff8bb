"""The construction firm against the Visma payroll simulator on the live server, over real HTTP
and through the settings that point at vlsapi.vismaonline.com and identity.vismaonline.com in
production: consent on the shared identity server, employees, time entries and salary lines
out, a wage run in the simulator and the payslip results back, an edit after payroll read the
shortcut refused, a lost response that leaves one shortcut, employees already in Spiris Lön
linked (and a limited one explained), a missing pay code that blocks with its link, and one
grant shared with Visma eAccounting that outlives disconnecting payroll."""

import json
import re
from decimal import Decimal as D
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse
from django.utils import timezone, translation

from integrations.engine import enqueue_job, run_job
from integrations.models import Connection, Link, PayTypeMapping, SyncJob
from integrations.providers import registry
from integrations.providers.visma_payroll import auth
from integrations.providers.visma_payroll.client import VismaPayrollClient
from integrations.providers.visma_payroll.models import PayslipResult
from tests.integrations.provider_edge import HttpSpy, browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sim(live_server, settings):
    from sandbox.framework import ratelimit as sandbox_ratelimit
    from sandbox.visma_eaccounting import seed

    settings.VISMA_PAYROLL_BASE_URL = f"{live_server.url}/sandbox/visma_payroll"
    settings.VISMA_IDENTITY_URL = f"{live_server.url}/sandbox/visma_eaccounting"
    app = seed.seed_app(redirect_uris=[live_server.url + auth.CALLBACK_PATH])
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = app.client_id, app.client_secret
    settings.APP_BASE_URL = live_server.url
    settings.SYNC_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    sandbox_ratelimit.reset_all()
    company = seed.seed_company("Frost Bygg E2E")
    return {"base": settings.VISMA_PAYROLL_BASE_URL, "company": company}


@pytest.fixture
def admin(make_user, frost):
    return make_user("frost-admin", frost, role="admin")


def consent(sim, organization, user, cls=None):
    """The admin in the browser: our authorization URL, approve the company, back to our
    callback with code and state."""
    cls = cls or registry.get("visma_payroll")
    url = cls.start_connect(organization=organization, user=user)
    session = requests.Session()
    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(url, data={"csrfmiddlewaretoken": token, "decision": "approve",
                                     "tenant": sim["company"].external_id},
                          headers={"Referer": url}, allow_redirects=False, timeout=30)
    location = answer.headers["Location"]
    assert urlsplit(location).path.endswith("/callback"), location
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return cls.finish_connect(params=query, user=user)


@pytest.fixture
def connected(sim, frost, admin, records, pay_codes):
    return consent(sim, frost, admin)


def run(connection, operation, obj):
    job, _ = enqueue_job(connection=connection, operation=operation,
                         record_type=operation.split(".")[0], local_id=obj.pk)
    outcome = run_job(job.pk)
    job.refresh_from_db()
    return outcome, job


def api(connection, path, params=None):
    return VismaPayrollClient(registry.for_connection(connection)).get_json(path, params)


def control(sim, path, **body):
    answer = requests.post(f"{sim['base']}/_control/{path}",
                           json={"tenant": sim["company"].external_id, **body}, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def remote_id(connection, record_type, obj):
    return Link.objects.get(connection=connection, record_type=record_type,
                            local_id=str(obj.pk)).remote_id


def test_connect_export_wage_run_and_results_back(connected, sim, records, frost, admin,
                                                  monkeypatch):
    assert connected.status == Connection.Status.CONNECTED
    assert connected.remote_tenant_id == sim["company"].external_id
    assert "vls:api" in connected.credentials["scope"].split()
    assert "refresh_token" not in connected.credentials  # it lives in the shared grant
    for employee in (records["lars"], records["maria"]):
        assert run(connected, "employee.export", employee)[0] == "done"
    for entry in records["entries"]:
        outcome, job = run(connected, "time_entry.export", entry)
        assert outcome == "done", job.last_error
    outcome, job = run(connected, "payslip.export", records["payslip"])
    assert outcome == "done", job.last_error

    lars_id = remote_id(connected, "employee", records["lars"])
    remote_lars = api(connected, f"/v2/employees/{lars_id}")
    assert (remote_lars["EmployeeNumber"], remote_lars["IdentificationNumber"]) == (
        "101", "198004121234")
    shortcuts = api(connected, "/v2/shortcuts/hoursworked/2026-03-01/2026-03-31",
                    {"includeOnlySameClientShortcuts": "true"})
    assert len(shortcuts) == 10
    lars_days = sorted((s["StartDate"][:10], s["MinutesOfDay"]) for s in shortcuts
                       if s["EmployeeId"] == lars_id)
    assert lars_days == [(f"2026-03-0{d}", 450) for d in range(2, 7)]
    salary = api(connected, "/v2/shortcuts/otheradditiondeduction/2026-03-31/2026-03-31")
    assert [(r["PaycodeNumber"], r["Quantity"], r["UnitPrice"]) for r in salary[0]["Rows"]] == [
        ("1350", 1.0, 38500.0), ("1340", 6.0, 330.0)]

    # Payroll runs March in Spiris Lön; our scheduled read brings gross, net and tax back.
    control(sim, "employees", Id=remote_id(connected, "employee", records["maria"]),
            HourlyRate=200)
    run_body = control(sim, "wageruns", **{"from": "2026-03-01", "to": "2026-03-31",
                                            "payment_date": "2026-03-25"})
    counts = registry.get("visma_payroll").poll_all()[connected.pk]
    assert counts["payslip"]["matched"] == 1
    # The run read every shortcut: the poll notes it, and a time entry's page says so.
    assert counts["shortcuts"]["newly_read"] == 11
    assert all(link.data["is_read"] for link in Link.objects.filter(
        connection=connected, record_type__in=("time_entry", "payslip")))
    result = PayslipResult.objects.get(payslip=records["payslip"])
    # 38500 + 6 x 330 = 40480; tax 30 % = 12144; net 28336.
    assert (result.gross_salary, result.preliminary_tax, result.net_salary) == (
        D("40480.00"), D("12144.00"), D("28336.00"))
    assert not result.wage_run_locked and result.wage_run_id == run_body["Id"]
    control(sim, "wageruns/lock", id=run_body["Id"])
    spy = HttpSpy().install(monkeypatch)
    registry.get("visma_payroll").poll_all()
    result.refresh_from_db()
    assert result.wage_run_locked and result.payslip_locked
    # What a poll costs: the wage runs, the payslips of the run that changed (it was locked),
    # and the details of the one payslip of ours whose lock moved (Maria has none here); every
    # shortcut is known as read, so none are listed.
    paths = [url.split("/v2/")[1].split("?")[0] for _m, url, _t in spy.calls]
    assert paths == ["wageruns", f"payslips/wagerun/{run_body['Id']}",
                     f"payslips/{lars_id}/withdetails"]
    assert spy.inside_transaction() == []
    # Nothing changed since: a locked run we have listed is not asked about again.
    spy.calls.clear()
    registry.get("visma_payroll").poll_all()
    assert [url.split("/v2/")[1].split("?")[0] for _m, url, _t in spy.calls] == ["wageruns"]

    page = browser(admin)
    page.cookies["django_language"] = "sv"
    html = page.get(f"/payslips/{records['payslip'].pk}/").content.decode()
    panel = html[html.find('id="visma-payroll-result"'):].split("</section>")[0]
    for shown in ("Bruttolön", "40480,00 SEK", "Preliminärskatt", "12144,00 SEK", "Nettolön",
                  "28336,00 SEK", "Låst"):
        assert shown in panel, shown
    entry_page = page.get(f"/time-entries/{records['entries'][0].pk}/").content.decode()
    assert "ändringar här skickas inte längre" in entry_page


def test_pay_codes_are_picked_from_spiris_lons_list(connected, admin):
    url = reverse("admin:integrations_paytypemapping_add")
    page = browser(admin).get(url, {"provider": "visma_payroll", "pay_type": "bonus"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<select name="salary_code"' in html and '<option value="1310">1310 Bonus' in html
    form = {"provider": "visma_payroll", "pay_type": "bonus", "description": ""}
    refused = browser(admin).post(f"{url}?provider=visma_payroll",
                                  {**form, "salary_code": "9999"})
    assert refused.status_code == 200 and not PayTypeMapping.objects.filter(
        pay_type="bonus").exists()
    saved = browser(admin).post(f"{url}?provider=visma_payroll", {**form, "salary_code": "1310"})
    assert saved.status_code == 302
    assert PayTypeMapping.objects.get(pay_type="bonus").salary_code == "1310"


def test_an_edit_after_payroll_read_the_shortcut_is_refused(connected, sim, records):
    entry = records["entries"][0]
    assert run(connected, "time_entry.export", entry)[0] == "done"
    shortcut_id = remote_id(connected, "time_entry", entry)
    entry.hours = D("6")
    entry.save()
    job, _ = enqueue_job(connection=connected, operation="time_entry.export",
                         record_type="time_entry", local_id=entry.pk, variant="edit-1")
    assert run_job(job.pk) == "done"
    assert api(connected, f"/v2/shortcuts/hoursworked/{shortcut_id}")["MinutesOfDay"] == 360

    control(sim, "shortcuts/read", ids=[shortcut_id])
    entry.hours = D("4")
    entry.save()
    job, _ = enqueue_job(connection=connected, operation="time_entry.export",
                         record_type="time_entry", local_id=entry.pk, variant="edit-2")
    with translation.override("en"):
        assert run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert "already read this time entry" in job.last_error
    assert api(connected, f"/v2/shortcuts/hoursworked/{shortcut_id}")["MinutesOfDay"] == 360
    link = Link.objects.get(connection=connected, record_type="time_entry", local_id=entry.pk)
    assert link.data["is_read"] is True
    # From now on a person's click is refused at once, before anything is queued.
    admin = registry.for_connection(connected)
    with translation.override("sv"):
        problems = admin.validate_export("time_entry", entry)
    assert [p.field for p in problems] == ["read_by_payroll"]
    assert problems[0].message.startswith("Lönehanteringen har redan läst in tidraden")


def test_a_lost_response_gives_one_shortcut(connected, sim, records):
    from sandbox.framework import faults

    entry = records["entries"][1]
    assert run(connected, "employee.export", entry.employee)[0] == "done"
    faults.lose_next_responses("visma_payroll", mode="reset", method="POST",
                               path_prefix="/v2/shortcuts/hoursworked")
    outcome, job = run(connected, "time_entry.export", entry)
    assert outcome == "unknown", job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert run_job(job.pk) == "adopted"
    stored = api(connected, f"/v2/shortcuts/hoursworked/{entry.date}/{entry.date}",
                 {"includeOnlySameClientShortcuts": "true"})
    assert [s["Id"] for s in stored] == [remote_id(connected, "time_entry", entry)]


def test_employees_already_in_spiris_are_linked_and_a_limited_one_explained(connected, sim,
                                                                            records):
    typed_in = control(sim, "employees", FirstName="Lars", LastName="Andersson",
                       EmployeeNumber="7", IdentificationNumber="8004121234")
    limited = control(sim, "employees", FirstName="Maria", LastName="Karlsson",
                      EmployeeNumber="102", IdentificationNumber="199001022345", Type=1)
    assert run(connected, "employee.export", records["lars"])[0] == "done"
    assert run(connected, "employee.export", records["maria"])[0] == "done"
    assert remote_id(connected, "employee", records["lars"]) == typed_in["Id"]
    assert remote_id(connected, "employee", records["maria"]) == limited["Id"]
    assert api(connected, "/v2/employees")["Meta"]["TotalNumberOfResults"] == 2
    maria_entry = next(e for e in records["entries"] if e.employee_id == records["maria"].pk)
    with translation.override("en"):
        outcome, job = run(connected, "time_entry.export", maria_entry)
    assert outcome == "failed" and "limited employee" in job.last_error


def test_a_missing_pay_code_blocks_the_send_with_a_link_to_its_row(connected, records, admin):
    PayTypeMapping.objects.filter(pay_type="overtime").delete()
    response = browser(admin).post(reverse("integrations:export", args=[connected.pk]),
                                   data=json.dumps({"type": "payslip",
                                                    "ids": [records["payslip"].pk]}),
                                   content_type="application/json")
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert "overtime" in problem["message"]
    assert problem["fix_url"] == (reverse("admin:integrations_paytypemapping_add")
                                  + "?provider=visma_payroll&pay_type=overtime")
    assert not SyncJob.objects.filter(record_type="payslip").exists()


def test_one_consent_for_both_visma_products_and_disconnecting_payroll_keeps_it(
        sim, frost, admin, records, pay_codes, live_server, settings):
    from integrations.providers.visma_eaccounting.models import VismaGrant
    from sandbox.visma_eaccounting import seed

    settings.VISMA_EACCOUNTING_BASE_URL = f"{live_server.url}/sandbox/visma_eaccounting"
    eaccounting_cls = registry.get("visma_eaccounting")
    client = seed.SandboxClient.objects.get(client_id=settings.VISMA_CLIENT_ID)
    seed.add_redirect_uri(client, live_server.url + "/api/integrations/visma/callback")
    eaccounting = consent(sim, frost, admin, cls=eaccounting_cls)
    assert eaccounting.provider == "visma_eaccounting"

    # Payroll asks for eAccounting's scopes too, so the one new grant serves both.
    assert {"ea:api", "vls:api"} <= set(auth.requested_scopes(frost).split())
    payroll = consent(sim, frost, admin)
    eaccounting.refresh_from_db()
    assert payroll.credentials["grant_id"] == eaccounting.credentials["grant_id"]
    assert VismaGrant.objects.filter(organization=frost).count() == 1
    assert run(payroll, "employee.export", records["lars"])[0] == "done"

    # Disconnecting payroll keeps the grant for eAccounting, and says so.
    registry.for_connection(payroll).disconnect(user=admin)
    payroll.refresh_from_db()
    assert payroll.status == Connection.Status.DISCONNECTED and "kept" in payroll.status_reason
    Connection.objects.filter(pk=eaccounting.pk).update(token_expires_at=timezone.now())
    eaccounting.refresh_from_db()
    assert registry.for_connection(eaccounting).test_connection()["company_name"]
    eaccounting.refresh_from_db()
    assert eaccounting.status == Connection.Status.CONNECTED
    # The last one out revokes the grant at Visma.
    registry.for_connection(eaccounting).disconnect(user=admin)
    assert not VismaGrant.objects.filter(organization=frost).exists()


def test_a_withdrawn_grant_marks_the_connection_for_re_authorization(connected, sim, records):
    from sandbox.framework import tokens as sandbox_tokens
    from sandbox.visma_eaccounting import identity as sandbox_identity

    sandbox_tokens.revoke_tenant_tokens(sandbox_identity.REALM, sim["company"])
    Connection.objects.filter(pk=connected.pk).update(token_expires_at=timezone.now())
    outcome, job = run(connected, "employee.export", records["lars"])
    connected.refresh_from_db()
    assert connected.status == Connection.Status.NEEDS_REAUTH
    assert "connect Visma again" in connected.status_reason
    assert job.status == SyncJob.Status.QUEUED, outcome  # waits for the new consent


def test_two_workers_sending_a_new_employees_time_at_once_make_one_employee(connected, records):
    from tests.integrations.provider_edge import in_threads

    maria = records["maria"]
    entries = [e for e in records["entries"] if e.employee_id == maria.pk][:4]
    jobs = [enqueue_job(connection=connected, operation="time_entry.export",
                        record_type="time_entry", local_id=e.pk)[0] for e in entries]
    outcomes = in_threads(len(jobs), lambda i: run_job(jobs[i].pk))
    assert outcomes == ["done"] * len(jobs), [SyncJob.objects.get(pk=j.pk).last_error
                                              for j in jobs]
    employees = api(connected, "/v2/employees")["Data"]
    assert [e["EmployeeNumber"] for e in employees] == ["102"]
    assert remote_id(connected, "employee", maria) == employees[0]["Id"]
    shortcuts = api(connected, "/v2/shortcuts/hoursworked/2026-03-01/2026-03-31")
    assert len(shortcuts) == 4 and {s["EmployeeId"] for s in shortcuts} == {employees[0]["Id"]}


def test_an_absence_reaches_its_shortcut_once_and_an_edit_after_payroll_read_is_refused(
        connected, sim, records):
    """A sick day goes out as a `sickleave` shortcut (never as hours worked), exactly once
    even when the answer to the POST is lost; changing its kind before payroll read it moves
    it to the other absence shortcut; an edit after payroll read it is refused."""
    from sandbox.framework import faults

    entry = records["entries"][2]  # Lars, 2026-03-03
    entry.absence_kind, entry.hours, entry.description = "sick_leave", D("8"), "Sjuk"
    entry.save()
    day = f"/{entry.date}/{entry.date}"
    ours = {"includeOnlySameClientShortcuts": "true"}
    assert run(connected, "employee.export", entry.employee)[0] == "done"
    faults.lose_next_responses("visma_payroll", mode="reset", method="POST",
                               path_prefix="/v2/shortcuts/sickleave")
    outcome, job = run(connected, "time_entry.export", entry)
    assert outcome == "unknown", job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert run_job(job.pk) == "adopted"
    sick = api(connected, f"/v2/shortcuts/sickleave{day}", ours)
    assert [s["Id"] for s in sick] == [remote_id(connected, "time_entry", entry)]
    assert sick[0]["MinutesOfDay"] == 480 and sick[0]["Comment"].startswith("Sjuk [")
    assert api(connected, f"/v2/shortcuts/hoursworked{day}", ours) == []

    entry.absence_kind = "care_of_sick_child"
    entry.save()
    job, _ = enqueue_job(connection=connected, operation="time_entry.export",
                         record_type="time_entry", local_id=entry.pk, variant="vab")
    assert run_job(job.pk) == "done"
    assert api(connected, f"/v2/shortcuts/sickleave{day}", ours) == []
    care = api(connected, f"/v2/shortcuts/careofsickchild{day}", ours)
    assert [s["Id"] for s in care] == [remote_id(connected, "time_entry", entry)]

    control(sim, "shortcuts/read", ids=[care[0]["Id"]])
    entry.hours = D("4")
    entry.save()
    job, _ = enqueue_job(connection=connected, operation="time_entry.export",
                         record_type="time_entry", local_id=entry.pk, variant="half-day")
    with translation.override("en"):
        assert run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert "already read this time entry" in job.last_error
    care = api(connected, f"/v2/shortcuts/careofsickchild{day}", ours)
    assert [(s["MinutesOfDay"], s["IsRead"]) for s in care] == [(480, True)]
    problems = registry.for_connection(connected).validate_export("time_entry", entry)
    assert [p.field for p in problems] == ["read_by_payroll"]
