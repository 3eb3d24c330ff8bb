"""Visma payroll (Spiris Lön) in `bench/poll_cost.py`: wage runs and payslips, not invoices, so
"open" is read as existing payslips. A company with a year of monthly wage runs (January to
December 2025; eleven locked, December still open) and `open_count` payslips in them, so
`open_count / 12` employees, each linked, with our payslip for every month and the result an
earlier poll left (`PayslipResult` with Spiris Lön's change stamps, `WageRunSeen` for the
runs). Then:

- 10 changed: 10 payslips of the open run recalculated (gross and `ModifiedUtc` move);
- nothing changed: the next poll;
- first import of 100: a new wage run (January 2026) with 100 payslips, ours made before it.

The list of a run's payslips lacks gross, net, tax and payment date, so each payslip that is
new to us or whose stamp moved costs one `withdetails` read; everything else is per page. The
goals count the shared limiter's queries per request on top of the poll's own (constant)."""

import datetime
import uuid
from decimal import Decimal

from bench.poll_scenarios import goal, link_all
from bench.poll_scenarios.visma_eaccounting import connect

KEY = "visma_payroll"
PAGE = 500  # the client's page size
RUNS = 12
# The poll's own queries: employee links, our payslips without a result, the runs we listed,
# per page of payslips one read and three writes, the runs' upsert, unread shortcut links,
# "last sync": a constant, whatever changed.
OWN_QUERIES = 30
# The shared limiter's statements per request (its savepoints included on SQLite).
LIMITER_QUERIES = 6


def roomy():
    from integrations.providers.visma_payroll.provider import VismaPayroll
    from integrations.ratelimit import RateLimitPolicy
    from sandbox.visma_payroll.simulator import RATE_LIMIT

    VismaPayroll.rate_limit = RateLimitPolicy(limit=100_000, window_seconds=1, per_endpoint=True)
    RATE_LIMIT.limit = 100_000


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _api_date(day):
    return f"{day.isoformat()}T00:00:00"


def _month(year, month):
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def _run_data(run_id, first, last, payslip_ids, *, locked, stamp):
    return {"Id": run_id, "Description": f"Lönekörning {first:%Y-%m}", "CreatedUtc": stamp,
            "ModifiedUtc": stamp, "SalaryPeriodMonthlyFromDateUtc": _api_date(first),
            "SalaryPeriodMonthlyToDateUtc": _api_date(last),
            "SalaryPeriodHourlyFromDateUtc": _api_date(first),
            "SalaryPeriodHourlyToDateUtc": _api_date(last),
            "DeviationPeriodMonthlyToDateUtc": _api_date(last),
            "DeviationPeriodHourlyToDateUtc": _api_date(last),
            "PaymentDateUtc": _api_date(last.replace(day=25)), "GrossSalary": 0,
            "NetSalary": 0, "Tax": 0, "WageRunType": 1, "PayslipIds": payslip_ids,
            "Locked": locked}


def _payslip_data(payslip_id, employee_id, run_id, first, last, *, locked, stamp):
    return {"Id": payslip_id, "EmployeeId": employee_id,
            "SalaryPeriod_FromDate": _api_date(first), "SalaryPeriod_ToDate": _api_date(last),
            "DeviationPeriod_ToDate": _api_date(last), "CreatedUtc": stamp, "ModifiedUtc": stamp,
            "LockedDate": stamp if locked else None, "GrossSalary": 38500.0,
            "NetSalary": 26950.0, "PreliminaryTax": 11550.0,
            "PaymentDateUtc": _api_date(last.replace(day=25)), "WageRunType": 1,
            "_WageRunId": run_id}


def add_run(tenant, employees, first, last, *, locked, stamp):
    """A wage run for [first, last] with a payslip for each of `employees` [(local pk, remote
    id)] in the simulator; returns (run data, {local employee pk: payslip data})."""
    from sandbox.models import SandboxRecord

    run_id = str(uuid.uuid4())
    slips = {pk: _payslip_data(str(uuid.uuid4()), remote, run_id, first, last, locked=locked,
                               stamp=stamp) for pk, remote in employees}
    run = _run_data(run_id, first, last, [s["Id"] for s in slips.values()], locked=locked,
                    stamp=stamp)
    SandboxRecord.objects.create(provider=KEY, tenant=tenant, kind="wagerun", remote_id=run_id,
                                 data=run)
    SandboxRecord.objects.bulk_create([
        SandboxRecord(provider=KEY, tenant=tenant, kind="payslip", remote_id=s["Id"], data=s)
        for s in slips.values()], batch_size=1000)
    return run, slips


