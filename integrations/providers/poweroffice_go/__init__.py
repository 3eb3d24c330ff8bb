"""PowerOffice Go (API v2): the car dealer's accounting system.

auth.py      client-credentials token, onboarding (Initiate/Finalize), offboarding
client.py    HTTP: both keys on every call, ProblemDetails and APIM errors, 204 lists, paging
mappers.py   pure functions: customer, products, sales order, send request, payment state
provider.py  the Provider class the registry loads
operations.py what the engine runs: customer, order, invoice, sent state
checks.py    line categories mapped, and the mapped accounts' VAT codes as Go has them
poller.py    payment status back (no webhooks in v2): changed-since polling, one request per
             connection when nothing changed
services.py  onboarding, the pasted client key, and the checks its dealer-flow hooks run
views.py, api.py, urls.py, templates/  its connect part of the shared Settings -> Accounting,
             and its first `.../pogo/...` addresses, routed to the shared dealer flow
             (`contracts.dealerflow`: validate, send, invoice now, badge, sync customer)
"""
