"""Startup checks for settings whose wrong values fail silently and late."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def check_task_queue(app_configs, **kwargs):
    errors = []
    q = getattr(settings, "Q_CLUSTER", {})
    timeout, retry = q.get("timeout"), q.get("retry")
    if timeout is None or retry is None or retry <= timeout:
        errors.append(checks.Error(
            "Q_CLUSTER['retry'] must be larger than Q_CLUSTER['timeout'], or django-q2 hands a "
            "still-running task to a second worker.",
            hint="Set Q_TIMEOUT and a positive Q_RETRY_MARGIN.", id="integrations.E001"))
    if q.get("catch_up", True):
        errors.append(checks.Error(
            "Q_CLUSTER['catch_up'] must be False: a stopped cluster must not replay every missed "
            "schedule run at once.", id="integrations.E002"))
    if settings.SYNC_LEASE_SECONDS < (timeout or 0):
        errors.append(checks.Warning(
            "SYNC_LEASE_SECONDS is shorter than Q_TIMEOUT: a slow but live job can be taken over "
            "by a second worker.", hint="Make SYNC_LEASE_SECONDS >= Q_TIMEOUT.",
            id="integrations.W001"))
    return errors
