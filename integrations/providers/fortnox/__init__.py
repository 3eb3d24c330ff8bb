"""Fortnox (Sweden): seven record types out (customers, invoices, quotes, projects, employees,
time entries, payslips), customers and invoices back with payment status.

auth.py     OAuth consent, token exchange, single-use refresh tokens, service accounts, revoke
client.py   HTTP: base URL, `ErrorInformation` -> messages a person can act on, paging
mappers.py  pure functions: local record <-> Fortnox JSON
exports.py  what each `<record_type>.export` operation does (create or update, find existing)
provider.py the `Fortnox` provider class the registry loads
sync.py     `lastmodified` import with last-write-wins conflicts, payment status
"""