def world(base_url, open_count):
    """A connected company with a year of wage runs and `open_count` payslips, ours matched
    and read. Returns (connection, tenant, the open run's payslips, employees)."""
    from django.conf import settings
    from django.utils import timezone

    from accounting.models import Employee, Organization, Payslip
    from integrations.providers.visma_payroll.models import PayslipResult, WageRunSeen
    from sandbox.models import SandboxRecord

    settings.VISMA_PAYROLL_BASE_URL = base_url
    settings.VISMA_IDENTITY_URL = base_url.replace(f"/sandbox/{KEY}", "/sandbox/visma_eaccounting")
    org = Organization.objects.create(slug=f"frost-payroll-poll-{open_count}",
                                      name="Frost Bygg Lön", country="SE", currency="SEK",
                                      language="sv")
    connection, company = connect(org, KEY, f"Frost Bygg Lön {open_count}", hours=2)

    count = max(1, open_count // RUNS)
    employees = Employee.objects.bulk_create([
        Employee(organization=org, employee_number=str(1000 + n), first_name="Anna",
                 last_name=f"Berg {n}", monthly_salary=Decimal("38500"))
        for n in range(count)], batch_size=1000)
    remote_ids = [str(uuid.uuid4()) for _ in employees]
    SandboxRecord.objects.bulk_create([
        SandboxRecord(provider=KEY, tenant=company, kind="employee", remote_id=remote,
                      data={"Id": remote, "FirstName": e.first_name, "LastName": e.last_name,
                            "EmployeeNumber": e.employee_number, "Type": 0, "State": 1})
        for e, remote in zip(employees, remote_ids, strict=True)], batch_size=1000)
    now = timezone.now()
    link_all(connection, "employee", employees, remote_ids, synced_at=now)
    pairs = [(e.pk, remote) for e, remote in zip(employees, remote_ids, strict=True)]
    stamp = _stamp(now - datetime.timedelta(days=1))
    open_slips = {}
    for month in range(1, RUNS + 1):
        first, last = _month(2025, month)
        locked = month < RUNS
        run, slips = add_run(company, pairs, first, last, locked=locked, stamp=stamp)
        ours = Payslip.objects.bulk_create([
            Payslip(organization=org, employee_id=pk, period_start=first, period_end=last,
                    pay_date=last.replace(day=25), currency="SEK")
            for pk, _remote in pairs], batch_size=1000)
        PayslipResult.objects.bulk_create([
            PayslipResult(organization=org, connection=connection, payslip=payslip,
                          remote_payslip_id=slips[payslip.employee_id]["Id"],
                          wage_run_id=run["Id"], gross_salary=Decimal("38500"),
                          net_salary=Decimal("26950"), preliminary_tax=Decimal("11550"),
                          payment_date=last.replace(day=25), payslip_locked=locked,
                          wage_run_locked=locked, remote_created=stamp, remote_modified=stamp,
                          fetched_at=now)
            for payslip in ours], batch_size=1000)
        WageRunSeen.objects.create(organization=org, connection=connection,
                                   wage_run_id=run["Id"], modified=stamp, locked=locked,
                                   looked_for=[], listed_at=now)
        if not locked:
            open_slips = slips
    return connection, company, open_slips, pairs


def rows(counter, base_url, open_count, new_count):
    from django.utils import timezone

    from accounting.models import Payslip
    from integrations.providers.visma_payroll.provider import VismaPayroll
    from sandbox.models import SandboxRecord

    connection, tenant, open_slips, employees = world(base_url, open_count)
    poll = VismaPayroll(connection).poll
    result = []
    stamp = _stamp(timezone.now())
    for slip in list(open_slips.values())[:10]:
        record = SandboxRecord.objects.get(tenant=tenant, kind="payslip", remote_id=slip["Id"])
        record.data.update({"GrossSalary": 39000.0, "NetSalary": 27300.0,
                            "PreliminaryTax": 11700.0, "ModifiedUtc": stamp})
        record.save(update_fields=["data"])
    result.append(("10 changed (10 payslips recalculated)",) + counter.measure(poll))
    result.append(("nothing changed (next poll)",) + counter.measure(poll))
    newcomers = employees[:new_count]
    first, last = _month(2026, 1)
    Payslip.objects.bulk_create([
        Payslip(organization=connection.organization, employee_id=pk, period_start=first,
                period_end=last, pay_date=last.replace(day=25), currency="SEK")
        for pk, _remote in newcomers], batch_size=1000)
    add_run(tenant, newcomers, first, last, locked=False, stamp=stamp)
    result.append((f"first import of {len(newcomers)} (a new wage run)",)
                  + counter.measure(poll))
    pages = -(-len(employees) // PAGE)  # the open run's payslips, listed every poll
    new_pages = -(-len(newcomers) // PAGE)

    def limits(requests):
        return {"requests": requests, "queries": OWN_QUERIES + LIMITER_QUERIES * requests}

    return [
        goal(result[0], **limits(1 + pages + 10),
             note="runs, open run's payslips, 10 detail reads"),
        goal(result[1], **limits(1 + pages), note="runs, open run's payslips; nothing read"),
        goal(result[2], **limits(1 + pages + new_pages + len(newcomers)),
             note=f"+ new run's payslips, {len(newcomers)} detail reads (gross/net/tax)"),
    ], pages
