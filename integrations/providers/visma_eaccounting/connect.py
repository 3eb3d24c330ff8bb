"""The callback of Visma eAccounting's consent: check the single-use state, exchange the code,
read the company, store the grant once (identity.py) and attach every Visma product of the
organization whose scope the consent carried (eAccounting, and payroll when it was asked for).
Nothing is stored when anything is wrong; the admin reads what to do."""

from contextlib import suppress

import requests
from django.conf import settings

from integrations import oauthstate
from integrations.errors import ActionBlocked, ProviderError, RetryableError, ValidationProblem
from integrations.models import Connection
from integrations.providers.visma_eaccounting import identity

KEY = "visma_eaccounting"
AGAIN = "Start the connection again from Integrationer."


def _blocked(message):
    return ActionBlocked([ValidationProblem(message, field="provider")])


def company_settings(access_token):
    """GET /v2/companysettings with a token not stored yet (a one-off at connect time)."""
    try:
        response = requests.get(
            f"{settings.VISMA_EACCOUNTING_BASE_URL}/v2/companysettings",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=settings.SYNC_HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise RetryableError(f"Could not reach Visma eAccounting ({type(exc).__name__}).") \
            from None
    if response.status_code != 200:
        raise ProviderError(f"Visma eAccounting answered {response.status_code} when asked for "
                            "the company's settings (is eAccounting active for the company you "
                            "picked, and its startup guide completed?).",
                            status_code=response.status_code, raw_text=response.text[:4000])
    return response.json()


def complete(*, code, state, user):
    from integrations.providers.visma_eaccounting.provider import redirect_uri

    row = oauthstate.consume(state, provider=KEY, user=user)
    organization = row.organization
    if not code:
        raise _blocked(f"Visma sent no authorization code (was the request denied?). {AGAIN}")
    try:
        token = identity.exchange_code(code, redirect_uri=redirect_uri())
    except ProviderError as exc:
        raise _blocked(f"{exc.message} {AGAIN}") from None
    granted = str(token.get("scope") or row.data.get("scope") or "")
    if isinstance(token.get("scope"), list):
        granted = " ".join(token["scope"])
    customer_id = str(identity.claims(token["access_token"]).get("customer_id") or "")
    try:
        company = company_settings(token["access_token"]) if "ea:api" in granted.split() else {}
    except ProviderError as exc:
        _forget(token)
        raise _blocked(f"{exc.message} {AGAIN}") from None
    existing = Connection.objects.for_org(organization).filter(provider=KEY).first()
    if (existing is not None and existing.remote_tenant_id and customer_id
            and existing.remote_tenant_id != customer_id and existing.links.exists()):
        _forget(token)
        approved = company.get("Name") or customer_id
        linked = existing.remote_company_name or existing.remote_tenant_id
        raise _blocked(f"You approved a different Visma company ({approved}) than the one this "
                       f"organization is linked to ({linked}). Pick that company instead, or "
                       "remove the existing links first.")
    keys = identity.products_to_attach(organization, KEY, granted)
    if KEY not in keys:
        _forget(token)
        raise _blocked("Visma did not give access to eAccounting (the scope ea:api was not "
                       f"granted, or the company has no eAccounting). {AGAIN}")
    grant = identity.store_grant(organization=organization, token=token,
                                 company_name=str(company.get("Name") or ""))
    attached = {key: identity.attach(grant=grant, provider_key=key) for key in keys}
    return attached[KEY]


def _forget(token):
    with suppress(ProviderError):  # best effort: the grant is not wanted
        if token.get("refresh_token"):
            identity.revoke_token(token["refresh_token"])
