"""Secrets at rest: django-fernet-fields-v2 does the encryption; this module handles key changes.

The field caches its Fernet objects; they are dropped whenever `ENCRYPTION_KEYS` changes (tests
use `override_settings`), and `reencrypt_all` rewrites every encrypted column under the newest key.
"""

from django.apps import apps
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from fernet_fields import EncryptedField

_CACHED = ("keys", "fernet_keys", "fernet")


def encrypted_fields():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        if fields:
            yield model, fields


def reset_key_cache():
    for _model, fields in encrypted_fields():
        for field in fields:
            for name in _CACHED:
                field.__dict__.pop(name, None)


@receiver(setting_changed)
def _keys_changed(*, setting, **kwargs):
    if setting in ("ENCRYPTION_KEYS", "FERNET_KEYS", "FERNET_USE_HKDF"):
        reset_key_cache()


def reencrypt_all(batch_size=500):
    """Decrypt every encrypted value with any key in the list and write it under the first.

    Returns {"app.Model": rows} so the command can report what it touched.
    """
    from django.conf import settings

    if list(settings.FERNET_KEYS) != list(settings.ENCRYPTION_KEYS):
        settings.FERNET_KEYS = list(settings.ENCRYPTION_KEYS)
        reset_key_cache()
    counts = {}
    for model, fields in encrypted_fields():
        names = [f.name for f in fields]
        done = 0
        with transaction.atomic():
            qs = model._base_manager.select_for_update().only("pk", *names).order_by("pk")
            for obj in qs.iterator(chunk_size=batch_size):
                obj.save(update_fields=names)
                done += 1
        counts[model._meta.label] = done
    return counts
