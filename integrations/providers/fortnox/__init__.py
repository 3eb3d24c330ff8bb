"""Fortnox (Sweden): seven record types out (customers, invoices, quotes, projects, employees,
time entries, payslips), customers and invoices back with payment status.

auth.py       OAuth consent, token exchange, single-use refresh tokens, service accounts, revoke
client.py     HTTP: base URL, `ErrorInformation` -> messages a person can act on, paging
mappers.py    pure functions: local record <-> Fortnox JSON
checks.py     what must be true before a record is sent (the class's `validators`), mappings
exports.py    the `<record_type>.export` operations of customers, projects and employees, and
              what every export shares (create or update, find what an unknown outcome left)
documents.py  invoices and quotes
payroll.py    time entries and payslips
provider.py   the `Fortnox` provider class the registry loads
sync.py       the shared importer's hooks: `lastmodified` poll, last write wins, payment status
"""
