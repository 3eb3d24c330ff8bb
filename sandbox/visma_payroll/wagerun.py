"""A wage run, as a payroll administrator runs one in Spiris Lön (the API cannot: it only reads
them): the period's shortcuts are read (`IsRead`), and each regular employee gets a payslip.

How the simulator computes a payslip (ASSUMED, simple enough to check by hand): gross = the
employee's monthly salary (`_MonthlySalary`, set with `_control/employees`) + hours worked x
`_HourlyRate` for hourly employees + every addition row (Quantity x UnitPrice) - every
deduction row; preliminary tax = 30 % of gross, rounded to whole kronor; net = gross - tax.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sandbox.visma_payroll import shortcuts, store

TAX_RATE = Decimal("0.30")
CENT = Decimal("0.01")
ORDINARY = 1


def _money(value):
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _gross(tenant, employee, records):
    deductions = {r.data.get("PaycodeNumber") for r in store.records(tenant, "paycode")
                  if r.data.get("_Group") == "Deduction"}
    gross = _money(employee.data.get("_MonthlySalary"))
    hourly = employee.data.get("SalaryType") == 2
    for record in records:
        data = record.data
        if data.get("_Type") == "hoursworked" and hourly:
            hours = Decimal(data.get("MinutesOfDay") or 0) / 60
            gross += _money(hours * _money(employee.data.get("_HourlyRate")))
        for row in data.get("Rows") or []:
            amount = _money(Decimal(str(row.get("Quantity") or 0))
                            * Decimal(str(row.get("UnitPrice") or 0)))
            gross += -amount if row.get("PaycodeNumber") in deductions else amount
    return gross


def run(tenant, *, first: date, last: date, payment_date: date, lock=False,
        description=""):
    """Run one ordinary wage run for [first, last]; returns the wage run record."""
    now = store.now_utc()
    in_period = [r for r in store.records(tenant, "shortcut").order_by("id")
                 if shortcuts.dates_of(r.data)[0] <= last
                 and shortcuts.dates_of(r.data)[1] >= first]
    run_record = store.create(tenant, "wagerun", {})
    payslip_ids, totals = [], {"gross": Decimal(0), "net": Decimal(0), "tax": Decimal(0)}
    for employee in store.records(tenant, "employee").order_by("id"):
        if employee.data.get("Type") != 0 or employee.data.get("State") != 1:
            continue
        own = [r for r in in_period if r.data.get("EmployeeId") == employee.remote_id]
        if not own and not employee.data.get("_MonthlySalary"):
            continue
        gross = _gross(tenant, employee, own)
        tax = (gross * TAX_RATE).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        net = gross - tax
        payslip = store.create(tenant, "payslip", {
            "EmployeeId": employee.remote_id, "SalaryPeriod_FromDate": store.api_date(first),
            "SalaryPeriod_ToDate": store.api_date(last),
            "DeviationPeriod_ToDate": store.api_date(last), "CreatedUtc": now,
            "ModifiedUtc": now, "LockedDate": now if lock else None,
            "GrossSalary": float(gross), "NetSalary": float(net), "PreliminaryTax": float(tax),
            "PaymentDateUtc": store.api_date(payment_date), "WageRunType": ORDINARY,
            "_WageRunId": run_record.remote_id,
        })
        payslip_ids.append(payslip.remote_id)
        totals["gross"] += gross
        totals["net"] += net
        totals["tax"] += tax
        for record in own:
            record.data["IsRead"] = True
            store.save(record)
    run_record.data.update({
        "Description": description or f"Lönekörning {first:%Y-%m}", "CreatedUtc": now,
        "ModifiedUtc": now, "SalaryPeriodMonthlyFromDateUtc": store.api_date(first),
        "SalaryPeriodMonthlyToDateUtc": store.api_date(last),
        "SalaryPeriodHourlyFromDateUtc": store.api_date(first),
        "SalaryPeriodHourlyToDateUtc": store.api_date(last),
        "DeviationPeriodMonthlyToDateUtc": store.api_date(last),
        "DeviationPeriodHourlyToDateUtc": store.api_date(last),
        "PaymentDateUtc": store.api_date(payment_date),
        "GrossSalary": float(totals["gross"]), "NetSalary": float(totals["net"]),
        "Tax": float(totals["tax"]), "WageRunType": ORDINARY, "PayslipIds": payslip_ids,
        "Locked": bool(lock),
    })
    return store.save(run_record)


def lock(tenant, run_record):
    """Lock a wage run and its payslips (the administrator's "Lås lönekörning")."""
    now = store.now_utc()
    run_record.data.update({"Locked": True, "ModifiedUtc": now})
    store.save(run_record)
    for payslip in store.records(tenant, "payslip"):
        if payslip.data.get("_WageRunId") == run_record.remote_id:
            payslip.data.update({"LockedDate": now, "ModifiedUtc": now})
            store.save(payslip)
    return run_record
