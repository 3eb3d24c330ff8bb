"""The Spiris Lön API V2 as the simulator answers it (paths relative to /sandbox/visma_payroll/):

    v2/employees                         GET (paged), POST CreateEmployeeRequest -> 201
    v2/employees/<id>                    GET
    v2/shortcuts/<type>                  POST -> 201 (hoursworked, the absences,
                                         otheradditiondeduction)
    v2/shortcuts/<type>/<id>             GET, PUT (only unread, only by its client), DELETE
    v2/shortcuts/<type>/<start>/<end>    GET ?includeOnlySameClientShortcuts=
    v2/paycodes, v2/paycodes/<id>, v2/paycodes/otheradditiondeduction
    v2/wageruns, v2/wageruns/<id>
    v2/payslips/wagerun/<id>, v2/payslips/<id>, v2/payslips/<employeeId>/withdetails
"""

import uuid

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse

from sandbox.framework.errors import ErrorResponse
from sandbox.framework.jsonbody import strict_json
from sandbox.visma_eaccounting.errors import body_rejected, visma_error
from sandbox.visma_payroll import fields, shortcuts, store
from sandbox.visma_payroll.seed import ensure_paycodes
from sandbox.visma_payroll.simulator import simulator

REGULAR, LIMITED = 0, 1
DRAFT, FULL = 0, 1


def _json(data, status=200):
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _uuid(value, what):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ErrorResponse(store.not_found(what)) from None


def _required(data, names):
    missing = [name for name in names if data.get(name) in (None, "", [])]
    if missing:
        raise ErrorResponse(store.validation_error(missing[0], f"{missing[0]} is required."))


# -- employees -----------------------------------------------------------------------------------

def employee_response(record):
    return store.public(record.data)


@simulator.endpoint(methods=("GET", "POST"))
def employees(request):
    tenant = request.sandbox_tenant
    if request.method == "GET":
        rows = [employee_response(r) for r in store.records(tenant, "employee")]
        return _json(store.page(request, rows))
    data = strict_json(request, fields.CREATE_EMPLOYEE, rejected=body_rejected)
    _required(data, fields.CREATE_EMPLOYEE_REQUIRED)
    contract = data.get("Contract") or {}
    if not isinstance(contract, dict) or contract.get("SalaryType") not in (1, 2):
        raise ErrorResponse(store.validation_error("Contract.SalaryType",
                                                   "SalaryType must be 1 (Monthly) or 2 (Hourly)."))
    identification = "".join(ch for ch in str(data["IdentificationNumber"]) if ch.isdigit())
    if len(identification) not in (10, 12):
        raise ErrorResponse(store.validation_error(
            "IdentificationNumber", "IdentificationNumber must be a personal identity or "
                                    "coordination number (10 or 12 digits)."))
    existing = [r.data for r in store.records(tenant, "employee")]
    number = data.get("EmployeeNumber") or str(max(
        [int(e["EmployeeNumber"]) for e in existing if str(e.get("EmployeeNumber")).isdigit()]
        or [0]) + 1)
    for other in existing:
        if str(other.get("EmployeeNumber")) == str(number):
            raise ErrorResponse(visma_error(400, 4000, "Conflict - An employee with employee "
                                                       f"number {number} already exists."))
        if "".join(ch for ch in str(other.get("IdentificationNumber")) if ch.isdigit()) \
                == identification:
            raise ErrorResponse(visma_error(400, 4000, "Conflict - An employee with this "
                                                       "identification number already exists."))
    # Both numbers are claimed under the records' unique constraint, so of two requests at
    # once only one creates the employee; the other answers the same 4000 Conflict.
    _claim(tenant, "employee#number", number,
           f"Conflict - An employee with employee number {number} already exists.")
    _claim(tenant, "employee#identification", identification,
           "Conflict - An employee with this identification number already exists.")
    now = store.now_utc()
    record = store.create(tenant, "employee", {
        "FirstName": data["FirstName"], "LastName": data["LastName"],
        "IdentificationNumber": data["IdentificationNumber"], "EmployeeNumber": str(number),
        "PhoneMobile": data.get("PhoneMobile"), "PhoneWork": None,
        "EmailWork": data.get("EmailWork"), "PrimaryAddress": None, "SecondaryAddress": None,
        "City": None, "Zip": None, "Country": None,
        # ASSUMED: an employee made through the API is complete enough for shortcuts.
        "HolidayAgreementNumber": 0, "UsesPayslip": True,
        "UsesWorkingTimeAccountOrReserve": contract.get("TimeReserveType") is not None,
        "EmployeeCategory": contract.get("EmployeeCategory"),
        "SalaryType": contract["SalaryType"], "Type": REGULAR, "State": FULL,
        "ContractEndDate": contract.get("ContractEndDate"), "LastLockedDeviationDate": None,
        "ModifiedUtc": now, "CreatedUtc": now, "UsesVLA": bool(contract.get("UsesVLA")),
        "UsesVLAFromDate": contract.get("UsesVLAFromDate"),
        "Contract": {"Id": str(uuid.uuid4()), "EmployeeCategory": contract.get(
            "EmployeeCategory"), "SalaryType": contract["SalaryType"],
                     "ContractStartDate": contract.get("ContractStartDate"),
                     "ContractEndDate": contract.get("ContractEndDate"),
                     "UsesVLAFromDate": contract.get("UsesVLAFromDate"),
                     "UsesVLA": bool(contract.get("UsesVLA")), "ModifiedUtc": now,
                     "CreatedUtc": now},
        "_MonthlySalary": 0, "_HourlyRate": 0,
    })
    return _json(employee_response(record), status=201)


