"""What the webhook endpoint reads on every event, remembered per process for a few seconds.

Every accepted event needs the connection its sender names and that connection's active
secrets (decrypted). Both change seldom, and reading them was two of a webhook's round trips to
the database, so each process keeps what it read for `SECONDS`:

- A cached answer is only trusted when it ACCEPTS. Before a request is refused, the endpoint
  reads everything again (`fresh_only`), so a secret made a moment ago, or a tenant connected a
  moment ago, verifies at once. Nothing that was not found is remembered.
- What this process changes itself (a secret or connection saved or deleted through the ORM)
  is forgotten at once (the signals below); an expiry set ahead (`retire_secret(at=...)`,
  rotation's overlap) is checked against the clock on every use.
- What another process changes (the admin in another web worker, a script) counts in this
  one within `SECONDS`: a secret retired there still verifies here for at most that long; an
  event for a connection deleted there fails to store here (one 500, the sender retries), and
  the failure makes this process forget and read again.

Only this process's memory holds the plaintexts: never Django's cache framework, which may be
shared (Redis) and would store them in the clear.
"""

import contextlib
import contextvars
import time

from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

SECONDS = 5.0
MAX_ENTRIES = 2000

_entries: dict = {}  # key -> (monotonic time it was read, value)
_generation = 0  # counts `forget`s: a read that overlapped one is not remembered
_fresh_only = contextvars.ContextVar("webhook_lookup_fresh_only", default=False)
_served = contextvars.ContextVar("webhook_lookup_served", default=None)


def remembered(key, load):
    """`load()`'s answer for `key`, read again when older than `SECONDS`. An empty answer
    (nothing found) is not remembered."""
    now = time.monotonic()
    if not _fresh_only.get():
        entry = _entries.get(key)
        if entry is not None and now - entry[0] < SECONDS:
            served = _served.get()
            if served is not None:
                served.append(key)
            return entry[1]
    generation = _generation
    value = load()
    if value and generation == _generation:  # nothing was forgotten while it was read
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (now, value)
    elif not value:
        _entries.pop(key, None)
    return value


def remembered_connections(provider_key, tenant, load) -> list:
    """For a provider's `webhook_connections`: `load()` (the connections an event's `tenant`
    names, a list) remembered under (provider, tenant)."""
    return remembered(("connections", provider_key, tenant), load)


@contextlib.contextmanager
def tracking():
    """Collect the keys answered from memory inside the block (a list, filled as it runs)."""
    served = []
    token = _served.set(served)
    try:
        yield served
    finally:
        _served.reset(token)


@contextlib.contextmanager
def fresh_only():
    """Inside the block everything is read from the database (and remembered again)."""
    token = _fresh_only.set(True)
    try:
        yield
    finally:
        _fresh_only.reset(token)


def forget():
    """Forget everything remembered (the next request of each kind reads again)."""
    global _generation
    _generation += 1
    _entries.clear()


@receiver(post_save, sender="integrations.Connection", dispatch_uid="webhook_lookup_conn_save")
@receiver(post_delete, sender="integrations.Connection",
          dispatch_uid="webhook_lookup_conn_delete")
@receiver(post_save, sender="integrations.WebhookSecret",
          dispatch_uid="webhook_lookup_secret_save")
@receiver(post_delete, sender="integrations.WebhookSecret",
          dispatch_uid="webhook_lookup_secret_delete")
def _changed_here(**kwargs):
    # Connections and secrets change seldom: forgetting everything is simpler than knowing
    # which tenant keys a connection was remembered under, and costs one read per key. Again
    # after the commit: another thread may read the old rows until then.
    forget()
    transaction.on_commit(forget, using=kwargs.get("using"))


@receiver(setting_changed, dispatch_uid="webhook_lookup_setting_changed")
def _keys_changed(*, setting, **kwargs):
    # A ciphertext that no longer decrypts under the new keys must not verify from memory.
    if setting in ("ENCRYPTION_KEYS", "FERNET_KEYS", "FERNET_USE_HKDF", "DATABASES"):
        forget()
