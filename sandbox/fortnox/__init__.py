"""The Fortnox simulator, mounted at /sandbox/fortnox/ (slug `fortnox`). The hub reaches it as
it reaches Fortnox: FORTNOX_BASE_URL=<host>/sandbox/fortnox (the API's `3/...`),
FORTNOX_AUTH_URL=<host>/sandbox/fortnox/oauth-v1, FORTNOX_WEB_URL=<host>/sandbox/fortnox/app.

URLs (relative to /sandbox/fortnox/):
    oauth-v1/auth, oauth-v1/token, oauth-v1/revoke            OAuth 2 (oauth.py)
    3/companyinformation, 3/predefinedaccounts, 3/settings/lockedperiod
    3/customers[/{CustomerNumber}]      3/articles[/{ArticleNumber}]   3/accounts[/{Number}]
    3/invoices[/{DocumentNumber}[/bookkeep|/cancel|/credit]]
    3/invoicepayments[/{Number}[/bookkeep]]   3/offers[/{DocumentNumber}[/cancel]]
    3/projects[/{ProjectNumber}]        3/employees[/{EmployeeId}]
    3/salarytransactions[/{SalaryRow}]  3/attendancetransactions[/{id}]
    3/absencetransactions[/{id} | /{EmployeeId}/{Date}/{Code}]
    app/, app/<resource>/, app/<resource>/<id>                read-only web app (web.py)
    accountant/                          register payments (framework page, book.py)
    _control/records                     edit an entity as a Fortnox user (book.py)
    _control/faults, _control/tokens, _control/requests       (framework)

Modules: simulator (the `Simulator`, 25 per 5 s per client and company), oauth, fields (field
names and types from the spec), store (records, types, partial updates, lists), resources and
documents (the entity rules), views, book, web, seed (demo data, test builders), errors.

Fortnox leaves some behaviour undocumented (UNCONFIRMED in the fact sheet). The simulator's
choices, so the hub is built against a definite, strict-enough reading:

- Timestamps and `lastmodified` are Swedish local time (Europe/Stockholm). `lastmodified`
  takes `YYYY-MM-DD HH:MM` (also with seconds, or a bare date) and returns entities changed
  at or after that minute, so a poll that reuses its last cursor may see an entity twice,
  never miss one. A malformed value, and `lastmodified` on the lists whose spec lacks it
  (projects, employees, salary, attendance and absence transactions), answer 2000588.
- Entities carry no modification time of their own (the spec has no such field);
  `_control/records` and the web app show it for tests and people.
- `limit` above 500 answers 2000588 rather than being cut to 500. An empty list has
  `@TotalPages` 1. `offset` skips rows before paging. Several search parameters combine
  (AND); text searches match substrings case-insensitively (customernumber=1 also finds 10).
- A missing entity answers 404 with code 2000423 ("Kan inte hitta ..."), and 400 with the
  same code when a body refers to one (customer, article, project, employee, salary code).
  Other ASSUMED codes: 2000461 booked or cancelled document locked, 2000462 date in the
  locked period, 2000463 payment refused (zero, or more than the balance), 2000464 value not
  allowed (enums, "Sweden" for "Sverige"), 2000466 number in use (other than customers).
- A missing scope answers 403 with 2000663. An expired or unknown token answers 401 with
  2000310 (2000311 without a token). 429 has the bare `{"message"}` body and no Retry-After.
- Response-only fields that the spec lets a request carry (Total, Balance, @url, vacation
  figures...) are accepted and ignored. Numbers are accepted for string-typed quantities
  ("2" and 2). A wrong Content-Type on a body answers 1000031 (400).
- A client may choose DocumentNumber on POST invoices/offers if it is free (else 2000466).
- Only a booked invoice can be credited; only an unbooked one without payments cancelled;
  neither booked nor cancelled invoices can be changed. Crediting creates a credit invoice
  (negative quantities, `Credit` "true") and links both by CreditInvoiceReference; balances
  are left as they are. Payments are allowed on unbooked invoices.
- FinalPayDate is set only when Balance reaches 0 (the date of the settling payment) and is
  null while anything is left to pay. Overpayments are refused.
- Refresh tokens are always issued on the code flow (access_type is not required for it).
  Revoking a refresh token withdraws every token the client holds for that company; a
  service-account consent (given with account_type=service, which every app may ask for)
  survives it and is what client_credentials needs, with the TenantId header, granting the
  consent's scopes and no refresh token.
- Access tokens are JWT-shaped (payload with `tenantId`, random signature).
- The time-reporting API (`api/time/...`) is not simulated.
"""
