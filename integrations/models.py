"""Connections, mappings, links and the sync engine's tables.

Every row belongs to one organization (directly or through its connection), and every read in
views, services, tasks and admin goes through `for_org`.
"""

import json
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from fernet_fields import EncryptedTextField

from accounting.tenancy import TenantModel


class Connection(TenantModel):
    """One organization's link to one provider account, with its encrypted credentials."""

    class Status(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        NEEDS_REAUTH = "needs_reauth", _("Needs re-authorization")
        DISCONNECTED = "disconnected", _("Disconnected")

    provider = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DISCONNECTED)
    # JSON of the provider's secrets (access/refresh tokens, client keys); never shown anywhere.
    encrypted_credentials = EncryptedTextField(blank=True, default="")
    # Not secret, and fernet's datetime field is broken on psycopg 3: a plain column.
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every credential change so a worker can tell "someone refreshed since I looked".
    credentials_version = models.PositiveIntegerField(default=0)
    remote_company_name = models.CharField(max_length=200, blank=True)
    remote_tenant_id = models.CharField(max_length=100, blank=True)
    status_reason = models.TextField(blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="connection_one_per_provider"
            )
        ]

    def __str__(self):
        return f"{self.provider_name} ({self.get_status_display()})"

    @property
    def provider_name(self):
        from integrations.providers import registry

        return registry.name_of(self.provider)

    @property
    def credentials(self) -> dict:
        return json.loads(self.encrypted_credentials) if self.encrypted_credentials else {}

    def set_credentials(self, credentials: dict, *, expires_at=None):
        self.encrypted_credentials = json.dumps(credentials) if credentials else ""
        self.token_expires_at = expires_at
        self.credentials_version += 1

    def clear_credentials(self):
        self.set_credentials({})

    def token_expires_within(self, seconds) -> bool:
        if self.token_expires_at is None:
            return not self.credentials.get("access_token")
        return self.token_expires_at <= timezone.now() + timezone.timedelta(seconds=seconds)


class AccountingSettings(TenantModel):
    """An organization's defaults for documents sent to one provider."""

    class DeliveryChannel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        EHF = "ehf", _("EHF / e-invoice")
        PRINT = "print", _("Print / post")
        NONE = "none", _("Do not send (book only)")

    provider = models.CharField(max_length=40)
    payment_terms_days = models.PositiveIntegerField(
        default=14, choices=[(14, _("14 days")), (30, _("30 days"))]
    )
    default_project_code = models.CharField(_("default project"), max_length=40, blank=True)
    default_department_code = models.CharField(_("default department"), max_length=40, blank=True)
    invoice_delivery_channel = models.CharField(
        max_length=10, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("accounting defaults")
        verbose_name_plural = _("accounting defaults")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="accounting_settings_unique"
            )
        ]

    def __str__(self):
        return f"{self.provider} defaults"


class CategoryMapping(TenantModel):
    provider = models.CharField(max_length=40)
    category = models.CharField(max_length=40, help_text=_("Our line category, e.g. 'addon'"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["provider", "category"]


class VatMapping(CategoryMapping):
    vat_code = models.CharField(_("VAT code at the provider"), max_length=20)
    description = models.CharField(max_length=100, blank=True)

    class Meta(CategoryMapping.Meta):
        verbose_name = _("VAT mapping")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "category"], name="vat_mapping_unique"
            )
        ]

    def __str__(self):
        return f"{self.category} -> VAT {self.vat_code}"


class AccountMapping(CategoryMapping):
    account_number = models.CharField(_("sales account"), max_length=20)
    description = models.CharField(max_length=100, blank=True)

    class Meta(CategoryMapping.Meta):
        verbose_name = _("account mapping")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "category"], name="account_mapping_unique"
            )
        ]

    def __str__(self):
        return f"{self.category} -> account {self.account_number}"


class PayTypeMapping(TenantModel):
    """Our payslip pay type (e.g. "monthly_salary", "overtime") -> the provider's salary code
    (Fortnox `SalaryCode`). Payslips with an unmapped pay type are not sent."""

    provider = models.CharField(max_length=40)
    pay_type = models.CharField(_("pay type"), max_length=40,
                                help_text=_("Our pay type, as on payslip lines"))
    salary_code = models.CharField(_("salary code at the provider"), max_length=20)
    description = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "pay_type"]
        verbose_name = _("pay type mapping")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "pay_type"], name="pay_type_mapping_unique"
            )
        ]

    def __str__(self):
        return f"{self.pay_type} -> salary code {self.salary_code}"


