"""Tripletex API v2, simulated offline at /sandbox/tripletex/ (standing for Tripletex's test
environment, https://api-test.tripletex.tech): the API under v2/.

Modules:
simulator  Basic auth with a session token, the per-employee-token rate limit and its headers
auth       token/session/:create (POST, legacy PUT), >whoAmI, DELETE token/session/{token}
resources  customers, products, ledger/vatType, ledger/account, invoice/paymentType
orders     orders and lines, order/{id}/:invoice       invoices   invoices, :payment
invoicing  how invoices and payments are booked (postings, vouchers, close groups)
events     /event and /event/subscription               webhooks   deliveries with HMAC
book       the accountant page's book                   seed       consumer token, demo company
control    _control/ratelimit, webhooks, employee-tokens
fields, refs, schema, store, errors: the envelope, `fields`, paging, bodies, references

Facts come from the fact sheet (shared/providers/tripletex.md) and the v2.74.00 spec; each module
says what it chose where neither does (marked ASSUMED). The main ones:

- Objects are shown with the spec's property names; null properties are left out; a nested
  object is `{"id", "url"}` unless the `fields` filter expands it; `url` has no scheme
  ("host/sandbox/tripletex/v2/customer/1"), as Tripletex's "tripletex.no/v2/..." has none.
- Request bodies: a property the spec's model lacks, or a value of the wrong JSON type, is a
  422 16000 naming it; read-only properties are ignored; bad JSON is a 422 22000. Unknown query
  parameters are ignored.
- Session tokens live until 00:00 Oslo time at the start of `expirationDate`.
- The rate limit's numbers are not published: 500 requests per 60 s per consumer and employee
  token here (POST _control/ratelimit changes them). Creating a session is not counted (it
  has no session yet; ASSUMED); every answer to an authenticated call carries the headers.
- Ids are unique across companies; customer, order, invoice and voucher numbers are per company.
- Read-only screens at web/ (web/<customer|product|order|invoice>/<id>) for TRIPLETEX_WEB_URL.
- Events: invoice.charged when an invoice is made; voucher.create for every voucher (an
  invoice's, a payment's); closeGroup.create when a payment settles an invoice (its postings
  are matched); order.*, customer.*, product.* on API changes.
- Not simulated: accountant (proxy) access to other companies, credit notes, reminders,
  `:send`, `:invoiceMultipleOrders`, departments, projects, contacts, PDF.
"""
