"""What the benchmarks share: a throwaway test database (SQLite file or PostgreSQL
`test_<name>`) and this app, sandbox included, served on a free port in this process."""

import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path


def _pooled_server_class():
    """Django's threaded test server, except that on PostgreSQL a request thread borrows a
    database connection that an earlier thread gave back instead of opening its own. The test
    server starts a thread per client connection (each job's HTTP session) and closes its
    database connections when that ends: a new PostgreSQL connection per job, about 12 ms, that
    every simulated provider's response time then carried, and with it the budget a limiter
    with exact books can use (`README.md`, "Clicks first")."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import DEFAULT_DB_ALIAS, connections

    class PooledConnectionsServer(ThreadedWSGIServer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._lock = threading.Lock()
            self._idle, self._every = [], []

        def process_request_thread(self, request, client_address):
            with self._lock:
                borrowed = self._idle.pop() if self._idle else None
            if borrowed is None:
                borrowed = connections.create_connection(DEFAULT_DB_ALIAS)
                borrowed.inc_thread_sharing()  # one thread at a time, handed on
                with self._lock:
                    self._every.append(borrowed)
            connections[DEFAULT_DB_ALIAS] = borrowed
            try:
                super().process_request_thread(request, client_address)
            finally:
                with self._lock:
                    self._idle.append(borrowed)

        def _close_connections(self):
            """Given back, not closed (`request_finished` still closes a broken or old one)."""

        def close_pooled_connections(self):
            with self._lock:
                for pooled in self._every:
                    pooled.close()

    return PooledConnectionsServer


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
    if connections["default"].vendor == "postgresql":
        server.server_class = _pooled_server_class()
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
