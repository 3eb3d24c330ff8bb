"""What the dealer's pages and API call, for whichever accounting system the organization uses.
Each action validates everything first and blocks with every problem at once (each with the
place it is fixed); only then is one job recorded, in a short transaction of its own, under an
idempotency key derived from the intent, so re-clicks, two people clicking and retries all
land on the same job.

Validating asks the provider (its `dealer_mapping_problems` hook, HTTP), so the actions run
outside any transaction (`..._rollback_unsafe`); the job re-checks before it sends."""

import logging

from django.core.cache import cache
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.dealerflow.selectors import choose, is_connected
from integrations.engine import enqueue_job, retry_job
from integrations.errors import ActionBlocked, ProviderError, ValidationProblem
from integrations.mappings import category_mappings, mapping_problems
from integrations.models import Connection, Link, SyncJob
from integrations.providers import registry
from integrations.synclog import log_event

logger = logging.getLogger("contracts.dealerflow")

TEST_CACHE_SECONDS = 3600


def settings_url():
    return reverse("contracts:accounting_settings")


def category_labels():
    from contracts.models import LineCategory

    return dict(LineCategory.choices)


# -- validation ------------------------------------------------------------------------------
def connection_problems(cls, connection):
    if cls is None:
        return [ValidationProblem(_("No accounting system is connected. Go to Settings -> "
                                    "Accounting and connect."), fix_url=settings_url(),
                                  field="connection")]
    if connection is None or connection.status == Connection.Status.DISCONNECTED:
        return [ValidationProblem(_("%(provider)s is not connected. Go to Settings -> "
                                    "Accounting and connect.") % {"provider": cls.name},
                                  fix_url=settings_url(), field="connection")]
    if connection.status == Connection.Status.NEEDS_REAUTH:
        return [ValidationProblem(
            _("%(provider)s no longer accepts our credentials (%(reason)s). Connect again "
              "under Settings -> Accounting.") % {"provider": cls.name,
                                                  "reason": connection.status_reason or "-"},
            fix_url=settings_url(), field="connection")]
    return []


def customer_problems(customer):
    try:
        url = reverse("contracts:customer_detail", args=[customer.pk])
    except NoReverseMatch:
        url = ""
    return [ValidationProblem(_("Customer %(name)s is missing %(field)s.")
                              % {"name": customer.name or customer.pk, "field": label},
                              fix_url=url, field=f"customer.{name}")
            for name, label in customer.missing_fields()]


def car_problems(car):
    url = reverse("contracts:car_detail", args=[car.pk])
    return [ValidationProblem(_("The car %(car)s is missing %(field)s.")
                              % {"car": str(car), "field": label}, fix_url=url,
                              field=f"car.{name}")
            for name, label in car.missing_fields()]


def category_problems(organization, key, categories):
    """([problems], {category: account}, {category: VAT code}): every category mapped."""
    mappings = category_mappings(organization, key, categories)
    return (mapping_problems(organization, key, categories, labels=category_labels(),
                             mappings=mappings), *mappings)


def remote_problems(cls, connection, organization, accounts, vats, *, fresh=False):
    """The provider's own check of the mapped accounts and VAT codes (HTTP, its cache)."""
    if not accounts or not is_connected(connection):
        return []
    return list(cls(connection).dealer_mapping_problems(organization, accounts, vats,
                                                        fresh=fresh))


def validate_contract(contract, *, cls=None, connection=None, check_remote=True):
    """Every problem that blocks sending this contract, at once. With `check_remote` the
    provider is asked about the mapped accounts and VAT codes (HTTP): call it outside any
    transaction."""
    if cls is None:
        cls, connection = choose(contract.organization)
    problems = connection_problems(cls, connection)
    problems += customer_problems(contract.customer)
    problems += car_problems(contract.car)
    lines = list(contract.lines.all())
    if not lines:
        problems.append(ValidationProblem(_("The contract has no lines."), field="lines",
                                          fix_url=reverse("contracts:contract_edit",
                                                          args=[contract.pk])))
    if cls is None:
        return problems
    categories = sorted({line.category for line in lines})
    mapping, accounts, vats = category_problems(contract.organization, cls.key, categories)
    problems += mapping
    if check_remote and not mapping:
        problems += remote_problems(cls, connection, contract.organization, accounts, vats)
    return problems


def validate_invoice(contract, *, cls=None, connection=None):
    if cls is None:
        cls, connection = choose(contract.organization)
    problems = connection_problems(cls, connection)
    if connection is not None and not Link.objects.filter(
            connection=connection, record_type="order", local_id=str(contract.pk)).exists():
        problems.append(ValidationProblem(
            _("Send the contract to %(provider)s first: there is no order to invoice yet.")
            % {"provider": cls.name}, field="order"))
    return problems


