"""What a results poll costs: Spiris Lön's payslips are read with details only when they are new
to us or their change stamp moved, a locked wage run we have listed is not listed again, the
wage run's lock comes from the list, and the poll's queries do not grow with the number of
payslips that changed. Spiris Lön is faked with `responses` (a few wage runs and payslips in
dicts, the answers built from them), so every request is counted."""

import json
import re
from datetime import date
from decimal import Decimal as D
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounting.models import Employee, Payslip
from integrations.links import store_link
from integrations.providers import registry
from integrations.providers.visma_payroll.models import PayslipResult
from tests.integrations.provider_edge import connected
from tests.integrations.visma_payroll.conftest import API

pytestmark = pytest.mark.django_db
MARCH = ("2026-03-01T00:00:00", "2026-03-31T00:00:00")
STAMP = "2026-03-20T08:00:00Z"


class FakeSpiris:
    """Wage runs and payslips (PayslipDetailedResponse plus `_run`) answering the three reads a
    poll makes, `$top`/`$skip` paged and `$filter=Id eq '...'` on the details."""

    def __init__(self):
        self.runs, self.payslips = {}, {}

    def add_run(self, run_id, *, locked=False):
        self.runs[run_id] = {"Id": run_id, "ModifiedUtc": STAMP, "Locked": locked,
                             "SalaryPeriodMonthlyFromDateUtc": MARCH[0],
                             "SalaryPeriodMonthlyToDateUtc": MARCH[1],
                             "SalaryPeriodHourlyFromDateUtc": MARCH[0],
                             "SalaryPeriodHourlyToDateUtc": MARCH[1], "PayslipIds": []}

    def add_payslip(self, run_id, payslip_id, employee_id, gross):
        self.payslips[payslip_id] = {
            "Id": payslip_id, "EmployeeId": employee_id, "SalaryPeriod_FromDate": MARCH[0],
            "SalaryPeriod_ToDate": MARCH[1], "CreatedUtc": STAMP, "ModifiedUtc": STAMP,
            "LockedDate": None, "GrossSalary": gross, "NetSalary": gross * 0.7,
            "PreliminaryTax": gross * 0.3, "PaymentDateUtc": "2026-03-25T00:00:00",
            "WageRunType": 1, "_run": run_id}
        self.runs[run_id]["PayslipIds"].append(payslip_id)

    def change(self, payslip_id, gross, stamp="2026-03-21T09:30:00Z"):
        self.payslips[payslip_id].update({"GrossSalary": gross, "ModifiedUtc": stamp})

    @staticmethod
    def _page(request, rows):
        query = parse_qs(urlsplit(request.url).query)
        wanted = re.match(r"Id eq '(.+)'", query.get("$filter", [""])[0])
        if wanted:
            rows = [r for r in rows if r["Id"] == wanted.group(1)]
        skip, top = int(query.get("$skip", ["0"])[0]), int(query.get("$top", ["50"])[0])
        return 200, {}, json.dumps({"Meta": {"TotalNumberOfResults": len(rows)},
                                    "Data": rows[skip:skip + top]})

    def install(self, rsps):
        summary = ("Id", "EmployeeId", "SalaryPeriod_FromDate", "SalaryPeriod_ToDate",
                   "CreatedUtc", "ModifiedUtc", "LockedDate")
        rsps.add_callback(responses.GET, f"{API}/v2/wageruns",
                          callback=lambda r: self._page(r, list(self.runs.values())))
        rsps.add_callback(
            responses.GET, re.compile(rf"{API}/v2/payslips/wagerun/[^/?]+"),
            callback=lambda r: self._page(r, [
                {**{k: p[k] for k in summary}, "Locked": p["LockedDate"] is not None}
                for p in self.payslips.values()
                if p["_run"] == urlsplit(r.url).path.rsplit("/", 1)[1]]))
        rsps.add_callback(
            responses.GET, re.compile(rf"{API}/v2/payslips/[^/?]+/withdetails"),
            callback=lambda r: self._page(r, [
                {k: v for k, v in p.items() if not k.startswith("_")}
                for p in self.payslips.values()
                if p["EmployeeId"] == urlsplit(r.url).path.split("/")[-2]]))


@pytest.fixture
def payroll(visma_settings, frost):
    return connected(frost, "visma_payroll", {"access_token": "at", "grant_id": 0},
                     remote_tenant_id="c1")


def world(connection, fake, count, *, run_id="run-1"):
    """`count` employees, each linked and with a payslip for March here and in `run_id`."""
    organization = connection.organization
    fake.add_run(run_id)
    for n in range(count):
        employee = Employee.objects.create(organization=organization,
                                           employee_number=str(500 + n), first_name="Anna",
                                           last_name=f"Berg {n}")
        Payslip.objects.create(organization=organization, employee=employee,
                               period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                               pay_date=date(2026, 3, 25), currency="SEK")
        store_link(connection, "employee", employee.pk, f"emp-{n}")
        fake.add_payslip(run_id, f"slip-{n}", f"emp-{n}", 30000 + n)


