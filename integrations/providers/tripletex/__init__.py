"""Tripletex (API v2): the car dealer's flow on Norway's largest accounting system.

auth.py       session tokens from our consumer token and the dealer's employee token
client.py     HTTP: Basic "0:<session token>", {value}/{values}, the error envelope, 409
              codes, the rate-limit headers (X-Rate-Limit-Remaining / -Reset)
mappers.py    pure functions: customer, product, order (lines with vatType), payment state,
              webhook subscription, the webhook signature
operations.py what the engine runs: customer, order, order -> invoice (search before create)
inbound.py    payment status back: webhooks (HMAC-SHA512), the poll of open invoices, the
              nightly reconciliation
provider.py   the Provider class the registry loads
views.py      pasting the employee token on Settings -> Accounting
"""
