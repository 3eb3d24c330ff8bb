"""The provider contract. A provider is one package under `integrations/providers/<name>/`
(plus its simulator in `sandbox/<name>/`), one line in the registry and its settings.

Everything the pages, the API, the engine, the schedules, the webhook endpoint, admin and the
demo need from a provider is declared here, on `Provider`, and filled in by the package; shared
code asks the registry and these hooks, never a module by name and never `getattr`. A hook left
at its default here means "this provider does not do that" (the `can_*` class methods tell).

The hooks, in the order a connection lives through them:

Declarations (class attributes)
    key, name             registry key (also `Connection.provider`) and the name people see
    aliases               other spellings its own code uses (URL prefixes, namespaces); shared
                          code must not contain any of them (tests/test_provider_names.py)
    capabilities          record types and directions, how changes come back, how it connects
    rate_limit            the provider's budget (`RateLimitPolicy`, `per_endpoint` for limits
                          counted per endpoint); `rate_limit_scope()` says whose budget it is
    operations            {"<record>.<verb>": Operation}: what the engine runs for a job
    remote_url_template   the provider's web page of a remote object (`{remote_id}`)

Connecting
    connect_flow          how `start_connect` connects: OAUTH_CODE (the browser goes to the
                          provider's consent page and comes back to our callback), ONBOARDING
                          (the provider's approval page, then back), or "" when connecting is
                          done on the provider's own settings page (e.g. a pasted key)
    start_connect()       -> the URL to send the browser to (single-use state bound to the user)
    finish_connect()      the browser is back: exchange, store encrypted, read the company
    refresh_credentials() a new access token (called single-flight by `integrations.credentials`)
    revoke_credentials()  tell the provider to forget our grant (disconnect calls it)
    disconnect()          final here: revoke at the provider where it can, then clear locally
    test_connection()     ask the provider who we are: {"company_name", ...}

Mappings and checks
    list_vat_codes(), list_accounts()   what the mapping editor offers
    list_salary_codes()   the salary (pay) codes the pay-type mapping offers to pick from
    validators            {record_type: callable(provider, record) -> [ValidationProblem]}
    validate_export()     every problem at once, each with its fix link (final here)

Inbound
    poll()                one changed-since import of this connection (the core loop in
                          `integrations.inbound` runs it for every connected connection)
    import_record()       fetch one remote record now (a webhook said it changed)
    schedules()           [Schedule]: periodic hooks, created by `manage.py setup_schedules`
    webhook_connections() which connection(s) an unverified event names
    webhook_verify()      check the request (our HMAC scheme by default) -> the event id
    handle_webhook()      process one verified, stored event (in the queue, retried)

The dealer's flow (contract -> order -> invoice -> payment status; `contracts.dealerflow`)
    dealer_flow           DealerFlow: the operations the shared contract page runs, and the
                          provider's connect template on the shared Settings -> Accounting page
    dealer_mapping_problems()  checks of the mapped accounts and VAT codes at the provider
    dealer_setup_problems()    extra checks of the settings page's "Validate"
    invoice_payment_state()    re-read one invoice's payment state (a PaymentState)

Pages, demo, acceptance
    urls                  dotted module with `app_name` and `urlpatterns`, included at the root
    settings_url_name     the provider's own settings page, if it has one
    nav                   [NavEntry] shown to organizations that use the provider
    panels                {record type: template}: the provider's part of a record's page,
                          rendered with `panel_context(record, request)`; under the key
                          INTEGRATIONS_PAGE, its part of its own section on the Integrationer
                          page (shown connected or not), rendered with
                          `panel_context(None, request)`
    templates dir         `<package>/templates/` is on the template path automatically
    demo()                ProviderDemo: which demo organization uses it and its mappings
    acceptance()          dotted path of a callable(*, stdout, style, verbosity) -> bool, run by
                          `make demo`
"""

import hashlib
import inspect
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from integrations.ratelimit import RateLimitPolicy

logger = logging.getLogger("integrations.providers")

