"""A connection's webhook secrets: made here, stored encrypted, shown to a person once.

Rotation without losing events: `new_secret` adds a secret while the previous one stays active,
the sender is switched over, then the previous one is retired (by hand, or by itself after
`overlap`). At most two are active at once; making a third retires the oldest at once.
"""

import secrets as random_secrets
from datetime import timedelta

from django.core.signals import setting_changed
from django.db import connections, router, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from integrations.models import Connection, WebhookSecret

MAX_ACTIVE = 2
_PLAINTEXTS: dict[bytes, str] = {}
_PLAINTEXTS_MAX = 1000


def active_secret_rows(connection, *, now=None):
    now = now or timezone.now()
    return (WebhookSecret.objects.for_org(connection.organization)
            .filter(connection=connection)
            .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=now))
            .order_by("-created_at", "-pk"))


def active_secrets(connection) -> list[str]:
    """The plaintext of every active secret, newest first (for verifying only).

    On every webhook: one plain SQL query (the ORM's own work per query cost more than the
    query), each ciphertext decrypted once per process. The query still runs every time, so a
    secret made or retired anywhere counts from the next request on; only plaintexts are kept,
    in memory, keyed by their ciphertext."""
    field = WebhookSecret._meta.get_field("encrypted_secret")
    db = connections[router.db_for_read(WebhookSecret)]
    q = db.ops.quote_name
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {q('encrypted_secret')} FROM {q(WebhookSecret._meta.db_table)} "
            f"WHERE {q('organization_id')} = %s AND {q('connection_id')} = %s "
            f"AND ({q('retired_at')} IS NULL OR {q('retired_at')} > %s) "
            f"ORDER BY {q('created_at')} DESC, {q('id')} DESC",
            [connection.organization_id, connection.pk,
             db.ops.adapt_datetimefield_value(timezone.now())])
        ciphertexts = [bytes(row[0]) for row in cursor.fetchall()]
    secrets = []
    for ciphertext in ciphertexts:
        plaintext = _PLAINTEXTS.get(ciphertext)
        if plaintext is None:
            if len(_PLAINTEXTS) >= _PLAINTEXTS_MAX:
                _PLAINTEXTS.clear()
            plaintext = _PLAINTEXTS[ciphertext] = field.from_db_value(ciphertext, None, db)
        secrets.append(plaintext)
    return secrets


@receiver(setting_changed)
def _keys_changed(*, setting, **kwargs):
    # A ciphertext that no longer decrypts under the new keys must not verify from memory.
    if setting in ("ENCRYPTION_KEYS", "FERNET_KEYS", "FERNET_USE_HKDF"):
        _PLAINTEXTS.clear()


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