def own(queries):
    """The poll's own statements: the shared rate limiter's (a few per request, with their
    savepoints) left out, as every provider pays them."""
    return [q["sql"] for q in queries.captured_queries
            if "ratelimit" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def poll(connection, rsps):
    """One poll: (requests it sent, its own queries, its counts)."""
    before = len(rsps.calls)
    with CaptureQueriesContext(db) as queries:
        counts = registry.for_connection(connection).poll()
    return ([urlsplit(c.request.url).path.removeprefix("/v2/") for c in rsps.calls[before:]],
            len(own(queries)), counts)


def test_an_unchanged_payslip_is_not_read_again_and_a_changed_one_is(payroll):
    fake = FakeSpiris()
    world(payroll, fake, 3)
    with responses.RequestsMock() as rsps:
        fake.install(rsps)
        sent, _queries, counts = poll(payroll, rsps)
        assert counts["payslip"]["changed"] == 3
        assert sorted(p for p in sent if p.endswith("withdetails")) == [
            f"payslips/emp-{n}/withdetails" for n in range(3)]
        # Nothing changed: the open run's payslips are listed, none is read with details.
        sent, _queries, counts = poll(payroll, rsps)
        assert sent == ["wageruns", "payslips/wagerun/run-1"]
        assert counts["payslip"] == {"read": 0, "matched": 3, "changed": 0, "runs_listed": 1}
        # One recalculated: only its details are read, narrowed to it.
        fake.change("slip-1", 31500)
        sent, _queries, counts = poll(payroll, rsps)
        assert sent == ["wageruns", "payslips/wagerun/run-1", "payslips/emp-1/withdetails"]
        assert "%24filter=Id+eq+%27slip-1%27" in rsps.calls[-1].request.url
    result = PayslipResult.objects.get(remote_payslip_id="slip-1")
    assert (result.gross_salary, result.remote_modified) == (D("31500.00"),
                                                             "2026-03-21T09:30:00Z")
    assert PayslipResult.objects.get(remote_payslip_id="slip-0").gross_salary == D("30000.00")


def test_the_wage_runs_lock_comes_from_the_list_and_a_locked_run_is_listed_once(payroll):
    fake = FakeSpiris()
    world(payroll, fake, 2)
    with responses.RequestsMock() as rsps:
        fake.install(rsps)
        poll(payroll, rsps)
        # The administrator locks the run: the run list says so, no payslip is read again.
        fake.runs["run-1"].update({"Locked": True, "ModifiedUtc": "2026-03-22T10:00:00Z"})
        sent, _queries, _counts = poll(payroll, rsps)
        assert sent == ["wageruns", "payslips/wagerun/run-1"]
        assert list(PayslipResult.objects.values_list("wage_run_locked", flat=True)) == [
            True, True]
        # Locked and listed since: nothing more is asked about it.
        sent, _queries, counts = poll(payroll, rsps)
        assert sent == ["wageruns"]
        assert counts["payslip"]["runs_listed"] == 0
        # A payslip of ours for the period it covers, made after it was listed: looked for.
        employee = Employee.objects.create(organization=payroll.organization,
                                           employee_number="900", first_name="Nils",
                                           last_name="Ek")
        Payslip.objects.create(organization=payroll.organization, employee=employee,
                               period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
                               pay_date=date(2026, 3, 25), currency="SEK")
        store_link(payroll, "employee", employee.pk, "emp-late")
        sent, _queries, _counts = poll(payroll, rsps)
        assert sent == ["wageruns", "payslips/wagerun/run-1"]
        # Looked for and not there: not listed again for it.
        assert poll(payroll, rsps)[0] == ["wageruns"]


def test_a_polls_queries_do_not_grow_with_the_payslips_that_changed(visma_settings, make_org):
    """A first poll bringing 1 result costs the same queries as one bringing 20, and so does a
    poll where 1 or 20 payslips were recalculated (requests grow by the detail reads only,
    and the limiter's queries with them)."""
    costs, sent_counts = {}, {}
    for count in (1, 20):
        organization = make_org(f"frost-{count}", country="SE", currency="SEK")
        connection = connected(organization, "visma_payroll",
                               {"access_token": "at", "grant_id": 0},
                               remote_tenant_id=f"c{count}")
        fake = FakeSpiris()
        world(connection, fake, count)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            fake.install(rsps)
            sent, first, counts = poll(connection, rsps)
            assert counts["payslip"]["changed"] == count
            for n in range(count):
                fake.change(f"slip-{n}", 40000 + n)
            sent_again, changed, counts = poll(connection, rsps)
            assert counts["payslip"]["changed"] == count
        costs[count] = (first, changed)
        sent_counts[count] = (len(sent), len(sent_again))
    assert costs[1] == costs[20]
    # the run list, the run's payslips, and one detail read per changed payslip
    assert sent_counts == {1: (3, 3), 20: (22, 22)}
    assert PayslipResult.objects.filter(gross_salary__gte=40000).count() == 21
