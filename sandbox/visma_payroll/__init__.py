"""The Visma payroll simulator (Spiris Lön API V2, formerly Visma Lön Smart), mounted at
/sandbox/visma_payroll/ (slug `visma_payroll`). The hub reaches it as it reaches
https://vlsapi.vismaonline.com: VISMA_PAYROLL_BASE_URL=<host>/sandbox/visma_payroll. Tokens come
from the Visma identity server the eAccounting simulator mounts
(sandbox/visma_eaccounting/identity.py): one consent with `ea:api vls:api` serves both.

Modules: simulator (the `Simulator`), urls, views (the API), shortcuts (their rules), store
(records, paging, errors), wagerun (what a payroll run computes), control (what a payroll
administrator does by hand), fields (request field names from the spec), seed (pay codes).

Where the documentation is silent, the simulator's choices (ASSUMED):
- An employee created through the API is regular (`Type` 0) and complete (`State` 1), so it can
  have shortcuts; limited or draft employees come from `_control/employees`. Employee numbers
  and personal numbers are unique per company (400, ErrorCode 4000 Conflict).
- Shortcut rules and error codes: see shortcuts.py. Wage-run arithmetic: see wagerun.py.
- Lists page with `$top`/`$skip` (default 50, at most 500) and filter with `Field eq 'value'`
  joined by `and`; any other `$filter` answers 400 ErrorCode 6000.
- A company's pay codes are the standard set in seed.py.
- Every API call needs a live token of the identity server carrying `vls:api` (401 ErrorCode
  4005 without, 403 ErrorCode 4006 without the scope); 600 requests per minute per client and
  route answer 429 ErrorCode 4010.
"""
