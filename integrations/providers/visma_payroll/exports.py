"""The `<record_type>.export` operations: employees (`POST /v2/employees`), time entries
(`hoursworked` or absence shortcuts) and payslips (`otheradditiondeduction` shortcuts), and
what an earlier attempt with an unknown outcome left behind.

Exactly one remote object per record, without idempotency keys:
- employees are found by our employee number or their personal number before one is created
  (and after a "Conflict"), so one typed into Spiris Lön before we connected is linked, never
  doubled;
- shortcuts carry our reference at the end of their `Comment`; after an unknown outcome the
  day's shortcuts of our own client are listed and the one with our reference adopted.

A shortcut can be changed only while payroll has not read it (`IsRead`), and only by the client
that made it: a change after that is refused with a message that says so, before anything is
sent.
"""

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.errors import PermanentError
from integrations.links import find_link, linked_remote_ids, local_record, store_link
from integrations.models import Connection, Link
from integrations.providers.base import OperationResult
from integrations.providers.visma_payroll import checks, mappers
from integrations.providers.visma_payroll.client import READ_BY_PAYROLL, VismaPayrollClient

EACCOUNTING = "visma_eaccounting"  # the sibling product whose project ids shortcuts take

RECORDS = {
    "employee": ("Employee", (), "employee"),
    "time_entry": ("TimeEntry", ("employee", "project"), "time entry"),
    "payslip": ("Payslip", ("employee",), "payslip"),
}


def job_record(job, *, validate_with=None):
    model_name, related, label = RECORDS[job.record_type]
    model = apps.get_model("accounting", model_name)
    record = local_record(model.objects.select_related(*related), job.organization,
                          job.local_id, label=label)
    if validate_with is not None:
        checks.check(validate_with, job.record_type, record)
    return record


def linked(job):
    return find_link(job.connection, job.record_type, job.local_id) is not None


def rebuilt(exc, message):
    return PermanentError(message, status_code=exc.status_code, code=exc.code, raw=exc.raw,
                          raw_text=exc.raw_text)


def save_link_data(provider, job, result):
    """on_success: keep what the link needs later (employee type and state, shortcut kind)."""
    Link.objects.filter(connection=job.connection, record_type=job.record_type,
                        local_id=job.local_id).update(data=result.data.get("link_data") or {},
                                                      remote_modified_at=timezone.now())


# -- employees ------------------------------------------------------------------------------------
def _employee_result(remote):
    return OperationResult(remote_id=str(remote["Id"]),
                           remote_number=str(remote.get("EmployeeNumber") or ""),
                           data={"link_data": mappers.employee_state(remote)})


def find_remote_employee(client, connection, employee):
    """The Spiris Lön employee that is ours (same number or personal number), or None. A
    number taken by someone with another personal number is an error, never a match."""
    taken = linked_remote_ids(connection, "employee")
    own = find_link(connection, "employee", employee.pk)
    for remote in client.iterate("/v2/employees"):
        why = mappers.same_employee(remote, employee)
        if not why:
            continue
        if str(remote.get("Id")) in taken and not (own and own.remote_id == str(remote["Id"])):
            continue
        ours = mappers.digits(employee.personal_identity_number)[-10:]
        theirs = mappers.digits(remote.get("IdentificationNumber"))[-10:]
        if why == "number" and ours and theirs and ours != theirs:
            raise PermanentError(_(
                "Employee number %(number)s is already used in Spiris Lön by %(name)s, who has "
                "another personal number. Give one of them another employee number.") % {
                "number": employee.employee_number,
                "name": f"{remote.get('FirstName', '')} {remote.get('LastName', '')}".strip()})
        return remote
    return None


def upsert_employee(client, connection, employee):
    link = find_link(connection, "employee", employee.pk)
    if link is not None:
        # Spiris Lön has no API to change an employee: read it, so the link's state is fresh.
        return _employee_result(client.get_json(f"/v2/employees/{link.remote_id}"))
    existing = find_remote_employee(client, connection, employee)
    if existing is not None:
        return _employee_result(existing)
    try:
        created = client.send("POST", "/v2/employees", mappers.employee_payload(employee))
    except PermanentError as exc:
        if exc.code != "4000":
            raise
        existing = find_remote_employee(client, connection, employee)
        if existing is None:
            raise
        return _employee_result(existing)
    return _employee_result(created)


def export_employee(provider, job):
    employee = job_record(job, validate_with=provider)
    return upsert_employee(VismaPayrollClient(provider), job.connection, employee)


def find_employee(provider, job):
    if linked(job):
        return None
    employee = job_record(job)
    remote = find_remote_employee(VismaPayrollClient(provider), job.connection, employee)
    return _employee_result(remote) if remote else None


def regular_employee_id(client, connection, employee):
    """The Spiris Lön id of an employee who can have shortcuts, sending the employee first when
    it is new. A limited or draft employee is a clear, permanent error."""
    link = find_link(connection, "employee", employee.pk)
    if link is None:
        result = upsert_employee(client, connection, employee)
        link = store_link(connection, "employee", employee.pk, result.remote_id,
                          remote_number=result.remote_number,
                          data=result.data["link_data"], remote_modified_at=timezone.now())
    state = link.data or {}
    if state.get("type") == mappers.REGULAR and state.get("state") == mappers.FULL:
        return link.remote_id
    # Not (known to be) regular and complete: ask again, it may have been changed in Spiris Lön.
    remote = client.get_json(f"/v2/employees/{link.remote_id}")
    Link.objects.filter(pk=link.pk).update(data=mappers.employee_state(remote))
    if remote.get("Type") == mappers.LIMITED:
        raise PermanentError(_(
            "%(name)s is a limited employee in Spiris Lön, and only regular employees can "
            "receive time and salary lines (shortcuts). Make them a regular employee in Spiris "
            "Lön (Personal -> Anställning), then send again.") % {"name": employee})
    if remote.get("State") != mappers.FULL:
        raise PermanentError(_(
            "%(name)s is still a draft in Spiris Lön (details are missing), and drafts cannot "
            "receive time and salary lines. Complete the employee in Spiris Lön, then send "
            "again.") % {"name": employee})
    return link.remote_id


