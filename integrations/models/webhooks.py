"""The inbox of inbound webhooks: stored raw first, then verified and processed in the queue."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.models.connections import Connection


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
