"""Do customers on one shared budget get fair shares? Measured on PostgreSQL with the real worker
processes and the PowerOffice Go simulator, in one run: two dealers each enqueue 500 background
customer upserts (the first all of them before the second starts) on our one subscription key,
while a third dealer clicks "Send til PowerOffice Go" 20 times; before that, the third dealer's
20 clicks on an idle system.

Prints each bulk dealer's share of the background jobs finished while the clicks ran (goal:
within 10 % of half, 0.45-0.55), the clicker's p50/p95/max idle and busy and the ratio of the
p95s (goal <= 2), and the 429s the simulator answered (goal 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench .venv/bin/python \\
        bench/fair_share.py [--clicks 20] [--background 500]
"""

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pogo_stack as stack  # noqa: E402

stack.prepare_environment()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--background", type=int, default=500, help="jobs per bulk dealer")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between clicks")
    parser.add_argument("--workers", type=int, default=4,
                        help="background workers (more of them waiting at the limiter take a "
                             "freed slot sooner)")
    args = parser.parse_args()

    from bench.harness import served_app

    with served_app() as url:
        run(args, url)


def run(args, url):
    from django.db.models import Count

    from integrations.models import SyncJob

    logging.disable(logging.INFO)
    stack.configure(url)
    first = stack.dealer("bulk-a", "Bilimport A AS")
    second = stack.dealer("bulk-b", "Bilimport B AS")
    clicker = stack.dealer("clicker", "Nordbil AS")
    contracts = stack.contracts(clicker.organization, 2 * args.clicks + 1, "K")
    bulk = {first: stack.customers(first.organization, args.background, "BulkA"),
            second: stack.customers(second.organization, args.background, "BulkB")}
    gate = stack.Gate()
    with stack.workers(background_workers=args.workers):
        stack.click(clicker, contracts.pop())  # the workers' first job warms them up
        idle = []
        for contract in contracts[:args.clicks]:
            idle.append(stack.click(clicker, contract))
            time.sleep(args.pause)

        for connection, customers in bulk.items():  # the first dealer's import is queued first
            stack.enqueue_background(connection, customers)
        time.sleep(3)
        start = time.monotonic()
        from django.utils import timezone

        started_at = timezone.now()
        busy = []
        for contract in contracts[args.clicks:]:
            busy.append(stack.click(clicker, contract))
            time.sleep(args.pause)
        ended_at = timezone.now()
        end = time.monotonic()
        stack.stop_background()

    finished = dict(SyncJob.objects.filter(
        priority=SyncJob.Priority.BACKGROUND, status=SyncJob.Status.DONE,
        finished_at__gte=started_at, finished_at__lt=ended_at)
        .values_list("organization__slug").annotate(n=Count("pk"))
        .values_list("organization__slug", "n"))
    total = sum(finished.values()) or 1
    shares = {slug: finished.get(slug, 0) / total for slug in ("bulk-a", "bulk-b")}
    p95 = {name: stack.stats(values)[1] for name, values in (("idle", idle), ("busy", busy))}
    ratio = p95["busy"] / p95["idle"]
    print(f"bulk dealers=2 x {args.background} jobs, clicks={args.clicks}, database=postgresql, "
          f"pace={stack.pace()}, busy window={end - start:.1f} s")
    for slug, share in shares.items():
        print(f"{slug} share of background jobs done = {share:.3f}  "
              f"({finished.get(slug, 0)} of {total}; goal 0.45-0.55)")
    print(f"clicker idle                {stack.fmt(idle)}")
    print(f"clicker during bulk         {stack.fmt(busy)}")
    print(f"busy p95 / idle p95         = {ratio:.2f}  (goal <= 2)")
    admitted = gate.admitted(start, end)
    budget = gate.limit.limit / gate.limit.window_seconds * (end - start)
    print(f"whole budget used           = {len(admitted) / budget:.3f}")
    took = stack.response_times()
    mean = sum(took) / max(1, len(took))
    window = gate.limit.window_seconds
    print(f"mean response time          = {mean * 1000:.0f} ms over {len(took)} requests: exact "
          f"books allow at most {window / (window + mean):.3f} of the budget")
    print(f"busiest window at Go        = "
          f"{gate.limit.max_admitted_in_any_window()} of {gate.limit.limit}")
    print(f"429 responses               = {gate.refused}  (goal 0)")
    met = (all(abs(share - 0.5) <= 0.05 for share in shares.values()) and ratio <= 2
           and gate.refused == 0)
    print("goals met" if met else "goals NOT met")


if __name__ == "__main__":
    main()
