"""Secrets at rest: encrypted, rotatable, and never shown."""

import logging
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection as db_connection
from django.test import override_settings

from integrations.logging import redact
from integrations.models import Connection

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SECRET = {"access_token": "at-very-secret-123", "refresh_token": "rt-very-secret-456"}


def _keys(*keys):
    return override_settings(ENCRYPTION_KEYS=list(keys), FERNET_KEYS=list(keys))


def _raw_credentials(pk):
    with db_connection.cursor() as cur:
        cur.execute("SELECT encrypted_credentials FROM integrations_connection WHERE id = %s", [pk])
        return bytes(cur.fetchone()[0])


def test_credentials_are_encrypted_at_rest(org):
    conn = Connection(organization=org, provider="fakebooks")
    conn.set_credentials(SECRET)
    conn.save()
    raw = _raw_credentials(conn.pk)
    assert b"very-secret" not in raw
    assert Connection.objects.get(pk=conn.pk).credentials == SECRET


def test_rotation_rewrites_every_secret_under_the_new_key(org, other_org):
    with _keys(OLD):
        rows = []
        for organization in (org, other_org):
            conn = Connection(organization=organization, provider="fakebooks")
            conn.set_credentials(SECRET)
            conn.save()
            rows.append(conn.pk)
        before = {pk: _raw_credentials(pk) for pk in rows}
    with _keys(NEW, OLD):
        out = StringIO()
        call_command("rotate_encryption_keys", stdout=out)
        assert "integrations.Connection: 2 row(s) re-encrypted" in out.getvalue()
    with _keys(NEW):  # the old key is gone
        for pk in rows:
            assert _raw_credentials(pk) != before[pk]
            assert Connection.objects.get(pk=pk).credentials == SECRET
    # The field decrypts as the row is read: the old key alone can no longer read it.
    with _keys(OLD), pytest.raises(InvalidToken):
        Connection.objects.get(pk=rows[0])


def test_without_rotation_the_old_key_is_still_needed(org):
    with _keys(OLD):
        conn = Connection(organization=org, provider="fakebooks")
        conn.set_credentials(SECRET)
        conn.save()
    with _keys(NEW), pytest.raises(InvalidToken):
        Connection.objects.get(pk=conn.pk)
    with _keys(NEW, OLD):
        assert Connection.objects.get(pk=conn.pk).credentials == SECRET


@pytest.mark.parametrize("debug", ["true", "false"])
def test_missing_key_setting_stops_startup_with_its_name(tmp_path, debug):
    import subprocess
    import sys

    from django.conf import settings

    env = {"PATH": "/usr/bin:/bin", "DEBUG": debug, "SECRET_KEY": "x",
           "DJANGO_SETTINGS_MODULE": "config.settings", "ENV_FILE": str(tmp_path / "none"),
           "PYTHONPATH": str(settings.BASE_DIR)}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert "ENCRYPTION_KEYS is required" in result.stderr


@pytest.mark.parametrize("line", [
    "POST /token refresh_token=rt-very-secret-456&grant_type=refresh_token",
    'body {"access_token": "at-very-secret-123", "expires_in": 3600}',
    "Authorization: Bearer at-very-secret-123",
    "headers {'Ocp-Apim-Subscription-Key': 'abcdef0123456789'}",
])
def test_log_lines_are_redacted_by_the_handler_filter(line):
    from integrations.logging import RedactSecretsFilter

    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("integrations.test.redact")
    logger.addHandler(handler)
    try:
        logger.warning("%s", line)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "[redacted]" in written
    assert "very-secret" not in written and "abcdef0123456789" not in written
    assert redact("GET /v2/Customers -> 200") == "GET /v2/Customers -> 200"


def test_connection_repr_and_errors_carry_no_secret(org):
    conn = Connection(organization=org, provider="fakebooks", status="connected")
    conn.set_credentials(SECRET)
    conn.save()
    assert "very-secret" not in str(conn) and "very-secret" not in repr(conn)
