import pytest

from tests.accounting.cases import own_and_other, pytest_generate_tests  # noqa: F401
from tests.accounting.factories import org_admin, other_records, records, staff_user  # noqa: F401


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Nearly every test makes users; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
