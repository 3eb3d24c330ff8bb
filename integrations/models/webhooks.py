"""The inbox of inbound webhooks: stored raw first, then verified and processed in the queue."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.models.connections import Connection


class WebhookEvent(models.Model):
    """The inbox: every inbound webhook is stored raw first, then verified and processed.

    `status` walks received -> refused | duplicate | accepted or queued -> running ->
    processed, or back to retry (due at `next_attempt_at`), then dead after `SYNC_MAX_RETRIES`
    retries; a permanent error makes it failed. Accepted: verified and stored by the endpoint's
    fast path; the sweep queues its task (`processing.relay_accepted`) without writing to the
    row. While accepted, queued or running, `next_attempt_at` is the deadline after which the
    sweeper takes the task (or its worker) for lost."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        REFUSED = "refused", _("Refused")
        DUPLICATE = "duplicate", _("Duplicate")
        ACCEPTED = "accepted", _("Accepted")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Processing")
        RETRY = "retry", _("Will retry")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        DEAD = "dead", _("Dead letter")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField(_("provider"), max_length=40)
    organization = models.ForeignKey(
        "accounting.Organization", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", verbose_name=_("organization"),
    )
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events",
        verbose_name=_("connection"),
    )
    provider_event_id = models.CharField(
        _("event id at the provider"), max_length=200, null=True, blank=True)
    raw_body = models.BinaryField(_("body"))
    headers = models.JSONField(_("headers"), default=dict)
    source_ip = models.GenericIPAddressField(_("sender IP"), null=True, blank=True)
    valid = models.BooleanField(_("valid signature"), null=True)
    processed = models.BooleanField(_("processed"), default=False)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    # The last reason it was refused or failed.
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
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


class WebhookRelayMark(models.Model):
    """How far the sweep has queued the tasks of accepted events: every accepted event received
    up to `relayed_until` has its task (`processing.relay_accepted`). One row; the sweep that
    holds its lock relays, so two sweeps never queue an event twice."""

    relayed_until = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook relay mark")

    def __str__(self):
        return f"relayed until {self.relayed_until.isoformat()}"
