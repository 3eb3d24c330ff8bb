"""The sandbox's own state: simulated companies, OAuth clients and tokens, fault settings, and a
generic record table the simulators keep their objects in.

Every row carries the `provider` slug of the simulator that owns it (the URL segment under
/sandbox/), so simulators never see each other's tenants, tokens or records, just as one
provider's token means nothing to another. Nothing here refers to the hub's own tables: the
sandbox stands in for the outside world.
"""

import hmac
import uuid

from django.db import models, transaction
from django.db.models import F, Q


class SandboxTenant(models.Model):
    """A company inside one simulated provider (a "tenant", "client" or "customer", as the
    provider calls it). `external_id` is the id the provider shows for it (TenantId, ClientId,
    customer_id); `secret` is a per-company key for providers that issue one to the integration
    (a client key), blank otherwise; `data` holds company facts a simulator
    answers with (organisation number, country, currency...)."""

    provider = models.CharField(max_length=40, db_index=True)
    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    secret = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="sandbox_tenant_unique_external_id"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.provider})"

    def save(self, *args, **kwargs):
        if not self.external_id:
            self.external_id = str(uuid.uuid4())
        super().save(*args, **kwargs)


class SandboxClient(models.Model):
    """An integration registered with a simulated provider: its OAuth client id and secret (or
    an application key) and the redirect URIs its consent flow may return to, one
    per line. A real provider keeps these in its developer portal."""

    provider = models.CharField(max_length=40, db_index=True)
    client_id = models.CharField(max_length=200)
    client_secret = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    redirect_uris = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "client_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "client_id"], name="sandbox_client_unique_client_id"
            ),
        ]

    def __str__(self):
        return f"{self.name or self.client_id} ({self.provider})"

    @property
    def redirect_uri_list(self):
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]

    def allows_redirect_uri(self, uri):
        """Exact match, as the real authorization servers require."""
        return uri in self.redirect_uri_list

    def secret_matches(self, secret):
        return bool(self.client_secret) and hmac.compare_digest(
            self.client_secret.encode(), (secret or "").encode()
        )


class SandboxToken(models.Model):
    """An opaque credential the simulated provider issued: an access token, a refresh token or
    an authorization code. Codes and refresh tokens are single-use: `used_at` is set by one
    conditional UPDATE, so of two concurrent redemptions exactly one wins."""

    ACCESS = "access"
    REFRESH = "refresh"
    CODE = "code"
    KINDS = [(ACCESS, "access token"), (REFRESH, "refresh token"), (CODE, "authorization code")]

    provider = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=KINDS)
    value = models.CharField(max_length=512, unique=True)
    tenant = models.ForeignKey(SandboxTenant, on_delete=models.CASCADE, related_name="tokens")
    client_id = models.CharField(max_length=200)
    scope = models.CharField(max_length=1000, blank=True)
    redirect_uri = models.CharField(max_length=1000, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["provider", "tenant", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.tenant}"

    @property
    def scopes(self):
        return frozenset(self.scope.split())

    def has_scope(self, scope):
        return scope in self.scopes


class SandboxFaultConfig(models.Model):
    """Faults one simulator injects, for all its tenants (`tenant` empty) or for one tenant,
    whose row then replaces the provider-wide one. Counters (`rate_limit_burst`,
    `lost_response_count`) are spent one request at a time by conditional UPDATEs."""

    TIMEOUT = "timeout"
    RESET = "reset"
    TRUNCATE = "truncate"
    LOST_RESPONSE_MODES = [
        (TIMEOUT, "answer only after the client has given up"),
        (RESET, "hang up before sending any of the response"),
        (TRUNCATE, "send part of the response, then hang up"),
    ]

    provider = models.CharField(max_length=40)
    tenant = models.ForeignKey(
        SandboxTenant, null=True, blank=True, on_delete=models.CASCADE, related_name="faults"
    )
    server_error_rate = models.FloatField(default=0.0)
    server_error_status = models.PositiveSmallIntegerField(default=500)
    rate_limit_burst = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    lost_response_count = models.PositiveIntegerField(default=0)
    lost_response_mode = models.CharField(
        max_length=10, choices=LOST_RESPONSE_MODES, default=TIMEOUT
    )
    lost_response_method = models.CharField(max_length=10, default="POST", blank=True)
    lost_response_path_prefix = models.CharField(max_length=500, blank=True)
    # Longer than a typical client timeout (30 s), so a client that waits gets nothing.
    lost_response_delay_seconds = models.FloatField(default=35.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "tenant"], name="sandbox_fault_unique_per_tenant"
            ),
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(tenant__isnull=True),
                name="sandbox_fault_unique_provider_wide",
            ),
        ]

    def __str__(self):
        return f"faults of {self.provider}" + (f" for {self.tenant}" if self.tenant_id else "")


class SandboxRecordQuerySet(models.QuerySet):
    def of(self, tenant, kind):
        return self.filter(tenant=tenant, kind=kind)

    def changed_since(self, moment):
        """Changed strictly after `moment`, as the providers' changed-since filters are."""
        return self.filter(modified_at__gt=moment)


class SandboxRecord(models.Model):
    """Any object a simulator keeps (a customer, an order, an invoice...) as the provider's own
    JSON in `data`, under the provider's id in `remote_id`. `modified_at` moves on every save,
    which is what changed-since filters and pollers need."""

    provider = models.CharField(max_length=40)
    tenant = models.ForeignKey(
        SandboxTenant, null=True, blank=True, on_delete=models.CASCADE, related_name="records"
    )
    kind = models.CharField(max_length=60)
    remote_id = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = SandboxRecordQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["provider", "tenant", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "remote_id"], name="sandbox_record_unique_remote_id"
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.kind} {self.remote_id}"

    def save(self, *args, **kwargs):
        if self.tenant_id and not self.provider:
            self.provider = self.tenant.provider
        super().save(*args, **kwargs)


class SandboxSequence(models.Model):
    """Number series per tenant (customer numbers, document numbers), handed out without gaps
    or duplicates even when requests arrive at once."""

    tenant = models.ForeignKey(SandboxTenant, on_delete=models.CASCADE, related_name="sequences")
    name = models.CharField(max_length=60)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="sandbox_sequence_unique"),
        ]

    def __str__(self):
        return f"{self.name} of {self.tenant}: {self.last_value}"

    @classmethod
    def next_value(cls, tenant, name, *, start=1):
        """The next number of the series `name` for `tenant`; the first is `start`."""
        with transaction.atomic():
            sequence, _ = cls.objects.get_or_create(
                tenant=tenant, name=name, defaults={"last_value": start - 1}
            )
            # The UPDATE takes the row lock; reading back inside the same transaction sees our
            # own increment, never another request's.
            cls.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + 1)
            return cls.objects.values_list("last_value", flat=True).get(pk=sequence.pk)
