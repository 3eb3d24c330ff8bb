"""Visma eAccounting (in Sweden Spiris "Bokföring & Fakturering"; same API): customers and
invoices both ways for the construction firm.

- `identity.py`   Visma's identity server (consent, code exchange, rotating refresh, revocation)
                  and the grant two Visma products of one organization share (also used by
                  Visma payroll)
- `models.py`     `VismaGrant`: that shared grant (this package is a small Django app for it)
- `provider.py`   the `Provider`: capabilities, rate limit per endpoint, operations, hooks
- `client.py`     the `ProviderClient`: `/v2` base, bearer token, Visma's error envelope
- `mappers.py`    our records <-> Visma's JSON (pure functions)
- `exports.py`    customers, articles and invoices out, each found again by our reference
- `sync.py`       customers and invoices back (`ChangedUtc` / `modifiedSinceUtc` polls)
- `webhooks.py`   Visma's thin webhook notifications: verify, then wake the import
"""
