"""What `bench/poll_cost.py` shares between its providers: the request counter, the links an
earlier sync left, the goals and the printed table. One module per provider that polls
(`<provider>.py`) has `rows(counter, base_url, open_count, new_count)`, which builds a world in
the simulator (open invoices seeded in bulk with their local records and links, as an earlier
import would have left them), runs the polls and returns the rows with their goals, and
`roomy()`, which makes the limiters roomy: the bench counts, it does not wait."""

import os
from collections import deque


class Counter:
    """Counts the hub's HTTP requests (patched onto requests.Session.send)."""

    def __init__(self):
        import requests

        self.count = 0
        self.paths = []
        original = requests.Session.send

        def send(session, request, **kwargs):
            self.count += 1
            self.paths.append(request.method + " " + request.url.split("/sandbox/", 1)[-1])
            return original(session, request, **kwargs)

        requests.Session.send = send

    def measure(self, poll):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.count, self.paths = 0, []
        # Django's query log keeps the last 9,000 only: a catch-up of 10,000 costs more (before
        # bulk reads it did), so each poll gets a log that keeps them all.
        connection.queries_log = deque(maxlen=10_000_000)
        with CaptureQueriesContext(connection) as queries:
            result = poll()
        if os.environ.get("POLL_COST_VERBOSE"):  # what was asked, to see where a count comes from
            print(self.paths[:20], result)
        return self.count, len(queries.captured_queries), result


# A poll's fixed queries (the shared limiter's five per request, cursors, overdue...) plus one
# read of links, one of records and one bulk write per page: a constant, whatever is open.
QUERY_BASE = 40


def link_all(connection, record_type, local_rows, remote_ids, *, synced_at):
    """A link from each local row to its remote id, pairwise, as an earlier sync would have
    left them: in bulk."""
    from integrations.models import Link

    Link.objects.bulk_create([
        Link(organization_id=connection.organization_id, connection=connection,
             record_type=record_type, local_id=str(row.pk), remote_id=remote_id,
             synced_at=synced_at)
        for row, remote_id in zip(local_rows, remote_ids, strict=True)], batch_size=1000)


def goal(row, *, requests, queries, note):
    name, sent, ran, _result = row
    met = sent <= requests and (queries is None or ran <= queries)
    return name, sent, ran, requests, queries, note, met


def print_rows(provider, open_count, rows):
    print(f"\n{provider}, {open_count} open invoices")
    print(f"  {'poll':46} {'requests':>8} {'queries':>8}  goal")
    for name, sent, ran, requests, queries, note, met in rows:
        limit = f"requests <= {requests}" + (f", queries <= {queries}" if queries else "")
        print(f"  {name:46} {sent:8} {ran:8}  {limit} ({note}): "
              f"{'GOAL MET' if met else 'NOT MET'}")


