"""Visma payroll (Sweden: Spiris Lön API V2, formerly Visma Lön Smart): employees, time entries
and salary lines out as shortcuts, wage-run results back; and the TLU file for the desktop Visma
Lön 300/600, which has no API.

provider.py   the `VismaPayroll` provider class the registry loads
auth.py       connect through Visma's identity server (`vls:api`), one grant shared with Visma
              eAccounting (integrations/providers/visma_eaccounting/identity.py)
client.py     HTTP: base URL, Visma's error envelope -> messages a person can act on, paging
mappers.py    pure functions: our records <-> Spiris Lön JSON
checks.py     what must be true before a record is sent; pay types -> Spiris pay codes
exports.py    the employee, time entry and payslip operations (shortcuts, IsRead)
results.py    the scheduled read of wage runs and payslips (gross, net, tax, locked)
tlu.py        the TLU file (XML, ISO-8859-1) for Visma Lön 300/600; `manage.py export_tlu`
models.py     TluCode (the file's codes, edited in admin), PayslipResult, WageRunSeen
views.py      the TLU download and the panels (urls.py, templates/visma_payroll/)
"""
