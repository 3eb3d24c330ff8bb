"""PowerOffice Go (API v2): the car dealer's accounting system.

auth.py      client-credentials token, onboarding (Initiate/Finalize), offboarding
client.py    HTTP: both keys on every call, ProblemDetails and APIM errors, 204 lists, paging
mappers.py   pure functions: customer, products, sales order, send request, payment state
provider.py  the Provider: operations the engine runs (customer, order, invoice, sent state)
poller.py    payment status back (no webhooks in v2): changed-since polling, one request per
             connection when nothing changed
services.py  what pages and the API call: validate, send order, invoice now, sync customer
"""
