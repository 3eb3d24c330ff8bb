"""Health and readiness for the web processes (the queue's and the dispatcher's are in
`manage.py healthcheck`).

- `GET /healthz`: the process answers (liveness); touches nothing else.
- `GET /readyz`: it can serve: the database answers and no migration is pending (readiness; a
  load balancer sends traffic only while it is 200). 503 with what is wrong otherwise.

Both plain HTTP (exempt from the HTTPS redirect), no session, no secrets in the answer."""

from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

_migrated = set()  # databases seen fully migrated by this process (a deploy restarts it)


def problems() -> list[str]:
    found = []
    for alias in connections:
        connection = connections[alias]
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if alias not in _migrated:
                executor = MigrationExecutor(connection)
                if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                    found.append(f"database {alias}: migrations pending (manage.py migrate)")
                else:
                    _migrated.add(alias)
        except DatabaseError as exc:
            found.append(f"database {alias}: {type(exc).__name__}")
    return found


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    found = problems()
    if found:
        return JsonResponse({"status": "unavailable", "problems": found}, status=503)
    return JsonResponse({"status": "ready"})
