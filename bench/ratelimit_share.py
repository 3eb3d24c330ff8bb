"""How well N worker processes share one provider's rate limit.

Prints, from one run: the busiest window as a ratio of the limit (must be <= 1.00), the share of
the limit used (target >= 0.90), and how much sooner a click gets a slot than background sync
while the key is saturated (interactive wait / background wait, lower is better).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub .venv/bin/python bench/ratelimit_share.py \
        [--processes 4] [--limit 25] [--window 5] [--seconds 15]
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def hammer(key, limit, window, seconds, level, queue):
    import django

    django.setup()
    from django.db import connections

    from integrations import ratelimit

    policy = ratelimit.RateLimitPolicy(limit=limit, window_seconds=window)
    stamps, waits = [], []
    deadline = time.time() + seconds
    while time.time() < deadline:
        started = time.monotonic()
        stamps.append(ratelimit.acquire(key, policy, level=level))
        waits.append(time.monotonic() - started)
        if level == ratelimit.INTERACTIVE:
            time.sleep(window / limit * 3)  # a person clicks now and then, not in a loop
    connections.close_all()
    queue.put((level, stamps, waits))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from integrations.ratelimit import BACKGROUND, INTERACTIVE

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the limiter is shared through it.")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    connection.close()
    key = f"bench-{uuid.uuid4().hex}"
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    levels = [BACKGROUND] * args.processes + [INTERACTIVE]
    procs = [ctx.Process(target=hammer,
                         args=(key, args.limit, args.window, args.seconds, lv, queue))
             for lv in levels]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()

    stamps = sorted(t for _, s, _ in results for t in s)
    busiest = max(sum(1 for t in stamps[i:] if t < start + args.window)
                  for i, start in enumerate(stamps))
    span = stamps[-1] - stamps[0]
    used = (len(stamps) - 1) / (span / args.window * args.limit)
    bg_waits = [w for lv, _, ws in results if lv == BACKGROUND for w in ws]
    ia_waits = [w for lv, _, ws in results if lv == INTERACTIVE for w in ws]
    print(f"processes={args.processes} limit={args.limit}/{args.window:g}s run={args.seconds:g}s "
          f"requests={len(stamps)}")
    print(f"busiest window / limit      = {busiest / args.limit:.2f}  (must be <= 1.00)")
    print(f"share of the limit used     = {used:.2f}  (target >= 0.90)")
    print(f"click wait / background wait = "
          f"{statistics.median(ia_waits) / statistics.median(bg_waits):.2f}"
          "  (median; lower is better)")
    from integrations.models import RateLimitBucket

    RateLimitBucket.objects.filter(key=key).delete()


if __name__ == "__main__":
    main()
