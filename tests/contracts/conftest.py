from tests.accounting.cases import own_and_other, pytest_generate_tests  # noqa: F401
from tests.accounting.factories import org_admin, other_records, records, staff_user  # noqa: F401
