"""django-q2's Redis broker, with a task enqueued inside a transaction pushed when (and only if)
the transaction commits (`Q_BROKER_URL=redis://...`, README "Production").

The ORM broker keeps a task in our own database, so it commits or rolls back with the business
write that queued it (a transactional outbox). Redis is outside the transaction: pushed at once,
a worker could take the task before the job it names is committed (and find nothing), and a
rolled-back write would leave a task for a job that never existed. Deferring the push to
`transaction.on_commit` keeps both properties. What it cannot keep: a process that dies between
the commit and the push loses the task, and the Redis broker does not re-deliver a task whose
worker died. Both leave a job that is due or whose lease expires, which the sweeper
(`run_dispatcher`, the one-minute schedule) re-dispatches.
"""

from django.db import transaction
from django_q.brokers.redis_broker import Redis


class OnCommitRedis(Redis):
    def enqueue(self, task):
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: Redis.enqueue(self, task), robust=True)
            return None
        return super().enqueue(task)
