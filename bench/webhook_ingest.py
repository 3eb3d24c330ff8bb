"""What receiving one webhook costs, next to the cheapest request the same server answers.

The bench makes a throwaway database (on PostgreSQL when DATABASE_URL says so, else a temporary
SQLite file), an organization with a Fortnox connection and a webhook secret, then serves the app
with gunicorn as production does (config/gunicorn.conf.py: its worker class and threads; 2 worker
processes, `--workers`; no worker recycling during the run; DEBUG off, production settings)
through `webhook_ingest_app`, which adds one bare view, `GET /bench/ok`, answering "ok". Client
processes (threads inside each, `--concurrency` requests in flight in all) send the same number
of requests to each, in alternating rounds: the bare view, then signed events to
`POST /api/webhooks/fortnox`, each with a fresh event id and a valid signature (every one must
be accepted). It prints requests/s of each, their ratio, p50 and p99 latencies, and whether the
goal (ratio >= 0.5) is met.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_bench \
        .venv/bin/python bench/webhook_ingest.py [--requests 3000] [--concurrency 8]

Signatures are computed before the clock starts, so the clients spend their time on HTTP.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 0.5
TENANT = "bench-tenant-1"
WEBHOOK_PATH = "/api/webhooks/fortnox"
OK_PATH = "/bench/ok"


def _environment(temp_dir):
    """Production settings (DEBUG off) with throwaway keys, shared by this process and the
    server, so the secret made here decrypts there."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SANDBOX_ENABLED": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback, no TLS proxy
        "ENV_FILE": str(Path(temp_dir) / "no.env"),
    })
    return env


def _database_url(settings_db, temp_dir):
    """The DATABASE_URL of the throwaway database `setup_databases` made."""
    if settings_db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_db['NAME']}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings_db["NAME"]))


def build_world():
    """An organization, its Fortnox connection and a webhook secret. Returns the secret."""
    from accounting.models import Organization
    from integrations.models import Connection
    from integrations.webhooks import new_secret

    org = Organization.objects.create(slug="frost-webhook-bench", name="Frost Bygg Bench AB",
                                      country="SE", currency="SEK", language="sv")
    connection = Connection.objects.create(organization=org, provider="fortnox",
                                           status=Connection.Status.CONNECTED,
                                           remote_tenant_id=TENANT,
                                           remote_company_name="Frost Bygg Bench AB")
    return new_secret(connection)


def signed_requests(secret, count):
    from integrations.webhooks import sign

    now = int(time.time())
    items = []
    for n in range(count):
        event_id = uuid.uuid4().hex
        raw = json.dumps({"topic": "invoices", "type": "invoice-updated-v1", "tenantId": TENANT,
                          "entityId": str(1000 + n)}).encode()
        items.append(("POST", WEBHOOK_PATH, raw, {
            "Content-Type": "application/json", "X-Hub-Timestamp": str(now),
            "X-Hub-Event-Id": event_id, "X-Hub-Signature": sign(secret, now, event_id, raw)}))
    return items


def bare_requests(count):
    return [("GET", OK_PATH, None, {})] * count


def _cpu_seconds(pids):
    """User + system CPU seconds the processes `pids` have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _processes(predicate):
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if predicate(entry):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def server_pids(server):
    """gunicorn's master and its workers."""
    def ours(entry):
        ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        return int(entry.name) == server.pid or ppid == server.pid
    return _processes(ours)


def database_pids(name):
    """The PostgreSQL processes that work for the bench: the backends connected to its
    database `name`, and the server's WAL writer and checkpointer, which write its commits
    (shared with whatever else the server does meanwhile). Other databases' backends are left
    out: another session's tests on the same server are not the webhook's cost."""
    def ours(entry):
        if (entry / "comm").read_text().strip() != "postgres":
            return False
        args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return f" {name} " in args or args.rstrip().endswith(("walwriter", "checkpointer"))
    return _processes(ours)


class CpuMeter:
    """CPU seconds used by the server (gunicorn and `run_dispatcher`, which queues the tasks of
    accepted events) and the database while requests run."""

    def __init__(self, server, database, dispatcher=None):
        self.server, self.database, self.dispatcher = server, database, dispatcher
        self.used = {"server": 0.0, "database": 0.0, "dispatcher": 0.0}

    def _now(self):
        return (_cpu_seconds(self._server_pids), _cpu_seconds(self._db_pids),
                _cpu_seconds([self.dispatcher.pid] if self.dispatcher else []))

    def __enter__(self):
        self._server_pids = server_pids(self.server)
        self._db_pids = (database_pids(self.database.settings_dict["NAME"])
                         if self.database.vendor == "postgresql" else [])
        self._start = self._now()
        return self

    def __exit__(self, *exc):
        for name, end, start in zip(("server", "database", "dispatcher"), self._now(),
                                    self._start, strict=True):
            self.used[name] += end - start


