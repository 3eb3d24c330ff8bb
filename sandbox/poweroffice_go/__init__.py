"""PowerOffice Go API v2, simulated offline at /sandbox/poweroffice_go/ (standing for
https://goapi.poweroffice.net/Demo): token at OAuth/Token, API under v2/.

Modules:
simulator  the gateway (subscription key, 404 for unpublished routes, 10 req/s per key, 429)
seed       the demo integration and companies (`seed`, `seed_company`, `ensure_developer_app`)
auth       token, onboarding (API and approval page), offboarding, ClientIntegrationInformation
contacts   customers and products          reference  VAT codes, accounts, projects, ...
sales      sales orders, createAndSendInvoice, sentState, outgoing invoices, ledger by match
ledger     posting invoices and payments   accountant the accountant page's book
web        read-only stand-in for Go's screens at go/        fields, store, jsonpatch: helpers

Facts come from the fact sheet (shared/providers/poweroffice-go.md) and the v2 spec. Where
neither says, this simulator chooses, and says so here:

- Paths are matched case-insensitively. A method a route does not publish is the gateway's 404
  `{"statusCode":404,"message":"Resource not found"}` (as for POST /v2/SalesOrders), before any
  key is checked.
- A wrong subscription key gets APIM's "Access denied due to invalid subscription key..." 401;
  a missing one "...missing subscription key...". A missing or invalid bearer token gets
  `{"statusCode":401,"message":"Unauthorized. Access token is missing or invalid."}`.
- 429: `{"statusCode":"429","message":"Rate limit is exceeded. Try again in N seconds."}` (a
  string, as in Go's token spec) with Retry-After: N. The token endpoint counts too.
- Token errors: missing Basic header -> invalid_client; undecodable Basic -> invalid_request;
  wrong content type or no grant_type -> invalid_request; another grant ->
  unsupported_grant_type; unknown keys or a removed integration -> invalid_client "Client
  integration not found...". Tokens live 1200 s.
- Onboarding: Initiate needs only the subscription key; ApplicationKey must be that key's
  integration; RedirectUri must be whitelisted (scheme, host, path; localhost always allowed),
  else 400. TemporaryUrl lives 30 minutes, the onboarding token 10 minutes and works once.
  Redirect query: `status=Success&token=...` or `status=Cancelled`. An org number nobody has
  is not an error at Initiate (Go would not reveal which clients exist); the page says so and
  offers to create a demo company with it. Re-onboarding an active company returns its current
  client key; a removed one gets a new key.
- Offboarding answers `{Success: true, Message, RemoveFactoring: false,
  ResetInvoiceFinancing: false}` and revokes the company's tokens at once.
- The invoice-sending privilege is called "SendInvoice" in Valid/InvalidPrivileges; other
  missing privileges answer 403 ProblemDetails.
- ProblemDetails use camelCase keys and `instance` = the request path. Unknown JSON properties:
  400 "One or more validation errors occurred." naming the property in `detail` and `errors`
  ("$.SalesOrderLines[0].VatCode"). A missing referenced object in a body (customer, product,
  account, department...) is a 400 titled "Object(s) not found"; a missing object in the path a
  404 with the same title.
- Customers: FirstName/LastName required for persons, Name for companies; ExternalImportReference
  and ExternalNumber unique (case-insensitive); Number in 10000-19999. PATCH answers 200.
  POST /Products answers 201 (as observed in demo; the spec says 200).
- Sales orders: a Normal line needs a product; Text lines need none. A duplicate header
  ExternalImportReference (among orders and invoices) is a 400 titled "Duplicate
  ExternalImportReference". Dimensions we have no data for (locations, Dim1-3, employees,
  branding themes, delivery terms) are refused as not found. SalesOrderNo starts at 10001.
- Sending: 202 with SendInvoiceRequestDto and `Location: <base>/v2/SalesOrders/sentState?id=`.
  Without the privilege: 400 "Missing privilege". Sending again, or a draft with no Normal
  lines: 400. The invoice is posted at once (InvoiceNo from 10001, VoucherNo from 1); delivery
  finishes after the first sentState read (IsInvoiceBeingProcessed true, InvoiceNo null) or 3 s,
  whichever is first. PdfByEmail (or Auto) with no address anywhere: posted, not sent,
  LastErrorMessage set. Auto picks EHF for customers whose InvoiceDeliveryType is EHF. A sent
  order is no longer a sales order (404 on /SalesOrders/{id}, gone from the list); sentState
  of an unsent order is 204.
- DueDate: OverrideDueDate, else the order's payment term, else the customer's, else the
  client default (14 days). MatchId is null until a payment is matched (as the spec says);
  the first payment assigns it to the invoice and its ledger entries.
- Lists send no X-Pagination header: clients must stop on a short page or a 204.
- Timestamps are Oslo time with offset and microseconds; a filter value without offset is Oslo
  time; a "+" sent unencoded (a space) is a 400.
- Not simulated: PATCH of sales orders and lines, POST of lines, attachments,
  Customerledger/Statement, OpenItems, CustomerBalances, vouchers, product groups.
"""
