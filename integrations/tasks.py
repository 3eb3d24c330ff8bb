"""django-q2 task entry points: thin, by id, safe to run twice."""

from integrations import credentials
from integrations.engine import run_job, sweep


def run_sync_job(job_id):
    return run_job(job_id)


def sweep_sync_jobs():
    return sweep()


def refresh_expiring_tokens():
    return credentials.refresh_expiring()
