"""Payroll results back: Spiris Lön's wage runs and payslips, read on a schedule, so each of our
payslips shows its gross, net and tax and whether its wage run is locked (`PayslipResult`).

One poll reads the wage runs (`GET /v2/wageruns`, paged; a run lists its payslip ids and says
whether it is locked) and, for each linked employee who has payslips here, that employee's
payslips with details (`GET /v2/payslips/{employeeId}/withdetails`: gross, net, preliminary
tax). A Spiris Lön payslip is ours when it is the same employee's and covers the same salary
period. Requests: one per 500 wage runs plus one per such employee; all writes in one
transaction after the reading is done (no HTTP inside it).

The same poll notes which of our shortcuts payroll has read (`IsRead`), so a time entry's page
can say that changes are no longer sent: one range request per shortcut kind that still has
unread links (`GET /v2/shortcuts/<kind>/<first>/<last>?includeOnlySameClientShortcuts=true`).
"""

from django.db import transaction
from django.utils import timezone

from accounting.models import Payslip, TimeEntry
from integrations.inbound import mark_polled
from integrations.models import Link
from integrations.providers.visma_payroll import mappers
from integrations.providers.visma_payroll.client import VismaPayrollClient
from integrations.providers.visma_payroll.models import PayslipResult


def poll(provider, *, record_types=None, since=None):
    if record_types is not None and "payslip" not in record_types:
        return {}
    connection = provider.connection
    client = VismaPayrollClient(provider)
    runs = {}
    for run in client.iterate("/v2/wageruns"):
        for payslip_id in run.get("PayslipIds") or []:
            runs[str(payslip_id)] = run
    employees = dict(Link.objects.filter(connection=connection, record_type="employee")
                     .values_list("local_id", "remote_id"))
    ours = {}
    for payslip in (Payslip.objects.for_org(connection.organization)
                    .filter(employee_id__in=[int(i) for i in employees if i.isdigit()])):
        ours.setdefault(str(payslip.employee_id), []).append(payslip)
    found, read = {}, 0
    for local_id, remote_employee_id in employees.items():
        if local_id not in ours:
            continue
        for remote in client.iterate(f"/v2/payslips/{remote_employee_id}/withdetails"):
            read += 1
            match = next((p for p in ours[local_id] if mappers.same_period(remote, p)), None)
            if match is not None:
                found[match.pk] = mappers.payslip_result(
                    remote, wage_run=runs.get(str(remote.get("Id"))))
    changed = _store(connection, found)
    newly_read = _note_read_shortcuts(client, connection)
    mark_polled(connection)
    return {"payslip": {"read": read, "matched": len(found), "changed": changed},
            "shortcuts": {"newly_read": newly_read}}


def _unread(connection):
    """{shortcut kind: {remote id: (link pk, link data, day)}} of our links not known as read."""
    links = list(Link.objects.filter(connection=connection,
                                     record_type__in=("time_entry", "payslip"))
                 .exclude(data__is_read=True))
    days = {}
    entry_ids = [int(k.local_id) for k in links if k.record_type == "time_entry"]
    slip_ids = [int(k.local_id) for k in links if k.record_type == "payslip"]
    for pk, day in TimeEntry.objects.filter(pk__in=entry_ids).values_list("pk", "date"):
        days[("time_entry", str(pk))] = day
    for pk, day in Payslip.objects.filter(pk__in=slip_ids).values_list("pk", "period_end"):
        days[("payslip", str(pk))] = day
    unread = {}
    for link in links:
        day = days.get((link.record_type, link.local_id))
        kind = (link.data or {}).get("kind")
        if day is not None and kind:
            unread.setdefault(kind, {})[link.remote_id] = (link.pk, link.data or {}, day)
    return unread


def _note_read_shortcuts(client, connection):
    read_now = []
    for kind, rows in _unread(connection).items():
        first = min(day for _pk, _data, day in rows.values())
        last = max(day for _pk, _data, day in rows.values())
        for remote in client.get_json(f"/v2/shortcuts/{kind}/{mappers.iso(first)}/"
                                      f"{mappers.iso(last)}",
                                      {"includeOnlySameClientShortcuts": "true"}) or []:
            found = rows.get(str(remote.get("Id")))
            if found and remote.get("IsRead"):
                read_now.append(found)
    with transaction.atomic():
        for pk, data, _day in read_now:
            Link.objects.filter(pk=pk).update(data={**data, "is_read": True})
    return len(read_now)


def _store(connection, found):
    now, changed = timezone.now(), 0
    with transaction.atomic():
        existing = {r.payslip_id: r for r in PayslipResult.objects.select_for_update()
                    .filter(connection=connection, payslip_id__in=list(found))}
        for payslip_id, values in found.items():
            row = existing.get(payslip_id)
            if row is None:
                PayslipResult.objects.create(organization_id=connection.organization_id,
                                             connection=connection, payslip_id=payslip_id,
                                             fetched_at=now, **values)
                changed += 1
                continue
            if any(getattr(row, name) != value for name, value in values.items()):
                changed += 1
            for name, value in values.items():
                setattr(row, name, value)
            row.fetched_at = now
            row.save()
    return changed
