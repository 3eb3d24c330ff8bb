"""The Visma eAccounting simulator (Spiris "Bokföring & Fakturering" in Sweden; same API),
mounted at /sandbox/visma_eaccounting/ (slug `visma_eaccounting`), with Visma Online's identity
server, which the Visma payroll simulator shares (identity.py documents that interface). The
hub reaches it as it reaches Visma: VISMA_EACCOUNTING_BASE_URL=<host>/sandbox/visma_eaccounting
(for https://eaccountingapi.vismaonline.com, paths `v2/...`) and
VISMA_IDENTITY_URL=<host>/sandbox/visma_eaccounting (for https://identity.vismaonline.com,
paths `connect/...`); the demo app is `hub-demo-visma` / `hub-demo-visma-secret` (seed.py).
Facts come from ../shared/providers/visma-eaccounting.md (cited as [section]) and the
published spec (Swagger 2.0, 2023-07-03).

URLs (relative to /sandbox/visma_eaccounting/):
    connect/authorize, connect/token, connect/revocation          identity server (identity.py)
    v2/companysettings  v2/termsofpayments[/{id}]  v2/units[/{id}]  v2/bankaccounts[/{id}]
    v2/articleaccountcodings[/{id}]  v2/vatcodes[/{id}]  v2/fiscalyears[/{id}]
    v2/accounts[/{fiscalyearId}[/{accountNumber}]]                reference.py
    v2/customers[/{id}]                                           customers.py
    v2/articles[/{id}]                                            articles.py
    v2/customerinvoicedrafts[/{id}[/convert]]                     drafts.py
    v2/customerinvoices[/{id}[/payments]]                         invoices.py
    v2/partnerresourcelinks[/{id}]  v2/webhooks[/{id}]            links.py (sender: webhooks.py)
    accountant/                         register payments (framework page, book.py)
    _control/faults, _control/tokens, _control/requests, _control/webhooks   (framework, ours)

Modules: simulator (the `Simulator`: 600 requests a minute per client and endpoint), identity,
api (the endpoint decorator with the spec's scopes, JSON bodies), shapes + fields (request bodies
checked against the spec's definitions with jsonschema), store (records, time, paging), odata
(`$filter`), documents (rows, VAT, totals), errors (the envelope's codes), seed (demo data and
test builders), book (accountant page).

What every answer shares:
- Lists answer `{"Meta": {CurrentPage, PageSize, TotalNumberOfPages, TotalNumberOfResults,
  ServerTimeUtc}, "Data": [...]}` for `$page` (from 1) and `$pagesize` (default 50, at most
  1000; more answers 6000), with a `Link` header (next, prev, last). `TotalNumberOfPages` is 0
  for an empty list. `$filter` (odata.py) and `$orderby` on the fields each list declares.
- Times are UTC, `2026-12-01T18:10:27.123Z` (milliseconds), the same clock for `ChangedUtc`,
  `ModifiedUtc` and `ServerTimeUtc`, so a watermark compares exactly; date-only fields are
  written `2026-12-01T00:00:00`.
- Fields without a value are left out of answers (Swagger 2.0 cannot say nullable; the real API
  sends null, so read both with `.get`).
- Errors are Visma's envelope (errors.py): 400 validation 2000 with `Errors[].Field` such as
  `Rows[0].ArticleId`, 404 / unknown reference 3000, Conflict 4000, 401 4005, missing scope 403
  4006, 429 4010 (no Retry-After header; the seconds are in DeveloperErrorMessage), 500 5000,
  503 5001, bad `$filter` 6000, bad date 6001.
- Every id is a lowercase GUID; an id that is not one answers 404.
"""
