"""Shortcuts: the rules Spiris Lön applies to them (the spec's descriptions).

- Only a regular employee (`Type` 0) who is not a draft (`State` 1) can have shortcuts.
- Dates are `yyyy-MM-dd`; a time-shaped shortcut whose EndDate is in another month than its
  StartDate is split into one shortcut per month (the first is answered).
- The registration method decides what is required: Time needs StartTime and EndTime (HH:mm),
  Hours needs MinutesOfDay (0-1440), Percentage needs PercentOfDay (0-100).
- An addition/deduction row's PaycodeNumber must be one of `/v2/paycodes/otheradditiondeduction`;
  ASSUMED: those paycodes take Quantity and UnitPrice, and Amount (a reimbursement field) is
  refused on them.
- A shortcut is `IsRead` once a payroll administrator imported it (here: `_control/shortcuts/
  read`, or a wage run). Only unread shortcuts can be changed or deleted, and only by the client
  that created them. ASSUMED codes: 400 ErrorCode 4002 for a read shortcut, 403 ErrorCode 4007
  for another client's.
"""

import re
from datetime import timedelta

from sandbox.framework.errors import ErrorResponse
from sandbox.visma_eaccounting.errors import visma_error
from sandbox.visma_payroll import fields, store

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_GROUPS_FOR_ADDITIONS = ("Compensation", "Deduction", "Benefit", "AdjustmentTax")


def _employee(tenant, employee_id):
    record = store.get(tenant, "employee", str(employee_id or ""))
    if record is None:
        raise ErrorResponse(store.validation_error("EmployeeId", "The employee does not exist."))
    if record.data.get("Type") != 0:
        raise ErrorResponse(visma_error(400, 4002, "CanNotBeCreatedOrUpdated - Only regular "
                                                   "employees can use shortcuts; this employee "
                                                   "is a limited employee."))
    if record.data.get("State") != 1:
        raise ErrorResponse(visma_error(400, 4002, "CanNotBeCreatedOrUpdated - The employee is "
                                                   "a draft and cannot have shortcuts."))
    return record


def _check_time_fields(data):
    method = data.get("ShortcutRegistrationMethod")
    if method == fields.TIME:
        for name in ("StartTime", "EndTime"):
            if not _HHMM.match(str(data.get(name) or "")):
                raise ErrorResponse(store.validation_error(name, f"{name} must be HH:mm when "
                                                                 "registering by time."))
    elif method == fields.HOURS:
        minutes = data.get("MinutesOfDay")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 1440:
            raise ErrorResponse(store.validation_error(
                "MinutesOfDay", "MinutesOfDay must be a whole number from 0 to 1440 when "
                                "registering by hours."))
    elif method == fields.PERCENTAGE:
        percent = data.get("PercentOfDay")
        if not isinstance(percent, int | float) or not 0 <= percent <= 100:
            raise ErrorResponse(store.validation_error("PercentOfDay",
                                                       "PercentOfDay must be from 0 to 100."))
    else:
        raise ErrorResponse(store.validation_error(
            "ShortcutRegistrationMethod", "ShortcutRegistrationMethod must be 0 (Time), "
                                          "1 (Hours) or 2 (Percentage)."))
    comment = data.get("Comment")
    if comment is not None and len(str(comment)) > 2000:
        raise ErrorResponse(store.validation_error("Comment", "Comment is longer than 2000."))


def _check_rows(tenant, rows):
    if not isinstance(rows, list) or not rows:
        raise ErrorResponse(store.validation_error("Rows", "At least one row is required."))
    from sandbox.visma_payroll.seed import ensure_paycodes

    ensure_paycodes(tenant)
    codes = {r.data.get("PaycodeNumber"): r.data for r in store.records(tenant, "paycode")
             if r.data.get("_Group") in _GROUPS_FOR_ADDITIONS}
    for index, row in enumerate(rows):
        where = f"Rows[{index}]"
        number = row.get("PaycodeNumber")
        if number not in codes:
            raise ErrorResponse(store.validation_error(
                f"{where}.PaycodeNumber", f"Paycode {number} cannot be used for other "
                                          "additions and deductions."))
        if row.get("Amount") is not None:
            raise ErrorResponse(store.validation_error(
                f"{where}.Amount", f"Paycode {number} does not take an Amount; leave it empty "
                                   "and give Quantity and UnitPrice."))
        for name in ("Quantity", "UnitPrice"):
            value = row.get(name)
            if value is None or isinstance(value, bool) or not isinstance(value, int | float):
                raise ErrorResponse(store.validation_error(f"{where}.{name}",
                                                           f"{name} is required for paycode "
                                                           f"{number}."))
            if round(value, 2) != value:
                raise ErrorResponse(store.validation_error(f"{where}.{name}",
                                                           f"{name} has more than 2 decimals."))