OUT, IN, BOTH = "out", "in", "both"
OAUTH_CODE, ONBOARDING = "oauth2_code", "onboarding"
# The `panels` key of a provider's part of its section on the Integrationer page.
INTEGRATIONS_PAGE = "integrations_page"


@dataclass(frozen=True)
class Capabilities:
    # record type -> direction ("out", "in" or "both")
    records: dict = field(default_factory=dict)
    # "poll", "webhook" or "poll+webhook": how changes come back
    inbound: str = "poll"
    # "oauth2_code", "client_credentials", "onboarding" ... (for the README's matrix)
    auth: tuple = ()
    notes: str = ""

    def exports(self, record_type):
        return self.records.get(record_type) in (OUT, BOTH)

    def imports(self, record_type):
        return self.records.get(record_type) in (IN, BOTH)


@dataclass(frozen=True)
class OperationResult:
    remote_id: str
    remote_number: str = ""
    remote_url: str = ""
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One kind of job: `perform` does it, `find_existing` looks for what an earlier, unknown
    attempt may have created (by our reference, compared exactly) so it is adopted, not repeated.
    Both take (provider, job). `find_existing` returns an OperationResult or None."""

    record_type: str
    perform: Callable
    find_existing: Callable | None = None
    # Store a Link (record_type, local_id) <-> remote_id when the operation succeeds.
    links: bool = True
    # Called as on_success(provider, job, result) inside the transaction that marks the job done,
    # to update local records (e.g. the contract's order number). Database writes only, no HTTP.
    on_success: Callable | None = None


@dataclass(frozen=True)
class Schedule:
    """A periodic hook: `integrations.tasks.run_provider_schedule(key, hook)` calls the class
    method `hook` of the provider (default `poll_all`, the core poll loop) every `minutes`."""

    name: str
    minutes: int
    hook: str = "poll_all"


@dataclass(frozen=True)
class NavEntry:
    label: str  # English source, translated when shown
    url_name: str
    # the resolver's url names that mark this entry as the current page
    current: tuple = ()


@dataclass(frozen=True)
class ProviderDemo:
    """What `load_demo` sets up for a provider: the demo organization (by slug) that uses it and
    its mappings {category: (account number, VAT code, description)}."""

    organization_slug: str
    mappings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DealerFlow:
    """The dealer's contract -> order -> invoice -> "Betalt" at this provider. The shared
    contract page, customer page, Settings -> Accounting, the dealer's API and its acceptance
    run (`contracts.dealerflow`) run these operations (keys of `operations`): the customer
    (record type "customer", local id the customer), the order and the invoice (local id the
    contract, whose accounting fields their `on_success` hooks write)."""

    customer_operation: str = "customer.upsert"
    order_operation: str = "order.create"
    invoice_operation: str = "invoice.create"
    # jobs that follow the invoice (e.g. waiting until it is sent), shown with the others
    follow_up_operations: tuple = ()
    # the provider's part of Settings -> Accounting (connect form or button), from its
    # templates; rendered with `connection`, `connected`, `is_admin`, `provider`
    connect_template: str = ""


class Provider:
    key: ClassVar[str] = ""
    name: ClassVar[str] = ""
    aliases: ClassVar[tuple] = ()
    capabilities: ClassVar[Capabilities] = Capabilities()
    rate_limit: ClassVar[RateLimitPolicy | None] = None
    operations: ClassVar[dict] = {}
    remote_url_template: ClassVar[str] = ""

    connect_flow: ClassVar[str] = ""
    validators: ClassVar[dict] = {}
    urls: ClassVar[str] = ""
    settings_url_name: ClassVar[str] = ""
    nav: ClassVar[tuple] = ()
    panels: ClassVar[dict] = {}
    dealer_flow: ClassVar[DealerFlow | None] = None

    def __init__(self, connection):
        self.connection = connection

    # -- what it can do (asked by pages and the API) --------------------------------------------
    @classmethod
    def _overrides(cls, hook):
        # Compare the attributes as defined (not bound): a classmethod read through the class
        # is a new bound method every time, so `is` would always say "overridden".
        return inspect.getattr_static(cls, hook) is not inspect.getattr_static(Provider, hook)

    @classmethod
    def can_connect_here(cls) -> bool:
        """Whether our pages connect it by sending the browser to the provider and back."""
        return (bool(cls.connect_flow) and cls._overrides("start_connect")
                and cls._overrides("finish_connect"))

    @classmethod
    def can_import(cls) -> bool:
        return cls._overrides("poll")

    @classmethod
    def receives_webhooks(cls) -> bool:
        return cls._overrides("handle_webhook")

    @classmethod
    def import_types(cls) -> list[str]:
        if not cls.can_import():
            return []
        return [t for t in cls.capabilities.records if cls.capabilities.imports(t)]

    @classmethod
    def export_types(cls) -> list[str]:
        """Record types sent by the generic "<type>.export" operation."""
        return [t for t in cls.capabilities.records
                if cls.capabilities.exports(t) and f"{t}.export" in cls.operations]

    # -- rate limiting ------------------------------------------------------------------------
    def rate_limit_scope(self) -> tuple:
        """The parts that say whose budget a request spends (e.g. our client id and the
        tenant, or our subscription key). They may be secret: the limiter key is a digest."""
        return (f"connection-{self.connection.pk}",)

    def rate_limit_endpoint(self, path: str) -> str:
        """The endpoint a path counts against, for `per_endpoint` limits: the path without
        ids and query (`/v2/customers/12?x=1` -> `v2/customers`)."""
        parts = [p for p in path.split("?")[0].strip("/").split("/") if p]
        named = [p for p in parts if not re.search(r"\d", p) or re.fullmatch(r"v\d+", p)]
        return "/".join(named).lower()[:80]

    def rate_limit_key(self, path: str = "") -> str:
        """The limiter's key: the provider's key, a digest of the scope (a key never holds a
        secret) and, for per-endpoint limits, the endpoint."""
        key = self.rate_limit_key_for(self.rate_limit_scope())
        if self.rate_limit is not None and self.rate_limit.per_endpoint and path:
            key = f"{key}:{self.rate_limit_endpoint(path)}"
        return key

    @classmethod
    def rate_limit_key_for(cls, scope) -> str:
        """The key of a scope (without endpoint), also before there is a connection to ask: a
        request made while connecting, once the provider has said which company it is."""
        digest = hashlib.sha256("\x1f".join(map(str, scope)).encode())
        return f"{cls.key}:{digest.hexdigest()[:24]}"

    # -- connecting ---------------------------------------------------------------------------
    @classmethod
    def start_connect(cls, *, organization, user, options=None) -> str:
        """The URL to send the person's browser to (the provider's consent or approval page).
        Raise ActionBlocked (with what to do) when it cannot start, e.g. settings missing."""
        raise NotImplementedError

    @classmethod
    def finish_connect(cls, *, params, user):
        """The browser is back at our callback with `params` (the query string as a dict).
        Check the single-use state, exchange, store the credentials encrypted, read the
        company; return the Connection. Raise ActionBlocked with what to do."""
        raise NotImplementedError

    def refresh_credentials(self, credentials: dict) -> tuple[dict, object]:
        """Get a new access token (HTTP). Returns (new credentials, expires_at).

        Raise AuthError when the grant is gone. Called under the per-connection refresh lock,
        outside any database transaction, so it never runs twice at once for one connection."""
        raise NotImplementedError

    def revoke_credentials(self, credentials: dict) -> bool | None:
        """Tell the provider to forget our grant, where its API allows (HTTP). True when the
        provider confirmed, False when it did not (or raise ProviderError); None (this
        default) when its API has no way to revoke."""
        return None

    def disconnect(self, *, user=None) -> str:
        """Revoke at the provider (where its API allows), then clear the credentials here and
        mark the connection disconnected, whatever the provider answered. Links and the sync
        log stay. Returns what happened at the provider, for the log and the page."""
        from integrations.connections import disconnect_connection_rollback_unsafe

        return disconnect_connection_rollback_unsafe(self, user=user)

    def test_connection(self) -> dict:
        raise NotImplementedError

    # -- mappings and checks --------------------------------------------------------------------
    def list_vat_codes(self) -> list:
        raise NotImplementedError

    def list_accounts(self) -> list:
        raise NotImplementedError

    def list_salary_codes(self) -> list:
        """[{"code", "name"}]: the salary (pay) codes our pay types can map to, so the admin
        picks one instead of typing it."""
        raise NotImplementedError

    def validate_export(self, record_type, record) -> list:
        """Every problem that blocks sending `record` (ValidationProblem with its fix link)."""
        validator = self.validators.get(record_type)
        return list(validator(self, record)) if validator is not None else []

    # -- operations ---------------------------------------------------------------------------
    def operation(self, name) -> Operation:
        try:
            return self.operations[name]
        except KeyError as exc:
            raise LookupError(f"{self.name} has no operation {name!r}") from exc

    def remote_url(self, remote_id) -> str:
        return self.remote_url_template.format(remote_id=remote_id) if remote_id else ""

    # -- inbound ------------------------------------------------------------------------------
    def poll(self, *, record_types=None, since=None) -> dict:
        """One import of what changed since this connection's cursor (or `since`), for the
        given record types (default: all it imports). Returns {record_type: counts}."""
        raise NotImplementedError

    def import_record(self, record_type, remote_id):
        """Fetch one remote record now and apply it here (a webhook said it changed)."""
        raise NotImplementedError

    @classmethod
    def poll_all(cls) -> dict:
        """The scheduled poll: every connected connection of this provider, one at a time."""
        from integrations.inbound import poll_provider_connections

        return poll_provider_connections(cls)

    @classmethod
    def schedules(cls) -> list:
        """Periodic hooks (Schedule); by default none."""
        return []

    @classmethod
    def webhook_connections(cls, payload, request) -> list:
        """The connection(s) an inbound event names, before it is verified ([] for none).
        It runs on every event: `integrations.webhooks.lookup.remembered_connections` keeps
        the answer per process for a few seconds (a refusal is re-checked on fresh reads)."""
        return []

    @classmethod
    def webhook_verify(cls, request, raw_body: bytes, connection) -> str:
        """Check an inbound request for `connection`; return the event's unique id. Raise
        `integrations.webhooks.WebhookInvalid` with the reason. Default: our HMAC scheme over
        timestamp, event id and raw body with the connection's active secrets."""
        from integrations.webhooks.signing import verify_hub_signature

        return verify_hub_signature(request, raw_body, connection)

    def handle_webhook(self, event):
        """Process one verified, stored event (`WebhookEvent`), in the queue. Raise to have it
        retried with the engine's backoff. Returns a short note for the log, or None."""
        raise NotImplementedError

    # -- the dealer's flow (see DealerFlow) ---------------------------------------------------
    def dealer_mapping_problems(self, organization, accounts, vats, *, fresh=False) -> list:
        """Problems with the mapped {category: account} and {category: VAT code} as the
        provider has them (HTTP; cache what a page view asks), each a ValidationProblem with
        its fix link; [] when they fit or the provider cannot be asked now."""
        return []

    def dealer_setup_problems(self, organization) -> list:
        """What else the settings page's "Validate" finds (e.g. a default project that does
        not exist at the provider), as ValidationProblems."""
        return []

    def invoice_payment_state(self, remote_invoice_id):
        """The payment state of one invoice read from the provider now
        (`integrations.payments.PaymentState`)."""
        raise NotImplementedError

    # -- pages ----------------------------------------------------------------------------------
    @classmethod
    def panel_context(cls, record, request) -> dict:
        """The context of this provider's panel on a record's page (see `panels`)."""
        return {}

    # -- demo and acceptance ----------------------------------------------------------------
    @classmethod
    def demo(cls):
        """ProviderDemo, or None when the demo does not use this provider."""
        return None

    @classmethod
    def acceptance(cls) -> str:
        """Dotted path of a callable(*, stdout, style, verbosity) -> bool that runs its acceptance
        criteria against its simulator (`make demo`), or "" for none."""
        return ""