class Link(TenantModel):
    """One local record <-> one remote object, unique both ways per connection and type."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="links")
    record_type = models.CharField(max_length=40)
    local_id = models.CharField(max_length=64)
    remote_id = models.CharField(max_length=128)
    remote_number = models.CharField(max_length=64, blank=True, help_text=_("Shown to people"))
    remote_url = models.URLField(max_length=500, blank=True)
    remote_modified_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "record_type", "local_id"], name="link_unique_local"
            ),
            models.UniqueConstraint(
                fields=["connection", "record_type", "remote_id"], name="link_unique_remote"
            ),
        ]

    def __str__(self):
        return f"{self.record_type} {self.local_id} <-> {self.remote_id}"


class SyncJob(TenantModel):
    """The intent to do one thing at a provider; survives crashes, retries and double clicks."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        UNKNOWN = "unknown", _("Outcome unknown")
        FAILED = "failed", _("Failed")
        DEAD = "dead", _("Dead letter")
        DONE = "done", _("Done")

    class Priority(models.IntegerChoices):
        INTERACTIVE = 0, _("Interactive")
        BACKGROUND = 10, _("Background")

    RETRYABLE_BY_HAND = (Status.FAILED, Status.DEAD)

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="jobs")
    operation = models.CharField(max_length=60, help_text=_("e.g. order.create"))
    record_type = models.CharField(max_length=40)
    local_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    external_reference = models.CharField(
        max_length=100, help_text=_("Our reference, written into the remote object")
    )
    params = models.JSONField(default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.BACKGROUND
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_retries = models.PositiveIntegerField(default=5)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # An earlier attempt may have created the remote object: look before creating again.
    outcome_uncertain = models.BooleanField(default=False)
    # True while a task for this job sits in the queue, so the sweeper does not add a second one.
    dispatched = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    last_response_code = models.PositiveIntegerField(null=True, blank=True)
    remote_id = models.CharField(max_length=128, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="syncjob_due"),
            models.Index(fields=["connection", "record_type", "local_id"], name="syncjob_record"),
        ]

    def __str__(self):
        return f"{self.operation} {self.record_type}:{self.local_id} [{self.status}]"

    @property
    def provider(self):
        return self.connection.provider

    @property
    def is_active(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING, self.Status.UNKNOWN)


class SyncLogEntry(TenantModel):
    """One operation against a provider: what, on which record, how it went. No personal data."""

    class Status(models.TextChoices):
        OK = "ok", _("OK")
        RETRY = "retry", _("Will retry")
        UNKNOWN = "unknown", _("Outcome unknown")
        FAILED = "failed", _("Failed")
        DEAD = "dead", _("Dead letter")
        CONFLICT = "conflict", _("Conflict resolved")
        INFO = "info", _("Info")

    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="log_entries"
    )
    job = models.ForeignKey(
        SyncJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="log_entries"
    )
    provider = models.CharField(max_length=40)
    entity = models.CharField(max_length=40)
    local_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices)
    message = models.TextField(blank=True)
    provider_response_code = models.PositiveIntegerField(null=True, blank=True)
    # The provider's own error body, verbatim (an unknown error is never reworded away), or the
    # values that lost a conflict.
    details = models.JSONField(default=dict, blank=True)
    # The provider's response body exactly as it came (jsonb would reorder keys and drop
    # duplicates), for support cases and unknown errors.
    raw_response = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sync log entry")
        verbose_name_plural = _("sync monitor")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.entity} {self.status}"


class SyncCursor(TenantModel):
    """Where a poller got to, per connection and record type (a changed-since timestamp or page)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="cursors")
    record_type = models.CharField(max_length=40)
    value = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "record_type"], name="cursor_unique")
        ]


class WebhookEvent(models.Model):
    """The inbox: every inbound webhook is stored raw first, then verified and processed.

    `status` walks received -> refused | duplicate | queued -> running -> processed, or back to
    retry (due at `next_attempt_at`), then dead after `SYNC_MAX_RETRIES` retries; a permanent
    error makes it failed. While queued or running, `next_attempt_at` is the deadline after
    which the sweeper takes the task (or its worker) for lost."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        REFUSED = "refused", _("Refused")
        DUPLICATE = "duplicate", _("Duplicate")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Processing")
        RETRY = "retry", _("Will retry")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        DEAD = "dead", _("Dead letter")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField(max_length=40)
    organization = models.ForeignKey(
        "accounting.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    provider_event_id = models.CharField(max_length=200, null=True, blank=True)
    raw_body = models.BinaryField()
    headers = models.JSONField(default=dict)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    valid = models.BooleanField(null=True)
    processed = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The last reason it was refused or failed.
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_event_id"],
                condition=Q(provider_event_id__isnull=False),
                name="webhook_event_unique",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_event_due")]

    def __str__(self):
        return f"{self.provider} {self.provider_event_id or self.id}"


class WebhookSecret(TenantModel):
    """A shared secret that signs one connection's inbound webhooks (HMAC-SHA256), encrypted at
    rest. Up to two are active at once, so a secret can be rotated without losing events: add the
    new one, switch the sender over, then retire the old one (set `retired_at`)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE,
                                   related_name="webhook_secrets")
    encrypted_secret = EncryptedTextField()
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.label or f"secret {self.pk}"

    @property
    def active(self):
        return self.retired_at is None or self.retired_at > timezone.now()


class OAuthState(TenantModel):
    """A single-use `state` for a redirect-based connect flow (OAuth authorization code, or
    PowerOffice Go's onboarding), bound to the user and organization that started it. Only a
    hash of the value is stored; see `integrations.oauthstate`."""

    provider = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value_hash = models.CharField(max_length=64, unique=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.provider} state for {self.user_id}"


class RateLimitBucket(models.Model):
    """Sliding-window state shared by every worker process; one row per provider-scope key."""

    key = models.CharField(max_length=200, primary_key=True)
    # Admission times (seconds since the epoch, database clock) still inside the window.
    admitted = models.JSONField(default=list)
    # An interactive caller waiting for a slot holds background callers back until this time.
    interactive_waiting_until = models.FloatField(default=0)

    def __str__(self):
        return self.key
