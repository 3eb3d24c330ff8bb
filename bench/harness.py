"""What the benchmarks share: a throwaway test database (SQLite file or PostgreSQL
`test_<name>`) and this app, sandbox included, served on a free port in this process."""

import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path


def _server_class(*, pool_connections):
    """Django's threaded test server, with two differences that a simulated provider's
    response time shows (and with it the budget a limiter with exact books can use: README,
    "Clicks first"):

    - TCP_NODELAY on each accepted socket. The server writes a response's headers and its body
      in two sends; without it the body waits for the client's delayed ACK of the headers,
      40 ms on Linux, so every answer with a body took 40 ms longer than one without
      (GET 200 at least 49 ms, 204 from 7 ms), which no real provider adds.
    - `pool_connections` (PostgreSQL): a request thread borrows a database connection that an
      earlier thread gave back instead of opening its own. The server starts a thread per
      client connection (each job's HTTP session) and closes its database connections when
      that ends: a new PostgreSQL connection per job, about 12 ms."""
    import socket

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import DEFAULT_DB_ALIAS, connections

    class BenchServer(ThreadedWSGIServer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._lock = threading.Lock()
            self._idle, self._every = [], []

        def get_request(self):
            sock, address = super().get_request()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

        def process_request_thread(self, request, client_address):
            if not pool_connections:
                return super().process_request_thread(request, client_address)
            with self._lock:
                borrowed = self._idle.pop() if self._idle else None
            if borrowed is None:
                borrowed = connections.create_connection(DEFAULT_DB_ALIAS)
                borrowed.inc_thread_sharing()  # one thread at a time, handed on
                with self._lock:
                    self._every.append(borrowed)
            connections[DEFAULT_DB_ALIAS] = borrowed
            try:
                return super().process_request_thread(request, client_address)
            finally:
                with self._lock:
                    self._idle.append(borrowed)

        def _close_connections(self):
            # Pooled connections are given back, not closed (`request_finished` still closes
            # a broken or old one).
            if not pool_connections:
                super()._close_connections()

        def close_pooled_connections(self):
            with self._lock:
                for pooled in self._every:
                    pooled.close()

    return BenchServer


@contextmanager
def served_app(*, debug=False):
    """Set Django up against a throwaway database and serve the app; yields the base URL
    (`http://127.0.0.1:<port>`). Everything is torn down afterwards."""
    import django
    from django.conf import settings

    temp_dir = tempfile.TemporaryDirectory()
    django.setup()
    from accounting import rls

    # Row-level security (accounting/rls.py): a benchmark's fixtures and direct calls span
    # organizations; the served app's requests and tasks still set their own.
    rls.set_process_default_bypass("bench: fixtures span organizations")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATABASES["default"]["TEST"]["NAME"] = str(Path(temp_dir.name) / "bench.db")
        settings.DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    from django.db import connections
    from django.test.testcases import LiveServerThread, _StaticFilesHandler
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    settings.DEBUG = debug
    old_config = setup_databases(verbosity=0, interactive=False)
    server = LiveServerThread("127.0.0.1", _StaticFilesHandler, port=0)
    server.server_class = _server_class(
        pool_connections=connections["default"].vendor == "postgresql")
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        if server.error:
            raise server.error
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        close_pooled = getattr(getattr(server, "httpd", None), "close_pooled_connections", None)
        if close_pooled is not None:
            close_pooled()
        connections.close_all()
        teardown_databases(old_config, verbosity=0)
        temp_dir.cleanup()
