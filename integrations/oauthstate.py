"""Single-use `state` values for redirect-based connect flows.

`issue()` returns a random value to put in the redirect; only its SHA-256 is stored, bound to
the user and organization. `consume()` accepts it once, for the same user, before it expires,
and returns the row (with `organization` and `data`); anything else is `ActionBlocked` with a
problem that says what to do, so a forged, replayed or stale callback changes nothing.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.errors import ActionBlocked, ValidationProblem
from integrations.models import OAuthState

STATE_TTL_SECONDS = 900


def _hash(value):
    return hashlib.sha256(value.encode()).hexdigest()


def _blocked(message):
    return ActionBlocked([ValidationProblem(message, field="state")])


def issue(*, provider, organization, user, data=None, ttl=STATE_TTL_SECONDS):
    value = secrets.token_urlsafe(32)
    OAuthState.objects.create(
        organization=organization, provider=provider, user=user, value_hash=_hash(value),
        data=data or {}, expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    return value


def consume(value, *, provider, user):
    """The state row for `value`, marked used. Raises ActionBlocked when the value is
    unknown, already used, expired, for another provider or started by another user."""
    again = "Start the connection again from the settings page."
    if not value:
        raise _blocked(f"The answer from the provider has no state. {again}")
    with transaction.atomic():
        row = (OAuthState.objects.select_for_update().select_related("organization")
               .filter(value_hash=_hash(value), provider=provider).first())
        if row is None or row.user_id != getattr(user, "pk", None):
            raise _blocked(f"This connection attempt is not known for you. {again}")
        if row.used_at is not None:
            raise _blocked(f"This connection attempt was already completed. {again}")
        if row.expires_at <= timezone.now():
            raise _blocked(f"This connection attempt expired. {again}")
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
    return row
