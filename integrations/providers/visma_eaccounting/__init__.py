"""Visma eAccounting (in Sweden Spiris "Bokföring & Fakturering"; same API): customers and
invoices both ways for the construction firm.

- `identity.py`   Visma's identity server (consent, code exchange, rotating refresh, revocation)
                  and the grant two Visma products of one organization share (also used by
                  Visma payroll); `grants.py` the shared grant's half of it
- `models.py`     `VismaGrant`: that shared grant (this package is a small Django app for it)
- `provider.py`   the `Provider`: capabilities, rate limit per endpoint, operations, hooks
- `client.py`     the `ProviderClient`: `/v2` base, bearer token, Visma's error envelope
- `mappers.py`    our records <-> Visma's JSON (pure functions)
- `connect.py`    the consent's callback
- `exports.py`    customers and articles out; `invoices.py` invoices (drafts + convert)
- `sync.py`       customers and invoices back (`ChangedUtc` / `modifiedSinceUtc` polls)
- `webhooks.py`   Visma's thin webhook notifications: verify, then wake the import
- `panels.py`, `templates/`, `demo.py`, `locale/`   the invoice page's panel, the demo mappings
"""
