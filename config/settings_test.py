"""Settings for the test suite: the real settings, with throwaway secrets so a test run never
depends on (or touches) a developer's .env keys."""

import atexit
import os
import shutil
import tempfile

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("SANDBOX_ENABLED", "true")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

# Row-level security (accounting/rls.py): fixtures make rows of several organizations, so what a
# test does directly sees every organization; requests (the middleware) and tasks inside a test
# still run in their own organization's context. tests/security/ also runs with nothing.
# Static files as in development: no `collectstatic` manifest to look names up in.
STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Plain HTTP in tests (the test client and the live server, which `requests` reaches without
# TLS and so would not send a Secure cookie to); production keeps all three.
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

RLS_PROCESS_DEFAULT_BYPASS = "tests: fixtures span organizations"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, as `make run` uses, not Django's default in-memory test database: for an in-memory
    # database the live server hands its ONE connection to every request thread
    # (LiveServerThread's `connections_override`), so concurrent requests interleave statements
    # on one sqlite3 connection ("cannot open savepoint - SQL statements in progress"), which
    # never happens in production, and their transactions are not even isolated from each
    # other. With a file each thread has its own connection, the same locking and WAL as
    # production, and tests may use threads and processes. One fresh directory per test process,
    # so parallel runs never share a file (nor a stale WAL).
    _TEST_DB_DIR = tempfile.mkdtemp(prefix="hub-tests-")
    atexit.register(shutil.rmtree, _TEST_DB_DIR, ignore_errors=True)
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.path.join(  # noqa: F405
        _TEST_DB_DIR, f"hub-test-{os.getpid()}.sqlite3")

# Background admissions are not spaced in tests: a test that freezes the clock would wait for
# the next spaced admission forever. The tests of spacing set it themselves.
SYNC_RATE_LIMIT_PACE = 0.0

# WhiteNoise looks at STATIC_ROOT per request in tests (no `collectstatic` run before them).
WHITENOISE_AUTOREFRESH = True
