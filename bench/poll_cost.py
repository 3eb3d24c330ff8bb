"""What one scheduled poll costs, in requests to the provider and database queries here, for
every provider that polls, measured in one run against the simulators. The scenarios are one
module per provider in `bench/poll_scenarios/`.

The bench makes a throwaway test database, serves the simulators from a live server thread,
connects a fresh simulated company per provider, and seeds `--open` open invoices in the
simulator with their local records and links, as if an earlier import had brought them (seeded
in bulk: 10,000 would take long one request at a time). Then, per provider:

- 10 changed: 10 invoices paid in the simulator, one poll;
- nothing changed: the next poll (Fortnox a minute later: its `lastmodified` is inclusive and
  to the minute, so the 10 paid are listed again; Visma eAccounting's cursor overlaps two
  minutes, so they are listed again there too);
- first import of 100: 100 invoices made at the provider that we have never seen (Fortnox,
  Visma eAccounting), or 100 of ours whose balance moved at once (a PowerOffice Go catch-up);
  Tripletex has no changed-since on invoices, so its poll reads every open invoice by id;
- Visma payroll (wage runs and payslips, not invoices) reads `--open` as existing payslips in
  a year of wage runs: 10 recalculated, the next poll, a new wage run of 100 (its module).

Requests are counted on the hub's side (every `requests` call the poll makes), queries with
Django's CaptureQueriesContext on the poll's own database connection (the simulator's queries
run on the server thread's). The limiters are made roomy: the bench counts, it does not wait.

    .venv/bin/python bench/poll_cost.py [--open 2000] [--open 10000] [--new 100]
        [--provider visma_eaccounting]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench \
        .venv/bin/python bench/poll_cost.py --open 2000 --open 10000
"""

import argparse
import importlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

# provider key -> its name in the table (the module is bench/poll_scenarios/<key>.py)
PROVIDERS = {"fortnox": "Fortnox", "poweroffice_go": "PowerOffice Go",
             "visma_eaccounting": "Visma eAccounting", "tripletex": "Tripletex"}
PROVIDERS["visma_payroll"] = "Visma payroll"  # payslips, not invoices: "open" = existing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, action="append",
                        help="open invoices to seed (repeatable; default 2000 and 10000)")
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--provider", choices=tuple(PROVIDERS), action="append")
    args = parser.parse_args()
    sizes = args.open or [2000, 10000]
    providers = args.provider or list(PROVIDERS)

    from bench.harness import served_app

    failed = False
    with served_app() as url:
        from django.db import connection as db

        from bench.poll_scenarios import Counter, print_rows

        scenarios = {key: importlib.import_module(f"bench.poll_scenarios.{key}")
                     for key in providers}
        for scenario in scenarios.values():
            scenario.roomy()
        counter = Counter()
        print(f"database={db.vendor}")
        for size in sizes:
            for key, scenario in scenarios.items():
                rows, _pages = scenario.rows(counter, f"{url}/sandbox/{key}", size, args.new)
                print_rows(PROVIDERS[key], size, rows)
                failed |= not all(row[-1] for row in rows)
    print("\nALL GOALS MET" if not failed else "\nSOME GOALS NOT MET")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