# -- actions ---------------------------------------------------------------------------------
def _enqueue(connection, operation, record_type, local_id, *, user, variant=""):
    with transaction.atomic():
        job, created = enqueue_job(connection=connection, operation=operation,
                                   record_type=record_type, local_id=local_id, user=user,
                                   priority=SyncJob.Priority.INTERACTIVE, variant=variant)
        if not created and job.status in SyncJob.RETRYABLE_BY_HAND:
            # Clicking again after a failure (e.g. a mapping fixed since) is a retry.
            retry_job(job, user=user)
            job.refresh_from_db()
    return job


def send_order_rollback_unsafe(contract, *, user, key=None):
    """"Send": one order per contract, whoever clicks how often. Asks the provider while
    validating, so it must not run inside a transaction."""
    cls, connection = choose(contract.organization, key)
    problems = validate_contract(contract, cls=cls, connection=connection)
    if problems:
        raise ActionBlocked(problems)
    return _enqueue(connection, cls.dealer_flow.order_operation, "order", contract.pk,
                    user=user)


def invoice_now(contract, *, user, key=None):
    """"Fakturer nå": the order becomes an invoice; one invoice per contract."""
    cls, connection = choose(contract.organization, key)
    problems = validate_invoice(contract, cls=cls, connection=connection)
    if problems:
        raise ActionBlocked(problems)
    return _enqueue(connection, cls.dealer_flow.invoice_operation, "invoice", contract.pk,
                    user=user)


def sync_customer(customer, *, user, key=None):
    """"Synk kunde": create or update the customer at the provider (again whenever it
    changed)."""
    cls, connection = choose(customer.organization, key)
    problems = connection_problems(cls, connection) + customer_problems(customer)
    if problems:
        raise ActionBlocked(problems)
    return _enqueue(connection, cls.dealer_flow.customer_operation, "customer", customer.pk,
                    user=user, variant=customer.updated_at.strftime("%Y%m%dT%H%M%S%f"))


# -- the connection --------------------------------------------------------------------------
def _test_key(connection):
    return f"dealer-test:{connection.pk}"


def test_connection(connection):
    """Ask the provider who we are (its `test_connection`); store the company name. Returns
    its summary ({"company_name", "missing": [what the grant lacks, in words], ...}) or None
    when it could not be asked (the error is kept for the page)."""
    provider = registry.for_connection(connection)
    try:
        info = dict(provider.test_connection())
    except ProviderError as exc:
        cache.set(_test_key(connection), {"error": str(exc), "at": timezone.now().isoformat()},
                  TEST_CACHE_SECONDS)
        return None
    Connection.objects.filter(pk=connection.pk).update(
        remote_company_name=str(info.get("company_name") or "")[:200],
        **({"remote_tenant_id": str(info["tenant_id"])[:100]} if info.get("tenant_id")
           else {}))
    info.setdefault("missing", [])
    info["at"] = timezone.now().isoformat()
    cache.set(_test_key(connection), info, TEST_CACHE_SECONDS)
    return info


def last_test(connection):
    return cache.get(_test_key(connection)) if connection else None


def connected(connection, *, user):
    """After a provider's connect form stored the credentials: read the company, log it."""
    test_connection(connection)
    log_event(organization_id=connection.organization_id, provider=connection.provider,
              entity="connection", action="connect", status="ok", connection=connection,
              local_id=connection.pk, details={"user_id": getattr(user, "pk", None)})
    connection.refresh_from_db()
    return connection


def disconnect_rollback_unsafe(connection, *, user):
    """The contract's disconnect (revoke at the provider, then clear here). Links and the
    sync log stay. Returns what happened at the provider."""
    outcome = registry.for_connection(connection).disconnect(user=user)
    cache.delete(_test_key(connection))
    return outcome


def validate_setup(organization, *, key=None):
    """The settings page's "Validate": the connection, every category's mappings, the
    provider's own checks of them and of the defaults."""
    from contracts.models import LineCategory

    cls, connection = choose(organization, key)
    problems = connection_problems(cls, connection)
    if cls is None:
        return problems
    categories = [value for value, _label in LineCategory.choices]
    mapping, accounts, vats = category_problems(organization, cls.key, categories)
    problems += mapping
    problems += remote_problems(cls, connection, organization, accounts, vats, fresh=True)
    if is_connected(connection):
        problems += list(cls(connection).dealer_setup_problems(organization))
    return problems
