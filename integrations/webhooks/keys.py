"""A connection's webhook secrets: made here, stored encrypted, shown to a person once.

Rotation without losing events: `new_secret` adds a secret while the previous one stays active,
the sender is switched over, then the previous one is retired (by hand, or by itself after
`overlap`). At most two are active at once; making a third retires the oldest at once.
"""

import secrets as random_secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.models import Connection, WebhookSecret
from integrations.webhooks import lookup

MAX_ACTIVE = 2


def active_secret_rows(connection, *, now=None):
    now = now or timezone.now()
    return (WebhookSecret.objects.for_org(connection.organization)
            .filter(connection=connection)
            .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=now))
            .order_by("-created_at", "-pk"))


def active_secrets(connection) -> list[str]:
    """The plaintext of every active secret, newest first (for verifying only).

    Read and decrypted at most once per `lookup.SECONDS` per process (see `lookup` for what
    that means for a secret made or retired elsewhere); a retirement time is compared with
    the clock on every call, so a planned switch-over is exact."""
    rows = lookup.remembered(("secrets", connection.pk), lambda: _active_rows(connection))
    now = timezone.now()
    return [plaintext for plaintext, retired_at in rows if retired_at is None or retired_at > now]


def _active_rows(connection):
    return list(WebhookSecret.objects.filter(organization_id=connection.organization_id)
                .filter(connection_id=connection.pk)
                .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=timezone.now()))
                .order_by("-created_at", "-pk")
                .values_list("encrypted_secret", "retired_at"))


def new_secret(connection, *, label="", overlap: timedelta | None = None) -> str:
    """Make a new secret for the connection and return its plaintext: the only time anyone
    sees it. The previous secret stays active (retired after `overlap` when given); older ones
    are retired now, so no more than two are ever active."""
    value = random_secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        # One rotation at a time per connection, or two could each keep "the previous one".
        Connection.objects.select_for_update().filter(pk=connection.pk).first()
        previous = list(active_secret_rows(connection, now=now))
        keep, retire_now = previous[:MAX_ACTIVE - 1], previous[MAX_ACTIVE - 1:]
        for row in retire_now:
            row.retired_at = now
            row.save(update_fields=["retired_at"])
        if overlap is not None:
            for row in keep:
                if row.retired_at is None or row.retired_at > now + overlap:
                    row.retired_at = now + overlap
                    row.save(update_fields=["retired_at"])
        WebhookSecret.objects.create(
            organization_id=connection.organization_id, connection=connection,
            encrypted_secret=value, label=label or f"created {now:%Y-%m-%d %H:%M} UTC",
            created_at=now,
        )
    return value


def retire_secret(secret: WebhookSecret, *, at=None):
    """Stop accepting a secret (now, or at a later time for a planned switch-over)."""
    secret.retired_at = at or timezone.now()
    secret.save(update_fields=["retired_at"])
