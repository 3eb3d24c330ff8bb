"""Writing the sync log: entity, local id, action, status, provider code, duration.

Messages carry what went wrong in words; the provider's raw body goes to `details` verbatim.
No personal data and no secrets are written by the engine itself."""

import logging

from integrations.logging import redact
from integrations.models import SyncLogEntry

logger = logging.getLogger("integrations.sync")


def log_job_event(job, *, status, message="", response_code=None, details=None, duration_ms=None,
                  raw_response=""):
    entry = SyncLogEntry.objects.create(
        organization_id=job.organization_id,
        connection_id=job.connection_id,
        job=job,
        provider=job.connection.provider,
        entity=job.record_type,
        local_id=job.local_id,
        action=job.operation,
        status=status,
        message=redact(message or ""),
        provider_response_code=response_code,
        details=details or {},
        raw_response=raw_response,
        duration_ms=duration_ms,
    )
    logger.info("sync %s %s %s:%s -> %s (code %s, %s ms)", job.connection.provider, job.operation,
                job.record_type, job.local_id, status, response_code, duration_ms)
    return entry


def log_event(*, organization_id, provider, entity, action, status, message="", local_id="",
              connection=None, response_code=None, details=None, duration_ms=None):
    entry = SyncLogEntry.objects.create(
        organization_id=organization_id, connection=connection, provider=provider, entity=entity,
        local_id=str(local_id), action=action, status=status, message=redact(message or ""),
        provider_response_code=response_code, details=details or {}, duration_ms=duration_ms,
    )
    logger.info("sync %s %s %s:%s -> %s (code %s)", provider, action, entity, local_id, status,
                response_code)
    return entry
