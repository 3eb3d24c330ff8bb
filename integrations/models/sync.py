"""The sync engine's tables: links (local id <-> remote id), jobs (the intents), the sync log,
the pollers' cursors and the rate limiter's shared state."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounting.tenancy import TenantModel
from integrations.models.connections import Connection


class Link(TenantModel):
    """One local record <-> one remote object, unique both ways per connection and type."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="links", verbose_name=_("connection"))
    record_type = models.CharField(_("record type"), max_length=40)
    local_id = models.CharField(_("our id"), max_length=64)
    remote_id = models.CharField(_("id at the provider"), max_length=128)
    remote_number = models.CharField(
        _("number at the provider"), max_length=64, blank=True, help_text=_("Shown to people"))
    remote_url = models.URLField(_("address at the provider"), max_length=500, blank=True)
    remote_modified_at = models.DateTimeField(_("changed at the provider"), null=True, blank=True)
    synced_at = models.DateTimeField(_("synchronized"), default=timezone.now)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
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

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("connection"))
    operation = models.CharField(_("operation"), max_length=60, help_text=_("e.g. order.create"))
    record_type = models.CharField(_("record type"), max_length=40)
    local_id = models.CharField(_("our id"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    external_reference = models.CharField(
        _("our reference at the provider"), max_length=100,
        help_text=_("Our reference, written into the remote object"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.BACKGROUND
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_retries = models.PositiveIntegerField(_("max retries"), default=5)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # An earlier attempt may have created the remote object: look before creating again.
    outcome_uncertain = models.BooleanField(_("outcome uncertain"), default=False)
    # True while a task for this job sits in the queue, so the sweeper does not add a second one.
    dispatched = models.BooleanField(_("queued for a worker"), default=False)
    lease_owner = models.CharField(_("worker"), max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_code = models.CharField(_("error code"), max_length=60, blank=True)
    last_response_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    remote_id = models.CharField(_("id at the provider"), max_length=128, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sync job")
        verbose_name_plural = _("sync jobs")
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
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="log_entries",
        verbose_name=_("connection"),
    )
    job = models.ForeignKey(
        SyncJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="log_entries",
        verbose_name=_("job"),
    )
    provider = models.CharField(_("provider"), max_length=40)
    entity = models.CharField(_("record type"), max_length=40)
    local_id = models.CharField(_("our id"), max_length=64, blank=True)
    action = models.CharField(_("operation"), max_length=60)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    message = models.TextField(_("message"), blank=True)
    provider_response_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    # The provider's own error body, verbatim (an unknown error is never reworded away), or the
    # values that lost a conflict.
    details = models.JSONField(_("provider's response"), default=dict, blank=True)
    # The provider's response body exactly as it came (jsonb would reorder keys and drop
    # duplicates), for support cases and unknown errors.
    raw_response = models.TextField(_("raw response"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sync log entry")
        verbose_name_plural = _("sync monitor")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.entity} {self.status}"


class SyncCursor(TenantModel):
    """Where a poller got to, per connection and record type (a changed-since timestamp or page)."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="cursors", verbose_name=_("connection"))
    record_type = models.CharField(_("record type"), max_length=40)
    value = models.CharField(_("cursor value"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("poll cursor")
        verbose_name_plural = _("poll cursors")
        constraints = [
            models.UniqueConstraint(fields=["connection", "record_type"], name="cursor_unique")
        ]


class RateLimitBucket(models.Model):
    """Sliding-window state shared by every worker process; one row per provider-scope key."""

    key = models.CharField(_("key"), max_length=200, primary_key=True)
    # Admission times (seconds since the epoch, database clock) still inside the window.
    admitted = models.JSONField(_("admissions"), default=list)
    # An interactive caller waiting for a slot holds background callers back until this time.
    interactive_waiting_until = models.FloatField(_("interactive caller waiting until"), default=0)

    class Meta:
        verbose_name = _("rate-limit bucket")
        verbose_name_plural = _("rate-limit buckets")

    def __str__(self):
        return self.key
