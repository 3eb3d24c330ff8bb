"""The sync engine: durable intents (SyncJob), at-least-once delivery made safe, retries.

- `enqueue_job` records the intent and queues its task in the caller's transaction.
- `run_job` claims the job with a lease, calls the provider, classifies failures.
- `sweep` re-dispatches jobs due for retry and jobs whose lease expired.
- `retry_job` revives a failed or dead job by hand.
"""

from integrations.engine.backoff import backoff_delay
from integrations.engine.jobs import enqueue_job, retry_job
from integrations.engine.runner import run_job
from integrations.engine.sweeper import sweep

__all__ = ["backoff_delay", "enqueue_job", "retry_job", "run_job", "sweep"]
