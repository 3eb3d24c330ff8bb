"""The provider interface. A provider is one package under `integrations/providers/<name>/`.

A provider class declares what it can do (`capabilities`), how its rate limit is scoped
(`rate_limit`), and implements the operations the engine runs. The engine and the pages ask these
declarations, never `if provider == "fortnox"`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from integrations.ratelimit import RateLimitPolicy

OUT, IN, BOTH = "out", "in", "both"


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
    # to update local records (e.g. the contract's order number).
    on_success: Callable | None = None


class Provider:
    key: ClassVar[str] = ""
    name: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()
    rate_limit: ClassVar[RateLimitPolicy | None] = None
    operations: ClassVar[dict] = {}
    # Web UI address of a remote object, for links on our pages: format with remote_id.
    remote_url_template: ClassVar[str] = ""

    def __init__(self, connection):
        self.connection = connection

    # -- rate limiting ------------------------------------------------------------------------
    def rate_limit_key(self) -> str:
        """The provider's real scope of its limit (e.g. subscription key, or client + tenant)."""
        return f"{self.key}:{self.connection.pk}"

    # -- credentials --------------------------------------------------------------------------
    def refresh_credentials(self, credentials: dict) -> tuple[dict, object]:
        """Get a new access token (HTTP). Returns (new credentials, expires_at).

        Raise AuthError when the grant is gone. Called with the connection row locked, so it is
        never called twice at once for one connection."""
        raise NotImplementedError

    def revoke_credentials(self, credentials: dict) -> None:
        """Tell the provider to forget our grant, where its API allows. Best effort."""

    # -- the seed interface (record types add export_/import_ methods) ------------------------
    def test_connection(self) -> dict:
        raise NotImplementedError

    def list_vat_codes(self) -> list:
        raise NotImplementedError

    def list_accounts(self) -> list:
        raise NotImplementedError

    def operation(self, name) -> Operation:
        try:
            return self.operations[name]
        except KeyError as exc:
            raise LookupError(f"{self.name} has no operation {name!r}") from exc

    def remote_url(self, remote_id) -> str:
        return self.remote_url_template.format(remote_id=remote_id) if remote_id else ""
