"""Background jobs reach the task queue in small batches per rate-limit scope, in turn by
organization.

The task queue hands tasks out in arrival order. Queued all at once, one organization's import
of 500 customers would stand in front of everything after it: another organization's jobs on
the same budget and, on a shared cluster, every click. So a background job is queued only while
its scope (the provider's limiter key without endpoint, `Provider.rate_limit_key()`: one key
for all our customers of a provider that counts per subscription, one per client and company
where the provider counts per company) has fewer
than `SYNC_BACKGROUND_IN_FLIGHT` background jobs queued or running; the rest wait in `SyncJob`
(due, not dispatched) until the dispatcher tops the scope up.

Who gets a free place: the organization with the fewest jobs in flight in that scope, ties to
the one served least recently. With equal places each organization gets an equal share of what
the budget gives the scope's background work (round-robin by organization), and a new
organization's first job goes next, whatever backlog another has. Interactive jobs never wait
here: they are queued at once, on their own cluster (`SYNC_INTERACTIVE_CLUSTER`).
"""

import itertools
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from integrations.models import Connection, SyncJob

logger = logging.getLogger("integrations.engine")
S = SyncJob.Status
BACKGROUND = SyncJob.Priority.BACKGROUND

# Which organization was served when, per scope: the tie-break of the round-robin.
_served = {}
_serial = itertools.count()
# connection id -> (scope key, when computed): a connection's scope rarely changes.
_scopes = {}
_SCOPE_TTL_SECONDS = 60.0


def in_flight_limit():
    return max(1, int(settings.SYNC_BACKGROUND_IN_FLIGHT))


def in_flight():
    """Background jobs whose task is in the queue or which a worker is running."""
    return (Q(priority=BACKGROUND)
            & (Q(status=S.RUNNING) | Q(status__in=[S.QUEUED, S.UNKNOWN], dispatched=True)))


def scope_of(connection):
    """The connection's rate-limit scope (its provider's limiter key without endpoint)."""
    cached = _scopes.get(connection.pk)
    now = time.monotonic()
    if cached is not None and now - cached[1] < _SCOPE_TTL_SECONDS:
        return cached[0]
    from integrations.providers import registry

    try:
        provider = registry.for_connection(connection)
        scope = provider.rate_limit_key() if provider.rate_limit is not None else None
    except LookupError:  # a provider no longer registered: its jobs fail when run
        scope = None
    scope = scope or f"connection:{connection.pk}"
    _scopes[connection.pk] = (scope, now)
    return scope


def _scope_connections(provider_keys):
    """scope -> connection ids, for the connected connections of these providers."""
    scopes = {}
    for connection in Connection.objects.filter(provider__in=provider_keys,
                                                status=Connection.Status.CONNECTED):
        scopes.setdefault(scope_of(connection), []).append(connection.pk)
    return scopes


def has_room(connection):
    """Whether a background job of this connection may be queued now (used when it is
    enqueued: an idle scope starts at once, without waiting for the dispatcher)."""
    scope = scope_of(connection)
    ids = _scope_connections([connection.provider]).get(scope, [connection.pk])
    return (SyncJob.objects.filter(in_flight(), connection_id__in=ids).count()
            < in_flight_limit())


def order_of_service(due_by_org, in_flight_by_org, room, scope):
    """The organizations to give `room` places to, in turn: each place to the organization
    with the fewest in flight (counting the places given), ties to the one served least
    recently, then the lower id. `due_by_org`: organization -> due jobs waiting."""
    served = _served.setdefault(scope, {})
    counts = {org: in_flight_by_org.get(org, 0) for org, due in due_by_org.items() if due}
    left = dict(due_by_org)
    order = []
    while len(order) < room and counts:
        org = min(counts, key=lambda o: (counts[o], served.get(o, -1), o))
        order.append(org)
        served[org] = next(_serial)
        counts[org] += 1
        left[org] -= 1
        if left[org] <= 0:
            del counts[org]
    return order


def fill(*, now=None, dispatch):
    """Top every scope up to its in-flight limit with due background jobs, in turn by
    organization. `dispatch(job)` queues one job's task. Returns how many were queued."""
    now = now or timezone.now()
    due = Q(status__in=[S.QUEUED, S.UNKNOWN], next_attempt_at__lte=now, dispatched=False,
            priority=BACKGROUND, connection__status=Connection.Status.CONNECTED)
    waiting = (SyncJob.objects.filter(due).values("connection_id", "connection__provider")
               .annotate(n=Count("pk")))
    if not waiting:
        return 0
    waiting_by_connection = {row["connection_id"]: row["n"] for row in waiting}
    scopes = _scope_connections({row["connection__provider"] for row in waiting})
    busy = dict(SyncJob.objects.filter(in_flight(), connection_id__in=[
        pk for ids in scopes.values() for pk in ids]).values_list("connection_id")
        .annotate(n=Count("pk")).values_list("connection_id", "n"))
    limit, queued = in_flight_limit(), 0
    for scope, ids in scopes.items():
        room = limit - sum(busy.get(pk, 0) for pk in ids)
        mine = [pk for pk in ids if pk in waiting_by_connection]
        if room <= 0 or not mine:
            continue
        queued += _fill_scope(scope, mine, room, due, dispatch)
    return queued


def _fill_scope(scope, connection_ids, room, due, dispatch):
    rows = (SyncJob.objects.filter(due, connection_id__in=connection_ids)
            .values_list("organization_id").annotate(n=Count("pk")))
    due_by_org = dict(rows.values_list("organization_id", "n"))
    in_flight_by_org = dict(
        SyncJob.objects.filter(in_flight(), connection_id__in=connection_ids)
        .values_list("organization_id").annotate(n=Count("pk"))
        .values_list("organization_id", "n"))
    order = order_of_service(due_by_org, in_flight_by_org, room, scope)
    queue = {}
    for org in set(order):  # each organization's oldest due jobs first
        queue[org] = list(
            SyncJob.objects.filter(due, connection_id__in=connection_ids, organization_id=org)
            .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:order.count(org)])
    queued = 0
    for org in order:
        if not queue[org]:
            continue
        pk = queue[org].pop(0)
        with transaction.atomic():
            if not SyncJob.objects.filter(pk=pk, dispatched=False).update(
                    dispatched=True, updated_at=timezone.now()):
                continue  # another dispatcher queued it
            dispatch(SyncJob.objects.select_related("connection").get(pk=pk))
            queued += 1
    if queued:
        logger.info("dispatcher queued %d background job(s) for %s", queued, scope)
    return queued
