"""Payroll results back: Spiris Lön's wage runs and payslips, read on a schedule, so each of our
payslips shows its gross, net and tax and whether its wage run is locked (`PayslipResult`).

A poll costs what changed, not what exists:

1. `GET /v2/wageruns` (one request per 500 runs): each run's `Id`, `ModifiedUtc` and `Locked`.
2. The payslips of a run are listed (`GET /v2/payslips/wagerun/{id}`, one request per 500) only
   when the run is not locked, is new to us, was locked or changed since we last listed it
   (`WageRunSeen`: its `ModifiedUtc` and `Locked` then), or covers the period of one of our
   payslips still without a result that was not looked for in it then. A locked run we have
   listed is done: nothing is asked about it again.
3. A listed payslip (`PayslipResponse`: `Id`, `EmployeeId`, the salary period, `CreatedUtc`,
   `ModifiedUtc`, `Locked`) is ours when it is a linked employee's and covers the same salary
   period as one of our payslips. The list lacks `GrossSalary`, `NetSalary`, `PreliminaryTax`
   and `PaymentDateUtc`, which only `GET /v2/payslips/{employeeId}/withdetails` gives, so
   those are read, one request per employee (narrowed with `$filter=Id eq '...'` when one of
   theirs is wanted), only for a payslip with no result yet or whose `ModifiedUtc` or `Locked`
   moved since we read it. For the rest the list is enough: the wage run's id and `Locked` are
   written from it.

Per page of listed payslips: one query for our payslips with their results, then (after the
page's HTTP is done, never inside a transaction) one bulk insert of new results, one bulk
update of the changed ones and one update of "Read"; the runs' stamps in one upsert per poll.
So queries do not grow with the number of changed payslips, and requests only by the detail
reads the list cannot spare.

The same poll notes which of our shortcuts payroll has read (`IsRead`), so a time entry's page
can say that changes are no longer sent: one range request per shortcut kind that still has
unread links (`GET /v2/shortcuts/<kind>/<first>/<last>?includeOnlySameClientShortcuts=true`),
the links marked in one bulk update.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from accounting.models import Payslip, TimeEntry
from integrations.importing import bulk_write
from integrations.inbound import mark_polled
from integrations.models import Link
from integrations.providers.visma_payroll import mappers
from integrations.providers.visma_payroll.client import PAGE_SIZE, VismaPayrollClient
from integrations.providers.visma_payroll.models import PayslipResult, WageRunSeen

# What the payslip list carries that we copy without reading details.
FROM_LIST = ("wage_run_id", "wage_run_locked")


def poll(provider, *, record_types=None, since=None):
    if record_types is not None and "payslip" not in record_types:
        return {}
    connection = provider.connection
    client = VismaPayrollClient(provider)
    runs = list(client.iterate("/v2/wageruns"))
    employees = dict(Link.objects.filter(connection=connection, record_type="employee")
                     .values_list("remote_id", "local_id"))
    employees = {remote: int(local) for remote, local in employees.items()
                 if str(local).isdigit()}
    waiting = _waiting(connection, employees.values())
    seen = {row.wage_run_id: row for row in WageRunSeen.objects.filter(connection=connection)}
    counts = {"runs_listed": 0, "read": 0, "matched": 0, "changed": 0}
    stamps = []
    for run in runs:
        run_id = str(run.get("Id") or "")
        if not run_id:
            continue
        looked_for = sorted(pk for period in mappers.run_periods(run)
                            for pk in waiting.get(period, ()))
        if _done(seen.get(run_id), run, looked_for):
            continue
        counts["runs_listed"] += 1
        for page in _pages(client, f"/v2/payslips/wagerun/{run_id}"):
            _apply_page(client, connection, run, page, employees, counts)
        stamps.append(WageRunSeen(organization_id=connection.organization_id,
                                  connection=connection, wage_run_id=run_id,
                                  modified=mappers.stamp(run.get("ModifiedUtc")),
                                  locked=bool(run.get("Locked")), looked_for=looked_for,
                                  listed_at=timezone.now()))
    if stamps:
        WageRunSeen.objects.bulk_create(
            stamps, update_conflicts=True, unique_fields=["connection", "wage_run_id"],
            update_fields=["modified", "locked", "looked_for", "listed_at"])
    newly_read = _note_read_shortcuts(client, connection)
    mark_polled(connection)
    return {"payslip": {"read": counts["read"], "matched": counts["matched"],
                        "changed": counts["changed"], "runs_listed": counts["runs_listed"]},
            "shortcuts": {"newly_read": newly_read}}


def _waiting(connection, employee_ids):
    """{(first day, last day): [pk]} of our payslips of linked employees without a result."""
    waiting = {}
    for pk, first, last in (Payslip.objects.for_org(connection.organization)
                            .filter(employee_id__in=list(employee_ids),
                                    visma_payroll_result__isnull=True)
                            .values_list("pk", "period_start", "period_end")):
        waiting.setdefault((first, last), []).append(pk)
    return waiting


def _done(seen, run, looked_for) -> bool:
    """Whether a wage run needs no listing: locked, listed by us since it was locked and last
    changed, and nothing of ours in its period that we have not looked for in it."""
    return (seen is not None and bool(run.get("Locked")) and seen.locked
            and seen.modified == mappers.stamp(run.get("ModifiedUtc"))
            and set(looked_for) <= set(seen.looked_for or ()))


def _pages(client, path):
    """A paged list page by page (lists of rows)."""
    page = []
    for row in client.iterate(path):
        page.append(row)
        if len(page) >= PAGE_SIZE:
            yield page
            page = []
    if page:
        yield page


def _result_of(payslip):
    try:
        return payslip.visma_payroll_result
    except ObjectDoesNotExist:
        return None


def _apply_page(client, connection, run, rows, employees, counts):
    """One page of a wage run's payslips: match them to ours (one query), read details only
    where the change stamp moved or there is no result, write the page at once."""
    ours = {}
    local_ids = {employees.get(str(row.get("EmployeeId"))) for row in rows} - {None}
    period_ends = {mappers.api_date(row.get("SalaryPeriod_ToDate")) for row in rows} - {None}
    for payslip in (Payslip.objects.for_org(connection.organization)
                    .filter(employee_id__in=local_ids, period_end__in=period_ends)
                    .select_related("visma_payroll_result").order_by("pk")):
        ours.setdefault(payslip.employee_id, []).append(payslip)
    wanted, listed = {}, []
    for row in rows:
        local_id = employees.get(str(row.get("EmployeeId")))
        match = next((p for p in ours.get(local_id, ()) if mappers.same_period(row, p)), None)
        if match is None:
            continue
        counts["matched"] += 1
        result = _result_of(match)
        remote_id = str(row.get("Id") or "")
        if result is not None and result.remote_payslip_id not in ("", remote_id) and \
                not mappers.later(row.get("CreatedUtc"), result.remote_created):
            continue  # an earlier payslip of the same period than the one shown: keep it
        locked = bool(row.get("Locked") or row.get("LockedDate"))
        if (result is None or result.remote_payslip_id != remote_id
                or result.remote_modified != mappers.stamp(row.get("ModifiedUtc"))
                or result.payslip_locked != locked):
            wanted.setdefault(str(row.get("EmployeeId")), []).append((remote_id, match, result))
        else:
            listed.append(result)
    details = _details(client, wanted)
    counts["read"] += len(details)
    _write(connection, run, wanted, details, listed, counts)


def _details(client, wanted):
    """{payslip id: PayslipDetailedResponse} of the wanted payslips, one request per employee
    (per 500 of their payslips)."""
    details = {}
    for employee_id, items in wanted.items():
        ids = {remote_id for remote_id, _match, _result in items}
        params = {"$filter": f"Id eq '{next(iter(ids))}'"} if len(ids) == 1 else None
        for remote in client.iterate(f"/v2/payslips/{employee_id}/withdetails", params):
            if str(remote.get("Id")) in ids:
                details[str(remote.get("Id"))] = remote
    return details


def _write(connection, run, wanted, details, listed, counts):
    now = timezone.now()
    run_values = {"wage_run_id": str(run.get("Id") or ""),
                  "wage_run_locked": bool(run.get("Locked"))}
    new, update = [], []
    for items in wanted.values():
        for remote_id, match, result in items:
            remote = details.get(remote_id)
            if remote is None:  # gone between the list and the read: next poll sees
                continue
            values = {**mappers.payslip_result(remote, wage_run=run),
                      "remote_created": mappers.stamp(remote.get("CreatedUtc")),
                      "remote_modified": mappers.stamp(remote.get("ModifiedUtc"))}
            if result is None:
                new.append(PayslipResult(organization_id=connection.organization_id,
                                         connection=connection, payslip=match,
                                         fetched_at=now, **values))
            else:
                update.append((result, values))
    update += [(result, run_values) for result in listed]
    with transaction.atomic():
        if new:
            PayslipResult.objects.bulk_create(new, ignore_conflicts=True)
        changed = bulk_write(PayslipResult, update, lambda values: values) if update else []
        touched = [result.pk for result, _values in update]
        if touched:
            PayslipResult.objects.filter(pk__in=touched).update(fetched_at=now)
    counts["changed"] += len(new) + sum(changed)


def _unread(connection):
    """{shortcut kind: {remote id: (link, day)}} of our links not known as read."""
    links = list(Link.objects.filter(connection=connection,
                                     record_type__in=("time_entry", "payslip"))
                 .exclude(data__is_read=True))
    days = {}
    entry_ids = [int(k.local_id) for k in links if k.record_type == "time_entry"]
    slip_ids = [int(k.local_id) for k in links if k.record_type == "payslip"]
    if entry_ids:
        for pk, day in TimeEntry.objects.filter(pk__in=entry_ids).values_list("pk", "date"):
            days[("time_entry", str(pk))] = day
    if slip_ids:
        for pk, day in Payslip.objects.filter(pk__in=slip_ids).values_list("pk", "period_end"):
            days[("payslip", str(pk))] = day
    unread = {}
    for link in links:
        day = days.get((link.record_type, link.local_id))
        kind = (link.data or {}).get("kind")
        if day is not None and kind:
            unread.setdefault(kind, {})[link.remote_id] = (link, day)
    return unread


def _note_read_shortcuts(client, connection):
    read_now = []
    for kind, rows in _unread(connection).items():
        first = min(day for _link, day in rows.values())
        last = max(day for _link, day in rows.values())
        for remote in client.get_json(f"/v2/shortcuts/{kind}/{mappers.iso(first)}/"
                                      f"{mappers.iso(last)}",
                                      {"includeOnlySameClientShortcuts": "true"}) or []:
            found = rows.get(str(remote.get("Id")))
            if found and remote.get("IsRead"):
                read_now.append(found[0])
    for link in read_now:
        link.data = {**(link.data or {}), "is_read": True}
    if read_now:
        Link.objects.bulk_update(read_now, ["data"])
    return len(read_now)
