"""Does a person's click wait for background work? Measured on PostgreSQL with the real worker
processes (`qcluster`, the interactive `qcluster`, `run_dispatcher`) and the PowerOffice Go
simulator, in one run:

1. 20 clicks ("Send til PowerOffice Go": an order job at interactive priority) on an idle
   system, one after another, each timed from the click to the order existing in Go;
2. 500 background customer upserts enqueued, then the same 20 clicks while they run.

Prints p50/p95/max of both, the ratio busy p95 / idle p95 (goal <= 2), the background's
throughput as a share of the budget the clicks leave (requests the simulator admitted for the
background / (10 per second x seconds - the clicks' requests); goal >= 0.95), the share of the
whole budget used, and the 429s the simulator answered (goal 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench .venv/bin/python \\
        bench/interactive_wait.py [--clicks 20] [--background 500]
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
    parser.add_argument("--background", type=int, default=500)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between clicks")
    parser.add_argument("--workers", type=int, default=4,
                        help="background workers (more of them waiting at the limiter take a "
                             "freed slot sooner)")
    args = parser.parse_args()

    from bench.harness import served_app

    with served_app() as url:
        run(args, url)


def run(args, url):
    logging.disable(logging.INFO)
    stack.configure(url)
    connection = stack.dealer("nordbil", "Nordbil AS")
    contracts = stack.contracts(connection.organization, 2 * args.clicks + 1, "K")
    background = stack.customers(connection.organization, args.background, "Bulk")
    gate = stack.Gate()
    with stack.workers(background_workers=args.workers):
        stack.click(connection, contracts.pop())  # the workers' first job warms them up
        idle = []
        for contract in contracts[:args.clicks]:
            idle.append(stack.click(connection, contract))
            time.sleep(args.pause)
        refused_idle = gate.refused

        stack.enqueue_background(connection, background)
        time.sleep(3)  # the background reaches its pace
        start = time.monotonic()
        busy = []
        for contract in contracts[args.clicks:]:
            busy.append(stack.click(connection, contract))
            time.sleep(args.pause)
        end = time.monotonic()
        stack.stop_background()

    admitted = gate.admitted(start, end)
    budget = gate.limit.limit / gate.limit.window_seconds * (end - start)
    bulk = sum(1 for e in admitted if e.path.rstrip("/").endswith("/Customers"))
    clicks = len(admitted) - bulk
    share = bulk / (budget - clicks)
    ratio = sorted(busy)[round(0.95 * len(busy)) - 1] / sorted(idle)[round(0.95 * len(idle)) - 1]
    print(f"clicks={args.clicks} background jobs={args.background} database=postgresql "
          f"pace={stack.pace()} busy window={end - start:.1f} s")
    print(f"idle clicks                 {stack.fmt(idle)}")
    print(f"clicks during background    {stack.fmt(busy)}")
    print(f"busy p95 / idle p95         = {ratio:.2f}  (goal <= 2)")
    print(f"background share of what the clicks leave = {share:.3f}  (goal >= 0.95; "
          f"{bulk} background + {clicks} click requests in {end - start:.1f} s)")
    print(f"whole budget used           = {len(admitted) / budget:.3f}")
    took = stack.response_times()
    mean = sum(took) / max(1, len(took))
    window = gate.limit.window_seconds
    print(f"mean response time          = {mean * 1000:.0f} ms over {len(took)} requests: exact "
          f"books allow at most {window / (window + mean):.3f} of the budget")
    print(f"busiest window at Go        = "
          f"{gate.limit.max_admitted_in_any_window()} of {gate.limit.limit}")
    print(f"429 responses               = {gate.refused}  (idle {refused_idle}; goal 0)")
    met = ratio <= 2 and share >= 0.95 and gate.refused == 0
    print("goals met" if met else "goals NOT met")


if __name__ == "__main__":
    main()
