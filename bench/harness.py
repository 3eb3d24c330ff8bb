"""What the benchmarks share: a throwaway test database (SQLite file or PostgreSQL
`test_<name>`) and this app, sandbox included, served on a free port in this process."""

import tempfile
from contextlib import contextmanager
from pathlib import Path


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
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        if server.error:
            raise server.error
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        connections.close_all()
        teardown_databases(old_config, verbosity=0)
        temp_dir.cleanup()
