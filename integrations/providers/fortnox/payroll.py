"""Time entries (Fortnox attendance transactions for worked hours, absence transactions for
an absence) and payslips (one salary transaction per line). None has a free reference field,
so rows are matched on every value they carry, skipping rows already linked to another
record."""

from collections.abc import Callable
from dataclasses import dataclass

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
)


# -- time entries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transactions:
    """One of the two Fortnox resources a time entry can become. Its `name` is kept in the
    link's data, so that an entry whose kind changed is found where it was sent."""

    name: str
    path: str
    wrapper: str
    plural: str
    payload: Callable  # (entry, employee_id=, cause_code=, project_number=) -> payload
    matches: Callable  # (remote row, payload) -> bool

    def find(self, client, connection, payload):
        """An unclaimed row with exactly the payload's values, or None."""
        body = payload[self.wrapper]
        claimed = linked_remote_ids(connection, "time_entry")
        for row in client.iterate(self.path, self.plural,
                                  {"employeeid": body["EmployeeId"], "date": body["Date"]}):
            remote_id = str(row.get("id") or row.get("Id") or "")
            if remote_id and remote_id not in claimed and self.matches(row, payload):
                return remote_id
        return None

    def result(self, remote_id):
        return OperationResult(remote_id=remote_id, remote_number=remote_id,
                               data={"link_data": {"transaction": self.name}})


ATTENDANCE = Transactions("attendance", "/3/attendancetransactions", "AttendanceTransaction",
                          "AttendanceTransactions", mappers.attendance_payload,
                          mappers.attendance_matches)
ABSENCE = Transactions("absence", "/3/absencetransactions", "AbsenceTransaction",
                       "AbsenceTransactions", mappers.absence_payload, mappers.absence_matches)
# Links made before absences were sent carry no name: they are attendance.
TRANSACTIONS = {"": ATTENDANCE, ATTENDANCE.name: ATTENDANCE, ABSENCE.name: ABSENCE}


def _transactions(entry):
    return ABSENCE if entry.absence_kind else ATTENDANCE


def _linked_transactions(link):
    return TRANSACTIONS.get((link.data or {}).get("transaction", ""), ATTENDANCE)


def _time_payload(client, connection, entry):
    employee_id = ensure_employee(client, connection, entry.employee)
    project_number = ensure_project(client, connection, entry.project)
    return _transactions(entry).payload(
        entry, employee_id=employee_id,
        cause_code=time_cause_code(entry.organization, entry.absence_kind),
        project_number=project_number)


def export_time_entry(provider, job):
    """Create the transaction, or update the linked one. An entry that became an absence (or
    worked time again) moves, as Fortnox keeps the two apart: the old transaction is deleted
    and one of the new kind created (a lost answer to that create is found by its values,
    see `find_time_entry`)."""
    entry = job_record(job, validate_with=provider)
    client = FortnoxClient(provider)
    kind = _transactions(entry)
    payload = _time_payload(client, job.connection, entry)
    link = find_link(job.connection, "time_entry", entry.pk)
    if link is not None:
        was = _linked_transactions(link)
        if was is kind:
            client.send("PUT", f"{kind.path}/{link.remote_id}", payload)
            return kind.result(link.remote_id)
        client.request("DELETE", f"{was.path}/{link.remote_id}", expected=(200, 204, 404))
    created = client.send("POST", kind.path, payload).get(kind.wrapper) or {}
    remote_id = str(created.get("id") or created.get("Id") or "")
    # Fortnox's answer to a create may not carry the id: look it up by its values.
    remote_id = remote_id or kind.find(client, job.connection, payload)
    if not remote_id:
        raise AmbiguousError("Fortnox stored the time entry but did not say under which id; "
                             "it will be found by its values on the next try.")
    return kind.result(remote_id)


def find_time_entry(provider, job):
    """After an unknown outcome: the transaction an earlier attempt created. A linked entry
    of the same kind is updated again (harmless); one that was moving to the other kind is
    looked for there, since its link still names the old transaction."""
    entry = job_record(job)
    kind = _transactions(entry)
    link = find_link(job.connection, "time_entry", entry.pk)
    if link is not None and _linked_transactions(link) is kind:
        return None
    client = FortnoxClient(provider)
    remote_id = kind.find(client, job.connection, _time_payload(client, job.connection, entry))
    return kind.result(remote_id) if remote_id else None


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
