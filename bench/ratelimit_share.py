"""How well N worker processes share one provider's rate limit.

Prints, from one run: the busiest window as a ratio of the limit (must be <= 1.00), the share of
the limit used (mean fill of a sliding window; target >= 0.90), the same over the windows in which
the machine did not pause the workers (shared CI machines stop every process for most of a second
at times, and budget that frees then is lost to any limiter). One of the processes clicks now
and then (interactive priority), the others sync in the background.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub .venv/bin/python bench/ratelimit_share.py \
        [--processes 4] [--limit 25] [--window 5] [--seconds 15]
"""

import argparse
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def hammer(key, limit, window, seconds, level, queue, start_at):
    import django

    django.setup()
    from django.db import connections

    from integrations import ratelimit

    policy = ratelimit.RateLimitPolicy(limit=limit, window_seconds=window)
    stamps, waits = [], []
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + seconds
    while time.time() < deadline:
        started = time.monotonic()
        admission = ratelimit.acquire(key, policy, level=level)
        ratelimit.release(key, policy, admission.ticket)  # no request: answered at once
        stamps.append(admission.at)
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
    from integrations.ratelimit_measure import PauseWatcher, busiest_window, share_used

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the limiter is shared through it.")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    connection.close()
    key = f"bench-{uuid.uuid4().hex}"
    start_at = time.time() + 1.0
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    levels = [BACKGROUND] * args.processes + [INTERACTIVE]
    procs = [ctx.Process(target=hammer,
                         args=(key, args.limit, args.window, args.seconds, lv, queue, start_at))
             for lv in levels]
    with PauseWatcher() as watcher:
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
    for p in procs:
        p.join()

    stamps = sorted(t for _, s, _ in results for t in s)
    busiest = busiest_window(stamps, args.window)
    used, judged = share_used(stamps, limit=args.limit, window=args.window, start=start_at,
                              end=start_at + args.seconds)
    clean, clean_judged = share_used(stamps, limit=args.limit, window=args.window,
                                     start=start_at, end=start_at + args.seconds, watcher=watcher)
    print(f"processes={args.processes} limit={args.limit}/{args.window:g}s run={args.seconds:g}s "
          f"requests={len(stamps)} machine pauses={len(watcher.pauses)} "
          f"({watcher.paused_between(start_at, start_at + args.seconds):.1f}s)")
    print(f"busiest window / limit        = {busiest / args.limit:.2f}  (must be <= 1.00)")
    print(f"share of the limit used       = {used:.2f}  (mean sliding-window fill; target >= 0.90)")
    print("  in windows with no pause    = "
          + (f"{clean:.2f}  ({clean_judged} windows)" if clean_judged else "n/a (none)"))
    from integrations.models import RateLimitBucket

    RateLimitBucket.objects.filter(key=key).delete()


if __name__ == "__main__":
    main()
