"""Time entries (Fortnox attendance transactions) and payslips (one salary transaction per line).
Neither has a free reference field, so rows are matched on every value they carry, skipping
rows already linked to another record."""

from integrations.errors import AmbiguousError
from integrations.links import find_link, linked_remote_ids
from integrations.models import Link
from integrations.providers.base import OperationResult
from integrations.providers.fortnox import mappers
from integrations.providers.fortnox.checks import salary_codes, time_cause_code
from integrations.providers.fortnox.client import FortnoxClient
from integrations.providers.fortnox.exports import (
    ensure_employee,
    ensure_project,
    job_record,
    linked,
)


# -- time entries -------------------------------------------------------------------------------
def _time_payload(client, connection, entry):
    employee_id = ensure_employee(client, connection, entry.employee)
    project_number = ensure_project(client, connection, entry.project)
    return mappers.attendance_payload(entry, employee_id=employee_id,
                                      cause_code=time_cause_code(entry.organization),
                                      project_number=project_number)


def _find_attendance(client, connection, payload):
    body = payload["AttendanceTransaction"]
    claimed = linked_remote_ids(connection, "time_entry")
    for row in client.iterate("/3/attendancetransactions", "AttendanceTransactions",
                              {"employeeid": body["EmployeeId"], "date": body["Date"]}):
        remote_id = str(row.get("id") or row.get("Id") or "")
        if remote_id and remote_id not in claimed and mappers.attendance_matches(row, payload):
            return remote_id
    return None


def export_time_entry(provider, job):
    entry = job_record(job, validate_with=provider)
    client = FortnoxClient(provider)
    payload = _time_payload(client, job.connection, entry)
    link = find_link(job.connection, "time_entry", entry.pk)
    if link is not None:
        client.send("PUT", f"/3/attendancetransactions/{link.remote_id}", payload)
        return OperationResult(remote_id=link.remote_id, remote_number=link.remote_id)
    created = client.send("POST", "/3/attendancetransactions", payload).get(
        "AttendanceTransaction") or {}
    remote_id = str(created.get("id") or created.get("Id") or "")
    # Fortnox's answer to a create may not carry the id: look it up by its values.
    remote_id = remote_id or _find_attendance(client, job.connection, payload)
    if not remote_id:
        raise AmbiguousError("Fortnox stored the time entry but did not say under which id; "
                             "it will be found by its values on the next try.")
    return OperationResult(remote_id=remote_id, remote_number=remote_id)


def find_time_entry(provider, job):
    if linked(job):
        return None
    entry = job_record(job)
    client = FortnoxClient(provider)
    remote_id = _find_attendance(client, job.connection,
                                 _time_payload(client, job.connection, entry))
    return OperationResult(remote_id=remote_id, remote_number=remote_id) if remote_id else None


# -- payslips -----------------------------------------------------------------------------------
def export_payslip(provider, job):
    """Reconciles every time, so a payslip half sent before a 429 or a lost answer is
    completed, never doubled: rows we already own are updated, matching rows nobody owns are
    adopted, the rest created, and rows a line no longer needs deleted."""
    payslip = job_record(job, validate_with=provider)
    lines = list(payslip.lines.all())
    client = FortnoxClient(provider)
    employee_id = ensure_employee(client, job.connection, payslip.employee)
    codes, _problems = salary_codes(job.organization, [line.pay_type for line in lines])
    payloads = mappers.salary_payloads(payslip, lines, employee_id=employee_id,
                                       salary_codes=codes)
    link = find_link(job.connection, "payslip", payslip.pk)
    owned = list((link.data or {}).get("rows") or []) if link else []
    taken = set()
    for other in (Link.objects.filter(connection=job.connection, record_type="payslip")
                  .exclude(local_id=str(payslip.pk)).values_list("data", flat=True)):
        taken.update(str(row) for row in (other or {}).get("rows") or [])
    existing = [] if owned else [
        row for row in client.iterate("/3/salarytransactions", "SalaryTransactions",
                                      {"employeeid": employee_id,
                                       "date": mappers.iso(payslip.pay_date)})
        if str(row.get("SalaryRow")) not in taken]
    rows = []
    for index, payload in enumerate(payloads):
        if index < len(owned):
            client.send("PUT", f"/3/salarytransactions/{owned[index]}", payload)
            rows.append(str(owned[index]))
            continue
        match = next((r for r in existing if mappers.salary_matches(r, payload)), None)
        if match is not None:
            existing.remove(match)
            rows.append(str(match["SalaryRow"]))
            continue
        created = client.send("POST", "/3/salarytransactions", payload)["SalaryTransaction"]
        rows.append(str(created["SalaryRow"]))
    for stale in owned[len(payloads):]:
        client.request("DELETE", f"/3/salarytransactions/{stale}", expected=(200, 204, 404))
    return OperationResult(remote_id=rows[0], remote_number=f"{employee_id} {payslip.pay_date}",
                           data={"link_data": {"rows": rows}})
