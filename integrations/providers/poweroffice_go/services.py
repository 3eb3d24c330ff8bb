"""What the pages and the API call for PowerOffice Go. Each action validates everything first
and blocks with every problem at once (each with the place it is fixed); only then is one job
recorded, in a short transaction of its own, under an idempotency key derived from the intent,
so re-clicks, two people clicking and retries all land on the same job.
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
from integrations.engine import enqueue_job, retry_job
from integrations.errors import ActionBlocked, ProviderError, ValidationProblem
from integrations.models import Connection, Link, SyncJob
from integrations.providers.poweroffice_go import auth
from integrations.providers.poweroffice_go.checks import (
    account_vat_codes,
    contract_mapping_problems,
    vat_mismatch_message,
    vat_mismatches,
)
from integrations.providers.poweroffice_go.client import PowerOfficeGoClient
from integrations.providers.poweroffice_go.provider import KEY, PowerOfficeGo
from integrations.synclog import log_event

logger = logging.getLogger("integrations.poweroffice_go")

ACCOUNT_CACHE_SECONDS = 60


def settings_url():
    return reverse("pogo:settings")


def get_connection(organization):
    return Connection.objects.for_org(organization).filter(provider=KEY).first()


def is_connected(connection):
    return (connection is not None and connection.status == Connection.Status.CONNECTED
            and bool(connection.credentials.get("client_key")))


# -- validation ------------------------------------------------------------------------------
def _connection_problems(connection):
    if connection is None or connection.status == Connection.Status.DISCONNECTED:
        return [ValidationProblem(_("PowerOffice Go is not connected. Go to Settings -> "
                                    "Accounting and connect."), fix_url=settings_url(),
                                  field="connection")]
    if connection.status == Connection.Status.NEEDS_REAUTH:
        return [ValidationProblem(
            _("PowerOffice Go no longer accepts our key (%(reason)s). Connect again under "
              "Settings -> Accounting.") % {"reason": connection.status_reason or "-"},
            fix_url=settings_url(), field="connection")]
    return []


def _customer_problems(customer):
    from django.urls import NoReverseMatch

    try:
        url = reverse("contracts:customer_detail", args=[customer.pk])
    except NoReverseMatch:
        url = ""
    return [ValidationProblem(_("Customer %(name)s is missing %(field)s.")
                              % {"name": customer.name or customer.pk, "field": label},
                              fix_url=url, field=f"customer.{name}")
            for name, label in customer.missing_fields()]


def _car_problems(car):
    url = reverse("contracts:car_detail", args=[car.pk])
    return [ValidationProblem(_("The car %(car)s is missing %(field)s.")
                              % {"car": str(car), "field": label}, fix_url=url,
                              field=f"car.{name}")
            for name, label in car.missing_fields()]


def _mapping_problems(organization, categories):
    return contract_mapping_problems(organization, categories)


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


def _vat_problems(organization, connection, accounts, vats, *, fresh=False):
    from contracts.models import LineCategory

    if not accounts or not is_connected(connection):
        return []
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


def validate_contract(contract, *, connection=None, check_remote=True):
    """Every problem that blocks sending this contract, at once. With `check_remote` the
    mapped accounts' VAT codes are asked from PowerOffice Go (HTTP, cached a minute): call it
    outside any transaction."""
    connection = connection if connection is not None else get_connection(contract.organization)
    problems = _connection_problems(connection)
    problems += _customer_problems(contract.customer)
    problems += _car_problems(contract.car)
    lines = list(contract.lines.all())
    if not lines:
        problems.append(ValidationProblem(_("The contract has no lines."), field="lines",
                                          fix_url=reverse("contracts:contract_edit",
                                                          args=[contract.pk])))
    categories = sorted({line.category for line in lines})
    mapping_problems, accounts, vats = _mapping_problems(contract.organization, categories)
    problems += mapping_problems
    if check_remote and not mapping_problems:
        problems += _vat_problems(contract.organization, connection, accounts, vats)
    return problems


def validate_invoice(contract, *, connection=None):
    connection = connection if connection is not None else get_connection(contract.organization)
    problems = _connection_problems(connection)
    if connection is not None and not Link.objects.filter(
            connection=connection, record_type="order", local_id=str(contract.pk)).exists():
        problems.append(ValidationProblem(
            _("Send the contract to PowerOffice Go first: there is no order to invoice yet."),
            field="order"))
    return problems


# -- actions ---------------------------------------------------------------------------------
# Each action validates first, outside any transaction (sending asks PowerOffice Go over HTTP,
# and on SQLite a transaction holds the whole database's write lock), then records the job in a
# short transaction of its own. The job re-checks what it needs before it sends, so a change
# between the two is caught there.
def _enqueue(connection, operation, record_type, local_id, *, user, variant="", params=None):
    with transaction.atomic():
        job, created = enqueue_job(connection=connection, operation=operation,
                                   record_type=record_type, local_id=local_id, user=user,
                                   priority=SyncJob.Priority.INTERACTIVE, variant=variant,
                                   params=params)
        if not created and job.status in SyncJob.RETRYABLE_BY_HAND:
            # Clicking again after a failure (e.g. a mapping fixed since) is a retry.
            retry_job(job, user=user)
            job.refresh_from_db()
    return job


def send_order_rollback_unsafe(contract, *, user):
    """"Send til PowerOffice Go": one order per contract, whoever clicks how often. Asks Go
    while validating, so it must not run inside a transaction."""
    connection = get_connection(contract.organization)
    problems = validate_contract(contract, connection=connection)
    if problems:
        raise ActionBlocked(problems)
    return _enqueue(connection, "order.create", "order", contract.pk, user=user)


def invoice_now(contract, *, user):
    """"Fakturer nå": convert and send the order; one invoice per contract."""
    connection = get_connection(contract.organization)
    problems = validate_invoice(contract, connection=connection)
    if problems:
        raise ActionBlocked(problems)
    return _enqueue(connection, "invoice.create", "invoice", contract.pk, user=user)


def sync_customer(customer, *, user):
    """"Synk kunde": create or update the customer in Go (again whenever it changed)."""
    connection = get_connection(customer.organization)
    problems = _connection_problems(connection) + _customer_problems(customer)
    if problems:
        raise ActionBlocked(problems)
    return _enqueue(connection, "customer.upsert", "customer", customer.pk, user=user,
                    variant=customer.updated_at.strftime("%Y%m%dT%H%M%S%f"))


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
    test_connection(connection)  # stores the company name
    log_event(organization_id=organization.pk, provider=KEY, entity="connection",
              action="connect", status="ok", connection=connection,
              local_id=connection.pk, details={"user_id": getattr(user, "pk", None)})
    connection.refresh_from_db()
    return connection


def test_connection(connection):
    """Ask GET /ClientIntegrationInformation; store the company name. Returns the provider's
    summary (company, missing privileges in words) or None when Go could not be asked."""
    provider = PowerOfficeGo(connection)
    try:
        info = provider.test_connection()
    except ProviderError as exc:
        cache.set(f"pogo-test:{connection.pk}", {"error": str(exc),
                                                  "at": timezone.now().isoformat()}, 3600)
        return None
    Connection.objects.filter(pk=connection.pk).update(
        remote_company_name=info["company_name"][:200], remote_tenant_id=info["client_id"][:100])
    info["missing"] = [privilege_in_words(p) for p in info["invalid_privileges"]]
    info["at"] = timezone.now().isoformat()
    cache.set(f"pogo-test:{connection.pk}", info, 3600)
    return info


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


def last_test(connection):
    return cache.get(f"pogo-test:{connection.pk}") if connection else None


def disconnect_rollback_unsafe(connection, *, user):
    """Remove the integration at Go (the contract's disconnect: revoke, then clear here).
    Links and the sync log stay. Returns what happened at Go."""
    outcome = PowerOfficeGo(connection).disconnect(user=user)
    cache.delete(f"pogo-test:{connection.pk}")
    return outcome


def validate_setup(organization):
    """The settings page's "Validate" button: connection, defaults, and every category's
    mappings checked against PowerOffice Go's accounts."""
    from contracts.models import LineCategory

    connection = get_connection(organization)
    problems = _connection_problems(connection)
    categories = [value for value, _label in LineCategory.choices]
    mapping_problems, accounts, vats = _mapping_problems(organization, categories)
    problems += mapping_problems
    problems += _vat_problems(organization, connection, accounts, vats, fresh=True)
    if is_connected(connection):
        from integrations.providers.poweroffice_go.operations import defaults_for

        defaults = defaults_for(organization)
        client = PowerOfficeGoClient(PowerOfficeGo(connection))
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
                    fix_url=accounting_defaults_fix_url(organization=organization,
                                                        provider=KEY)))
    return problems

