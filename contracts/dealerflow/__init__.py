"""The dealer's flow, the same for every accounting system: a contract becomes an order, the
order an invoice ("Fakturer nå"), and the invoice's payment status comes back ("Betalt").

Shared here, filled by the provider's declared hooks (`Provider.dealer_flow`, its operations,
`dealer_mapping_problems`, `dealer_setup_problems`, `invoice_payment_state`):

selectors.py   which provider an organization's dealer flow uses, its connection, defaults
services.py    validate (every problem at once, each with its fix link), send, invoice now,
               sync a customer, test, disconnect, validate the setup
panels.py      what the contract page and the customer page show (badge, numbers, links)
views.py       Settings -> Accounting, the contract's buttons and live status, "Synk kunde"
api.py         the JSON API under /api/accounting/
acceptance.py  the dealer's seven acceptance criteria, driven like a person drives them
"""
