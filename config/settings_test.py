"""Settings for the test suite: the real settings, with throwaway secrets so a test run never
depends on (or touches) a developer's .env keys."""

import os

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("SANDBOX_ENABLED", "true")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
