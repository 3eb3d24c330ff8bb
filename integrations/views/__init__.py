"""The integrations API, the Integrations page and the webhook endpoints (see `urls.py`).

`services` and `selectors` hold what the API and the page share; the view modules stay thin.
"""
