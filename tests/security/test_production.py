"""Serving for real: `check --deploy` is clean with DEBUG off and only SECRET_KEY and
ALLOWED_HOSTS (plus the always-required ENCRYPTION_KEYS) set; the secure defaults; health and
readiness; static files through WhiteNoise; the access logs without `code`, `token`, `state`."""

import io
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client

from config.logfilters import RedactQueryParams, redact_query

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp",
            "ENV_FILE": "/nonexistent", "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "hub.example.com",
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(), **extra}


def _manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_debug_off_and_only_the_required_settings():
    done = _manage("check", "--deploy", "--tag", "security", "--fail-level", "WARNING",
                   env=_production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_complains_once_the_secure_defaults_are_turned_off():
    done = _manage("check", "--deploy", "--tag", "security", "--fail-level", "WARNING",
                   env=_production_env(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0"))
    assert done.returncode != 0
    assert "security.W008" in done.stderr and "security.W004" in done.stderr


def test_the_secure_defaults_hold_whenever_debug_is_off():
    code = ("from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, "
            "s.STORAGES['staticfiles']['BACKEND'].startswith('whitenoise'))")
    done = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"],
                          cwd=ROOT, env=_production_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split() == ["True"] * 5, done.stderr


@pytest.mark.django_db
def test_healthz_and_readyz_answer_without_a_session():
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


@pytest.mark.django_db
def test_readyz_is_503_saying_why_when_a_migration_is_pending(monkeypatch):
    from config import health

    monkeypatch.setattr(health, "_migrated", set())
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan",
                        lambda self, targets: [("accounting", "9999_pending")])
    answer = Client().get("/readyz")
    assert answer.status_code == 503
    assert "migrations pending" in answer.json()["problems"][0]


def test_healthcheck_command_reports_the_database():
    done = _manage("healthcheck", env=_production_env(
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:////nonexistent/dir/x.db")))
    assert ("healthy" in done.stdout) or ("unhealthy: database" in done.stderr)


# -- access logs ------------------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    '"GET /api/integrations/fortnox/callback?code=SECRETCODE&state=SECRETSTATE HTTP/1.1" 302',
    '"GET /api/accounting/pogo/callback?state=SECRETSTATE&status=Success&token=SECRETTOKEN '
    'HTTP/1.1" 302',
    "referer https://hub.example.com/x?next=%2Fcb%3Fcode%3DSECRETCODE%26state%3DSECRETSTATE",
])
def test_access_log_lines_lose_code_token_and_state(line):
    cleaned = redact_query(line)
    assert "SECRET" not in cleaned
    assert "[redacted]" in cleaned
    assert "status=Success" in cleaned or "status" not in line


def test_runserver_access_log_goes_through_the_redacting_handler(settings):
    from logging.config import dictConfig

    stream = io.StringIO()
    config = {**settings.LOGGING, "handlers": {
        "console": {**settings.LOGGING["handlers"]["console"],
                    "class": "logging.StreamHandler", "stream": stream}}}
    dictConfig(config)
    try:
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /api/integrations/fortnox/callback?code=abc123&state=s-1 HTTP/1.1",
            "302", "0")
    finally:
        dictConfig(settings.LOGGING)
    output = stream.getvalue()
    assert "code=[redacted]&state=[redacted]" in output and "abc123" not in output


def test_gunicorn_access_log_is_redacted():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gconf", ROOT / "config" / "gunicorn.conf.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    logger = logging.getLogger("gunicorn.access")
    assert any(isinstance(f, RedactQueryParams) for f in logger.filters)
    record = logger.makeRecord("gunicorn.access", logging.INFO, __file__, 1,
                               '%(h)s "%(r)s" %(s)s',
                               ({"h": "10.0.0.1", "r": "GET /cb?token=tok-9&x=1 HTTP/1.1",
                                 "s": "200"},), None)
    for log_filter in logger.filters:
        log_filter.filter(record)
    assert record.getMessage() == '10.0.0.1 "GET /cb?token=[redacted]&x=1 HTTP/1.1" 200'


# -- the Redis broker -------------------------------------------------------------------------
class _FakeRedis:
    def __init__(self):
        self.pushed = []

    def rpush(self, key, task):
        self.pushed.append(task)
        return len(self.pushed)


@pytest.mark.django_db(transaction=True)
def test_a_task_reaches_redis_only_when_its_transaction_commits():
    from django.db import transaction

    from config.qbroker import OnCommitRedis

    broker = OnCommitRedis.__new__(OnCommitRedis)
    broker.list_key, broker.connection = "django_q:hub:q", _FakeRedis()
    with transaction.atomic():
        broker.enqueue("job-1")
        assert broker.connection.pushed == []  # a worker cannot see it before the commit
    assert broker.connection.pushed == ["job-1"]
    with pytest.raises(ValueError), transaction.atomic():
        broker.enqueue("job-2")
        raise ValueError
    assert broker.connection.pushed == ["job-1"]  # rolled back: never pushed
    broker.enqueue("job-3")  # outside a transaction: at once
    assert broker.connection.pushed == ["job-1", "job-3"]


def test_q_broker_url_selects_the_on_commit_redis_broker():
    code = ("from django.conf import settings as s; q = s.Q_CLUSTER; "
            "print(q.get('redis'), q.get('broker_class'), 'orm' in q)")
    done = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"],
                          cwd=ROOT, env=_production_env(Q_BROKER_URL="redis://127.0.0.1:6399/2"),
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["redis://127.0.0.1:6399/2", "config.qbroker.OnCommitRedis",
                                   "False"], done.stderr