# -- shortcuts (shared by time entries and payslips) ----------------------------------------------
def read_message(what):
    return _("Payroll has already read this %(what)s in Spiris Lön (it is in a pay run), so it "
             "can no longer be changed from here. Make the correction in Spiris Lön, or "
             "register a new entry for the difference.") % {"what": what}


def _shortcut_result(remote, kind):
    return OperationResult(remote_id=str(remote["Id"]), remote_number=str(remote["Id"])[:8],
                           data={"link_data": {"kind": kind,
                                               "is_read": bool(remote.get("IsRead"))}})


def send_shortcut(client, link, kind, payload, *, what):
    """Create the shortcut, or replace the linked one while payroll has not read it."""
    if link is None:
        return _shortcut_result(client.send("POST", f"/v2/shortcuts/{kind}", payload), kind)
    old_kind = (link.data or {}).get("kind") or kind
    path = f"/v2/shortcuts/{old_kind}/{link.remote_id}"
    current = client.request("GET", path, expected=(200, 404)).json()
    if current.get("IsRead"):
        Link.objects.filter(pk=link.pk).update(data={**(link.data or {}), "is_read": True})
        raise PermanentError(read_message(what), code=str(READ_BY_PAYROLL))
    if "Id" not in current or old_kind != kind:
        # Deleted in Spiris Lön, or it became another kind of entry: send it anew.
        if "Id" in current:
            client.request("DELETE", path, expected=(200, 204, 404))
        return _shortcut_result(client.send("POST", f"/v2/shortcuts/{kind}", payload), kind)
    try:
        return _shortcut_result(client.send("PUT", path, payload), kind)
    except PermanentError as exc:
        if exc.code == str(READ_BY_PAYROLL):  # read between our GET and the PUT
            raise rebuilt(exc, read_message(what)) from None
        raise


def find_shortcut(client, connection, record_type, kind, day, reference):
    claimed = linked_remote_ids(connection, record_type)
    rows = client.get_json(f"/v2/shortcuts/{kind}/{mappers.iso(day)}/{mappers.iso(day)}",
                           {"includeOnlySameClientShortcuts": "true"})
    for row in rows or []:
        if str(row.get("Id")) not in claimed and mappers.carries_reference(row.get("Comment"),
                                                                           reference):
            return _shortcut_result(row, kind)
    return None


def eaccounting_project_id(organization, project):
    """The project's id in Visma eAccounting, when the organization is connected there and the
    project is linked (shortcuts take eAccounting's ids)."""
    if project is None:
        return ""
    connection = (Connection.objects.for_org(organization).filter(provider=EACCOUNTING)
                  .first())
    link = find_link(connection, "project", project.pk) if connection else None
    return link.remote_id if link and mappers.is_uuid(link.remote_id) else ""


# -- time entries ---------------------------------------------------------------------------------
def _time_shortcut(client, job, entry):
    employee_id = regular_employee_id(client, job.connection, entry.employee)
    payload = mappers.time_payload(
        entry, employee_id=employee_id, reference=job.external_reference,
        project_id=eaccounting_project_id(job.organization, entry.project))
    return mappers.shortcut_kind(entry), payload


def export_time_entry(provider, job):
    entry = job_record(job, validate_with=provider)
    client = VismaPayrollClient(provider)
    kind, payload = _time_shortcut(client, job, entry)
    return send_shortcut(client, find_link(job.connection, "time_entry", entry.pk), kind,
                         payload, what=_("time entry"))


def find_time_entry(provider, job):
    if linked(job):
        return None
    entry = job_record(job)
    client = VismaPayrollClient(provider)
    kind, _payload = _time_shortcut(client, job, entry)
    return find_shortcut(client, job.connection, "time_entry", kind, entry.date,
                         job.external_reference)


# -- payslips -------------------------------------------------------------------------------------
def _salary_shortcut(client, job, payslip):
    lines = list(payslip.lines.all())
    codes, _problems = checks.pay_codes(job.organization, [line.pay_type for line in lines])
    employee_id = regular_employee_id(client, job.connection, payslip.employee)
    return mappers.salary_payload(payslip, lines, employee_id=employee_id, paycodes=codes,
                                  reference=job.external_reference)


def export_payslip(provider, job):
    payslip = job_record(job, validate_with=provider)
    client = VismaPayrollClient(provider)
    payload = _salary_shortcut(client, job, payslip)
    return send_shortcut(client, find_link(job.connection, "payslip", payslip.pk),
                         mappers.ADDITION_DEDUCTION, payload, what=_("payslip"))


def find_payslip(provider, job):
    if linked(job):
        return None
    payslip = job_record(job)
    client = VismaPayrollClient(provider)
    _salary_shortcut(client, job, payslip)
    return find_shortcut(client, job.connection, "payslip", mappers.ADDITION_DEDUCTION,
                         payslip.period_end, job.external_reference)