def _month_parts(first, last):
    parts, start = [], first
    while start <= last:
        next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(last, next_month - timedelta(days=1))
        parts.append((start, end))
        start = next_month
    return parts


def _validated(tenant, kind, data):
    """[(values to store)]: one for additions, one per month for time-shaped shortcuts."""
    employee = _employee(tenant, data.get("EmployeeId"))
    data = {**data, "EmployeeId": employee.remote_id}
    if kind == "otheradditiondeduction":
        day = store.parse_date(data.get("Date"), "Date")
        _check_rows(tenant, data.get("Rows"))
        rows = [{"PaycodeNumber": r["PaycodeNumber"], "Quantity": r.get("Quantity", 0),
                 "UnitPrice": r.get("UnitPrice", 0), "Amount": 0,
                 "VatAmount": r.get("VatAmount") or 0, "ProjectId": r.get("ProjectId"),
                 **{f"CostCenterItemId{i}": r.get(f"CostCenterItemId{i}") for i in (1, 2, 3)}}
                for r in data["Rows"]]
        return [{"EmployeeId": data["EmployeeId"], "Date": store.api_date(day),
                 "Comment": data.get("Comment"), "Rows": rows}]
    first = store.parse_date(data.get("StartDate"), "StartDate")
    last = store.parse_date(data.get("EndDate"), "EndDate")
    if last < first:
        raise ErrorResponse(store.validation_error("EndDate", "EndDate is before StartDate."))
    _check_time_fields(data)
    allowed, _ = fields.SHORTCUTS[kind]
    values = {name: data.get(name) for name in allowed}
    return [{**values, "StartDate": store.api_date(start), "EndDate": store.api_date(end)}
            for start, end in _month_parts(first, last)]


def create(tenant, kind, data, *, client_id):
    return [store.create(tenant, "shortcut", {**values, "IsRead": False, "_Type": kind,
                                              "_ClientId": client_id})
            for values in _validated(tenant, kind, data)]


def replace(record, kind, data):
    values = _validated(record.tenant, kind, data)[0]
    record.data = {"Id": record.remote_id, **values, "IsRead": False, "_Type": kind,
                   "_ClientId": record.data["_ClientId"]}
    return store.save(record)


def response(record):
    return store.public(record.data)


def find(tenant, kind, shortcut_id):
    record = store.get(tenant, "shortcut", shortcut_id)
    if record is None or record.data.get("_Type") != kind:
        raise ErrorResponse(store.not_found("The shortcut"))
    return record


def check_changeable(record, client_id):
    if record.data.get("_ClientId") != client_id:
        raise ErrorResponse(visma_error(403, 4007, "PermissionDenied - The shortcut was "
                                                   "created by another client."))
    if record.data.get("IsRead"):
        raise ErrorResponse(visma_error(400, 4002, "CanNotBeCreatedOrUpdated - The shortcut "
                                                   "has been read by payroll and can no "
                                                   "longer be changed or deleted."))


def dates_of(data):
    if "Date" in data:
        day = store.parse_date(data["Date"], "Date")
        return day, day
    return store.parse_date(data["StartDate"], "StartDate"), \
        store.parse_date(data["EndDate"], "EndDate")


def between(tenant, kind, first, last, *, client_id=None):
    rows = []
    for record in store.records(tenant, "shortcut").order_by("created_at", "id"):
        if record.data.get("_Type") != kind:
            continue
        if client_id is not None and record.data.get("_ClientId") != client_id:
            continue
        start, end = dates_of(record.data)
        if start <= last and end >= first:
            rows.append(record)
    return rows
