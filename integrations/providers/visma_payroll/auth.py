"""Connecting an organization to Visma payroll through Visma's identity server, with the
machinery the Visma products share (`integrations/providers/visma_eaccounting/identity.py`):
one grant per organization and Visma company holds the refresh token, and each product's
connection refers to it.

- Consent asks for `vls:api` and `offline_access`; when the organization is also connected to
  Visma eAccounting, for the scopes that connection was granted as well, so the one consent
  serves both and both connections use the new grant (`identity.products_to_attach`).
- Refresh is the grant's (single-flight per grant: one refresh for both products, the rotated
  refresh token saved before anyone else can use the old one).
- Disconnect revokes at Visma only when no other product still uses the grant; otherwise the
  grant is kept for it, and the payroll connection's status says so (`identity.release`).
"""

from django.conf import settings

from integrations import oauthstate
from integrations.errors import ActionBlocked, ProviderError, ValidationProblem
from integrations.models import Connection
from integrations.providers.visma_eaccounting import identity

KEY = "visma_payroll"
SCOPE = identity.API_SCOPE[KEY]
SIBLING = "visma_eaccounting"
CALLBACK_PATH = f"/api/integrations/{KEY}/callback"


def redirect_uri():
    return settings.APP_BASE_URL + CALLBACK_PATH


def requested_scopes(organization) -> str:
    """Ours, plus what the organization's eAccounting connection holds now (one consent for
    both products)."""
    sibling = (Connection.objects.for_org(organization).filter(provider=SIBLING)
               .exclude(status=Connection.Status.DISCONNECTED).first())
    theirs = (sibling.credentials.get("scope") or "").split() if sibling else []
    return identity.scopes(SCOPE, theirs)


def authorization_url(*, organization, user) -> str:
    return identity.authorization_url(product=KEY, organization=organization, user=user,
                                      scopes=requested_scopes(organization),
                                      redirect_uri=redirect_uri())


def _blocked(message):
    return ActionBlocked([ValidationProblem(message, field="provider")])


def complete_authorization(*, params, user):
    """The callback: check the state (single use, same user), exchange the code, keep the grant
    and attach it to this product's connection (and eAccounting's when it was granted too)."""
    row = oauthstate.consume(params.get("state", ""), provider=KEY, user=user)
    again = "Start the connection again from Integrationer."
    code = params.get("code", "")
    if params.get("error") or not code:
        raise _blocked(f"Visma sent no authorization code (was access denied?). {again}")
    try:
        token = identity.exchange_code(code, redirect_uri=redirect_uri())
    except ProviderError as exc:
        raise _blocked(f"{exc.message} {again}") from None
    granted = token.get("scope") or ""
    granted = " ".join(granted) if isinstance(granted, list | tuple) else str(granted)
    if SCOPE not in granted.split():
        raise _blocked("Visma's approval does not include payroll (vls:api): the company may "
                       f"not use Spiris Lön, or the user lacks access to it. {again}")
    grant = identity.store_grant(organization=row.organization, token=token)
    connection = None
    for key in identity.products_to_attach(row.organization, KEY, granted):
        attached = identity.attach(grant=grant, provider_key=key)
        if key == KEY:
            connection = attached
    return connection