def _client(port, items, threads, go, results):
    """One client process: `threads` threads take the next request until none are left."""
    lock = threading.Lock()
    cursor = iter(items)
    latencies, failures = [], []

    def work():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                conn.close()
                return
            method, path, body, headers = item
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read()
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                failures.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - started)
            ok = response.status == 200 and (method == "GET" or b'"accepted"' in text)
            if not ok:
                failures.append(f"{response.status} {text[:200]!r}")

    pool = [threading.Thread(target=work) for _ in range(threads)]
    go.wait()
    started, cpu = time.time(), time.process_time()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put((started, time.time(), latencies, failures[:5], len(failures),
                 time.process_time() - cpu))


def drive(port, items, *, concurrency, processes, meter=None):
    """Send `items` with `concurrency` requests in flight. Returns (elapsed s, latencies,
    failures, examples of failures, the clients' CPU seconds); `meter` (a CpuMeter) adds the
    server's and the database's."""
    ctx = multiprocessing.get_context("fork")
    go, results = ctx.Event(), ctx.Queue()
    shares = [items[i::processes] for i in range(processes)]
    threads = max(1, concurrency // processes)
    clients = [ctx.Process(target=_client, args=(port, share, threads, go, results))
               for share in shares]
    for client in clients:
        client.start()
    with meter or nullcontext():
        go.set()
        outcomes = [results.get() for _ in clients]
    for client in clients:
        client.join()
    elapsed = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    return (elapsed, [x for o in outcomes for x in o[2]], sum(o[4] for o in outcomes),
            [e for o in outcomes for e in o[3]], sum(o[5] for o in outcomes))


def summary(runs, meter):
    """(requests/s, p50 ms, p99 ms, failures, examples, CPU ms per request of the server, the
    database and the clients) over several `drive` runs."""
    elapsed = sum(r[0] for r in runs)
    latencies = sorted(x for r in runs for x in r[1])
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000 if latencies else float("nan")
    per = 1000 / max(1, len(latencies))
    cpu = ((meter.used["server"] + meter.used["dispatcher"]) * per, meter.used["database"] * per,
           sum(r[4] for r in runs) * per, meter.used["dispatcher"] * per)
    return (len(latencies) / elapsed, p50, p99, sum(r[2] for r in runs),
            [e for r in runs for e in r[3]][:3], cpu)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(env, port, log_path, app, workers):
    """gunicorn with the production settings (config/gunicorn.conf.py: worker class, threads,
    access log), `workers` processes, and no recycling of workers (a worker restarting would
    fall on one side of the comparison only)."""
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), app,
         "-c", str(ROOT / "config" / "gunicorn.conf.py"), "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--max-requests", "0",
         "--log-level", "warning", "--error-logfile", str(log_path)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped: {log_path.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", OK_PATH)
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    sys.exit(f"gunicorn did not answer: {log_path.read_text()[-2000:]}")


def start_dispatcher(env, log_path):
    """`run_dispatcher` as production runs it (`make run`, the Procfile): its sweep queues the
    tasks of the events the endpoint accepted, so what that costs is measured too. Returns once
    it sweeps (its start-up is not measured)."""
    log = open(log_path, "w")  # noqa: SIM115  (the process writes it until it stops)
    dispatcher = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_dispatcher"], env=env, cwd=str(ROOT),
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "sweeping every" not in log_path.read_text():
        if dispatcher.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"run_dispatcher did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.2)
    time.sleep(1)  # its first sweeps (compiling its queries) are behind it
    return dispatcher


def wait_until_relayed(timeout=60):
    """Until the dispatcher's relay has passed every stored event (their tasks are queued)."""
    from django.db.models import Max

    from integrations.models import WebhookEvent, WebhookRelayMark

    last = WebhookEvent.objects.aggregate(last=Max("received_at"))["last"]
    deadline = time.monotonic() + timeout
    while last is not None:
        mark = WebhookRelayMark.objects.filter(pk=1).values_list("relayed_until", flat=True)
        if mark and mark[0] >= last:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each")
    parser.add_argument("--app", default="bench.webhook_ingest_app:application",
                        help="the WSGI app gunicorn serves (e.g. one wrapped in a profiler)")
    args = parser.parse_args()

    temp_dir = tempfile.TemporaryDirectory()
    env = _environment(temp_dir.name)
    os.environ.update(env)
    import django
    from django.conf import settings

    django.setup()
    from accounting import rls

    rls.set_process_default_bypass("bench: the world's fixtures")  # the server sets its own
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
            Path(temp_dir.name) / "bench.db")
    from django.db import connection as db
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    old_config = setup_databases(verbosity=0, interactive=False)
    server = dispatcher = None
    try:
        secret = build_world()
        env["DATABASE_URL"] = _database_url(settings.DATABASES["default"], temp_dir.name)
        connections.close_all()
        port = _free_port()
        log_path = Path(temp_dir.name) / "gunicorn.log"
        server = serve(env, port, log_path, args.app, args.workers)
        dispatcher = start_dispatcher(env, Path(temp_dir.name) / "dispatcher.log")
        run = dict(concurrency=args.concurrency, processes=args.clients)
        warm = max(100, args.requests // 10)
        drive(port, bare_requests(warm), **run)  # every worker loaded and connected
        drive(port, signed_requests(secret, warm), **run)
        # Alternating rounds, so a busy moment of the machine falls on both sides alike.
        share = args.requests // args.rounds
        bare_runs, hook_runs = [], []
        bare_cpu = CpuMeter(server, db, dispatcher)
        hook_cpu = CpuMeter(server, db, dispatcher)
        for _ in range(args.rounds):
            bare_runs.append(drive(port, bare_requests(share), meter=bare_cpu, **run))
            hook_runs.append(drive(port, signed_requests(secret, share), meter=hook_cpu, **run))
        bare, hooks = summary(bare_runs, bare_cpu), summary(hook_runs, hook_cpu)
        from django_q.models import OrmQ

        from integrations.models import WebhookEvent

        wait_until_relayed()
        queued = {str(pk) for pk in WebhookEvent.objects.filter(status__in=[
            WebhookEvent.Status.ACCEPTED, WebhookEvent.Status.QUEUED]).values_list("pk", flat=True)}
        tasked = {pk for row in OrmQ.objects.all() for pk in _event_ids(row.task)}
        report(args, db.vendor, bare, hooks, len(queued & tasked),
               expected=warm + share * args.rounds, tasks=OrmQ.objects.count())
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if dispatcher is not None:
            dispatcher.terminate()
            dispatcher.wait(timeout=30)
        connections.close_all()
        teardown_databases(old_config, verbosity=0)
        temp_dir.cleanup()


def _event_ids(task):
    """The webhook events a queued task will process."""
    from integrations.webhooks.processing import BATCH_TASK, TASK

    if task["func"] == BATCH_TASK:
        return [str(pk) for pk in task["args"][0]]
    return [str(task["args"][0])] if task["func"] == TASK else []


def report(args, vendor, bare, hooks, queued, *, expected, tasks):
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    overrides = os.environ.get("GUNICORN_CMD_ARGS")  # gunicorn applies them over the file
    print(f"database={vendor} server=gunicorn (config/gunicorn.conf.py) {args.workers} "
          f"{conf.get('worker_class', 'sync')} workers x {conf.get('threads', 1)} threads"
          f"{f' (GUNICORN_CMD_ARGS={overrides})' if overrides else ''}, DEBUG off  "
          f"requests={args.requests} each  concurrency={args.concurrency} "
          f"({args.clients} client processes)")
    for name, (rate, p50, p99, failures, examples, cpu) in (
            ("bare view (GET, \"ok\")", bare), ("signed webhook (POST)", hooks)):
        print(f"{name:<24} {rate:8.0f} requests/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
              f"   failed {failures}   CPU per request: server {cpu[0]:.2f} ms (of which "
              f"run_dispatcher {cpu[3]:.2f}), database {cpu[1]:.2f} ms, clients {cpu[2]:.2f} ms")
        for example in examples:
            print(f"    e.g. {example}")
    ratio = hooks[0] / bare[0]
    print(f"events stored and queued    = {queued} of {expected} ({tasks} tasks)")
    print(f"webhook / bare requests/s   = {ratio:.3f}  (goal >= {GOAL})")
    met = ratio >= GOAL and not hooks[3] and not bare[3] and queued == expected
    print("GOAL MET" if met else "GOAL NOT MET")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
