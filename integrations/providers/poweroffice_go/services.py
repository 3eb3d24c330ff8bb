"""PowerOffice Go's own part of the dealer's pages: connecting (onboarding, or a pasted client
key), the privileges a connection test reports in words, and the checks its hooks run (the
mapped accounts' VAT codes, the default project and department). The dealer's flow itself
(validate, send, invoice now, the badge) is shared: `contracts.dealerflow`.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import oauthstate
from integrations.admin_links import accounting_defaults_fix_url, mapping_fix_url
from integrations.errors import ActionBlocked, ProviderError, ValidationProblem
from integrations.models import Connection
from integrations.providers.poweroffice_go import auth
from integrations.providers.poweroffice_go.checks import (
    account_vat_codes,
    vat_mismatch_message,
    vat_mismatches,
)
from integrations.providers.poweroffice_go.client import PowerOfficeGoClient
from integrations.providers.poweroffice_go.provider import KEY, PowerOfficeGo

logger = logging.getLogger("integrations.poweroffice_go")

ACCOUNT_CACHE_SECONDS = 60


def settings_url():
    return reverse("contracts:accounting_settings")


# -- connecting ------------------------------------------------------------------------------
def callback_url():
    return f"{settings.APP_BASE_URL}{reverse('pogo:api_callback')}"


def start_onboarding(*, organization, user):
    """The TemporaryUrl where the person approves our integration in Go. Our single-use
    state rides in the redirect URI's query (Go ignores query parameters when it checks the
    whitelisted redirect URI)."""
    state = oauthstate.issue(provider=KEY, organization=organization, user=user)
    try:
        return auth.initiate_onboarding(redirect_uri=f"{callback_url()}?state={state}",
                                        organization_number=organization.org_number or "")
    except ProviderError as exc:
        raise ActionBlocked([ValidationProblem(str(exc), fix_url=settings_url(),
                                               field="connection")]) from None


def complete_onboarding(*, state, status, token, user):
    """The browser is back from Go: check our state, then Finalize and connect."""
    row = oauthstate.consume(state, provider=KEY, user=user)
    if (status or "").lower() != "success" or not token:
        raise ActionBlocked([ValidationProblem(
            _("The connection was not approved in PowerOffice Go (%(status)s). Try again.")
            % {"status": status or "-"}, fix_url=settings_url(), field="connection")])
    try:
        clients = auth.finalize_onboarding(token)
    except ProviderError as exc:
        raise ActionBlocked([ValidationProblem(str(exc), fix_url=settings_url(),
                                               field="connection")]) from None
    if not clients:
        raise ActionBlocked([ValidationProblem(
            _("PowerOffice Go approved no company. Try again and pick the company."),
            fix_url=settings_url(), field="connection")])
    chosen = _choose_client(row.organization, clients)
    return connect_with_client_key(organization=row.organization, user=user,
                                   client_key=chosen["ClientKey"])


def _choose_client(organization, clients):
    wanted = "".join(ch for ch in (organization.org_number or "") if ch.isdigit())
    for client in clients:
        number = "".join(ch for ch in str(client.get("ClientOrganizationNumber") or "")
                         if ch.isdigit())
        if wanted and number == wanted:
            return client
    return clients[0]


def connect_with_client_key(*, organization, client_key, user):
    """Store the client key (encrypted), get a first token and read the company: a key that
    does not work is refused and nothing is stored."""
    client_key = (client_key or "").strip()
    if not client_key:
        raise ActionBlocked([ValidationProblem(_("Paste the client key from PowerOffice Go."),
                                               field="client_key")])
    try:
        token, expires_at = auth.fetch_token(client_key)
    except ProviderError as exc:
        raise ActionBlocked([ValidationProblem(str(exc), field="client_key",
                                               fix_url=settings_url())]) from None
    with transaction.atomic():
        connection, _created = Connection.objects.select_for_update().get_or_create(
            organization=organization, provider=KEY)
        connection.set_credentials({"client_key": client_key, "access_token": token},
                                   expires_at=expires_at)
        connection.status = Connection.Status.CONNECTED
        connection.status_reason = ""
        connection.connected_at = timezone.now()
        connection.save()
    from contracts.dealerflow.services import connected

    return connected(connection, user=user)  # reads the company name, logs the connect


PRIVILEGE_WORDS = {
    "invoice": "send invoices",
    "salesorder": "create sales orders",
    "customer": "create and update customers",
    "product": "create and update products",
    "outgoinginvoice": "read outgoing invoices (payment status)",
    "customerledger": "read the customer ledger",
}


def privilege_in_words(privilege):
    """A missing privilege, in words a person understands (the raw name in brackets)."""
    name = str(privilege)
    lowered = name.lower().replace("_", "").replace(" ", "")
    if "send" in lowered and "invoice" in lowered:
        words = _("send invoices (ask PowerOffice Go to enable invoice sending for the "
                  "integration)")
    else:
        words = next((_(w) for k, w in PRIVILEGE_WORDS.items() if lowered.startswith(k)), name)
    return f"{words} [{name}]" if words != name else name


# -- the dealer flow's hooks (see provider.py) ---------------------------------------------
def remote_vat_codes(connection, accounts, *, fresh=False):
    """{account: VAT code} from PowerOffice Go, cached for a minute per connection (page views
    do not each cost a request); None when Go cannot be asked right now (the job checks again
    before it sends)."""
    key = f"pogo-accounts:{connection.pk}:{','.join(sorted(set(map(str, accounts))))}"
    codes = None if fresh else cache.get(key)
    if codes is None:
        try:
            codes = account_vat_codes(PowerOfficeGoClient(PowerOfficeGo(connection)), accounts)
        except ProviderError as exc:
            logger.info("VAT check skipped for connection %s: %s", connection.pk, exc)
            return None
        cache.set(key, codes, ACCOUNT_CACHE_SECONDS)
    return codes


def vat_problems(organization, connection, accounts, vats, *, fresh=False):
    """Go takes the VAT code from the product's sales account: each mapped account's VAT code
    must be the one the VAT mapping expects."""
    from contracts.models import LineCategory

    codes = remote_vat_codes(connection, accounts.values(), fresh=fresh)
    if codes is None:
        return []
    labels = dict(LineCategory.choices)
    return [ValidationProblem(
        vat_mismatch_message(labels.get(category, category), account, expected, actual),
        fix_url=mapping_fix_url(organization=organization, provider=KEY, category=category,
                                kind="vat" if actual is not None else "account"),
        field=f"mapping.vat.{category}")
        for category, account, expected, actual in vat_mismatches(accounts, vats, codes)]


def setup_problems(organization, connection):
    """The default project and department exist in Go."""
    from integrations.providers.poweroffice_go.operations import defaults_for

    defaults = defaults_for(organization)
    client = PowerOfficeGoClient(PowerOfficeGo(connection))
    problems = []
    checks = (("default_project_code", "/Projects", "projectCodes", "Code",
               _("The default project %(code)s does not exist in PowerOffice Go.")),
              ("default_department_code", "/Departments", "codes", "Code",
               _("The default department %(code)s does not exist in PowerOffice Go.")))
    for field, path, param, key, message in checks:
        code = getattr(defaults, field)
        if not code:
            continue
        try:
            rows = client.list(path, {param: code})
        except ProviderError:
            continue
        if not any(str(r.get(key)) == code for r in rows):
            problems.append(ValidationProblem(
                message % {"code": code}, field=field,
                fix_url=accounting_defaults_fix_url(organization=organization, provider=KEY)))
    return problems
