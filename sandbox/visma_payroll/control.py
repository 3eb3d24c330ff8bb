"""What a payroll administrator does in Spiris Lön by hand, as JSON control endpoints for tests
and demos (under /sandbox/visma_payroll/_control/, the framework's plain JSON shape):

    POST shortcuts/read  {"tenant", "ids"?}          mark shortcuts read (all of the company's
                                                     unread ones when no ids), as importing
                                                     them into a pay run does
    POST wageruns        {"tenant", "from", "to", "payment_date"?, "lock"?, "description"?}
                                                     run a wage run from the period's shortcuts
    POST wageruns/lock   {"tenant", "id"}            lock a wage run and its payslips
    POST employees       {"tenant", <EmployeeResponse fields>..., "MonthlySalary"?,
                          "HourlyRate"?}             add an employee (e.g. a limited one, or one
                                                     typed in before the hub was connected), or
                                                     with "Id" set a salary on an existing one
"""

import json
from datetime import date

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sandbox.visma_eaccounting import identity
from sandbox.visma_payroll import store, wagerun

_EMPLOYEE_FIELDS = ("FirstName", "LastName", "IdentificationNumber", "EmployeeNumber",
                    "EmailWork", "SalaryType", "EmployeeCategory", "Type", "State")


def _bad(errors, status=400):
    return JsonResponse({"errors": errors}, status=status)


def _body_and_tenant(request):
    if request.content_type != "application/json":
        return None, None, _bad({"content_type": "must be application/json"}, 415)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None, None, _bad({"body": "not valid JSON"})
    if not isinstance(body, dict):
        return None, None, _bad({"body": "must be a JSON object"})
    tenant = identity.company(body.get("tenant", ""))
    if tenant is None:
        return None, None, _bad({"tenant": "no Visma company with this customer id"}, 404)
    return body, tenant, None


def _day(body, name, errors, default=None):
    value = body.get(name, default)
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = "must be a date (YYYY-MM-DD)"
        return None


@csrf_exempt
@require_POST
def mark_read(request):
    body, tenant, refused = _body_and_tenant(request)
    if refused:
        return refused
    ids = body.get("ids")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        return _bad({"ids": "must be a list of shortcut ids"})
    marked = []
    for record in store.records(tenant, "shortcut"):
        if (ids is None or record.remote_id in ids) and not record.data.get("IsRead"):
            record.data["IsRead"] = True
            store.save(record)
            marked.append(record.remote_id)
    return JsonResponse({"read": marked})


@csrf_exempt
@require_POST
def run_wagerun(request):
    body, tenant, refused = _body_and_tenant(request)
    if refused:
        return refused
    errors = {}
    first, last = _day(body, "from", errors), _day(body, "to", errors)
    paid = _day(body, "payment_date", errors, default=body.get("to"))
    if first and last and last < first:
        errors["to"] = "must not be before from"
    if errors:
        return _bad(errors)
    record = wagerun.run(tenant, first=first, last=last, payment_date=paid,
                         lock=bool(body.get("lock")), description=str(body.get("description")
                                                                      or ""))
    return JsonResponse(store.public(record.data), status=201)


@csrf_exempt
@require_POST
def lock_wagerun(request):
    body, tenant, refused = _body_and_tenant(request)
    if refused:
        return refused
    record = store.get(tenant, "wagerun", str(body.get("id", "")))
    if record is None:
        return _bad({"id": "no such wage run"}, 404)
    return JsonResponse(store.public(wagerun.lock(tenant, record).data))


@csrf_exempt
@require_POST
def employees(request):
    body, tenant, refused = _body_and_tenant(request)
    if refused:
        return refused
    extra = {"_MonthlySalary": body.get("MonthlySalary", 0),
             "_HourlyRate": body.get("HourlyRate", 0)}
    if body.get("Id"):
        record = store.get(tenant, "employee", str(body["Id"]))
        if record is None:
            return _bad({"Id": "no such employee"}, 404)
        record.data.update({k: v for k, v in extra.items() if k[1:] in body})
        store.save(record)
        return JsonResponse(store.public(record.data))
    missing = [name for name in ("FirstName", "LastName", "IdentificationNumber",
                                 "EmployeeNumber") if not body.get(name)]
    if missing:
        return _bad({name: "required" for name in missing})
    now = store.now_utc()
    values = {"SalaryType": 1, "EmployeeCategory": 1, "Type": 0, "State": 1,
              **{k: body[k] for k in _EMPLOYEE_FIELDS if k in body}}
    record = store.create(tenant, "employee", {
        **values, "EmployeeNumber": str(values["EmployeeNumber"]), "HolidayAgreementNumber": 0,
        "UsesPayslip": True, "ModifiedUtc": now, "CreatedUtc": now, **extra})
    return JsonResponse(store.public(record.data), status=201)