@simulator.endpoint()
def employee(request, employee_id):
    record = store.get_or_404(request.sandbox_tenant, "employee",
                              _uuid(employee_id, "The employee"), "The employee")
    data = employee_response(record)
    data.pop("Contract", None)
    data.update({"EmployeeAgreements": [], "EmployeeWorkingSchedules": []})
    return _json(data)


# -- shortcuts -----------------------------------------------------------------------------------

def _shortcut_type(kind):
    if kind not in fields.SHORTCUTS:
        raise ErrorResponse(store.not_found(f"The shortcut type {kind}"))
    return kind


@simulator.endpoint(methods=("POST",))
def shortcut_collection(request, kind):
    kind = _shortcut_type(kind)
    allowed, required = fields.SHORTCUTS[kind]
    data = strict_json(request, allowed, rejected=body_rejected)
    _required(data, required)
    records = shortcuts.create(request.sandbox_tenant, kind, data,
                               client_id=request.sandbox_token.client_id)
    return _json(shortcuts.response(records[0]), status=201)


@simulator.endpoint(methods=("GET", "PUT", "DELETE"))
def shortcut_item(request, kind, shortcut_id):
    kind = _shortcut_type(kind)
    tenant = request.sandbox_tenant
    record = shortcuts.find(tenant, kind, _uuid(shortcut_id, "The shortcut"))
    if request.method == "GET":
        return _json(shortcuts.response(record))
    shortcuts.check_changeable(record, request.sandbox_token.client_id)
    if request.method == "DELETE":
        record.delete()
        return HttpResponse(status=200)
    allowed, required = fields.SHORTCUTS[kind]
    data = strict_json(request, allowed, rejected=body_rejected)
    _required(data, required)
    return _json(shortcuts.response(shortcuts.replace(record, kind, data)))


@simulator.endpoint()
def shortcut_range(request, kind, start, end):
    kind = _shortcut_type(kind)
    first, last = store.parse_date(start, "startDate"), store.parse_date(end, "endDate")
    only_ours = request.GET.get("includeOnlySameClientShortcuts", "false").lower() == "true"
    rows = shortcuts.between(request.sandbox_tenant, kind, first, last,
                             client_id=request.sandbox_token.client_id if only_ours else None)
    return _json([shortcuts.response(r) for r in rows])


# -- pay codes, wage runs, payslips ---------------------------------------------------------------

@simulator.endpoint()
def paycodes(request):
    ensure_paycodes(request.sandbox_tenant)
    rows = [store.public(r.data) for r in store.records(request.sandbox_tenant, "paycode")]
    return _json(store.page(request, rows))


@simulator.endpoint()
def paycode(request, paycode_id):
    ensure_paycodes(request.sandbox_tenant)
    record = store.get_or_404(request.sandbox_tenant, "paycode",
                              _uuid(paycode_id, "The paycode"), "The paycode")
    return _json(store.public(record.data))


@simulator.endpoint()
def addition_deduction_paycodes(request):
    ensure_paycodes(request.sandbox_tenant)
    groups = {"CompensationPaycodes": [], "DeductionPaycodes": [], "BenefitPaycodes": [],
              "AdjustmentTaxPaycodes": []}
    for record in store.records(request.sandbox_tenant, "paycode"):
        group = f"{record.data.get('_Group')}Paycodes"
        if group in groups:
            groups[group].append(store.public(record.data))
    return _json(groups)


@simulator.endpoint()
def wageruns(request):
    rows = [store.public(r.data) for r in
            store.records(request.sandbox_tenant, "wagerun").order_by("created_at", "id")]
    return _json(store.page(request, rows))


@simulator.endpoint()
def wagerun(request, wagerun_id):
    record = store.get_or_404(request.sandbox_tenant, "wagerun",
                              _uuid(wagerun_id, "The wage run"), "The wage run")
    return _json(store.public(record.data))


_SUMMARY = ("Id", "EmployeeId", "SalaryPeriod_ToDate", "SalaryPeriod_FromDate",
            "DeviationPeriod_ToDate", "CreatedUtc", "ModifiedUtc", "LockedDate")


def _summary(data):
    return {**{k: data.get(k) for k in _SUMMARY}, "Locked": data.get("LockedDate") is not None}


@simulator.endpoint()
def payslips_of_wagerun(request, wagerun_id):
    run = store.get_or_404(request.sandbox_tenant, "wagerun",
                           _uuid(wagerun_id, "The wage run"), "The wage run")
    rows = [_summary(r.data) for r in store.records(request.sandbox_tenant, "payslip")
            .filter(data___WageRunId=run.remote_id).order_by("created_at", "id")]
    return _json(store.page(request, rows))


@simulator.endpoint()
def payslip(request, payslip_id):
    record = store.get_or_404(request.sandbox_tenant, "payslip",
                              _uuid(payslip_id, "The payslip"), "The payslip")
    return _json(_summary(record.data))


@simulator.endpoint()
def payslips_with_details(request, employee_id):
    employee_id = _uuid(employee_id, "The employee")
    store.get_or_404(request.sandbox_tenant, "employee", employee_id, "The employee")
    rows = [store.public(r.data) for r in store.records(request.sandbox_tenant, "payslip")
            .filter(data__EmployeeId=employee_id).order_by("created_at", "id")]
    return _json(store.page(request, rows))


def _claim(tenant, kind, value, message):
    try:
        with transaction.atomic():
            store.create(tenant, kind, {}, remote_id=str(value))
    except IntegrityError:
        raise ErrorResponse(visma_error(400, 4000, message)) from None
