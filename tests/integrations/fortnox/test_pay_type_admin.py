"""The pay type -> salary code mapping in admin: the deep link from a blocked payslip opens a
prefilled add page, and an organization's admin sees and saves only their own rows."""

import pytest

from integrations.models import PayTypeMapping
from integrations.providers.fortnox.checks import pay_type_fix_url
from tests.integrations.admin_helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def frost_admin(make_user, frost):
    return client_for(make_user("frost-admin", frost, role="admin"))


def test_the_fix_link_opens_a_prefilled_add_page(frost_admin, connection):
    page = frost_admin.get(pay_type_fix_url("ob_evening"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'value="ob_evening"' in text
    assert '<option value="fortnox" selected>' in text


def test_saving_maps_the_pay_type_in_the_admins_organization(frost_admin, frost, connection):
    url = pay_type_fix_url("ob_evening")
    answer = frost_admin.post(url, {"provider": "fortnox", "pay_type": "ob_evening",
                                    "salary_code": "OB1", "description": "OB kväll"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    row = PayTypeMapping.objects.get(pay_type="ob_evening")
    assert (row.organization, row.salary_code) == (frost, "OB1")
    again = frost_admin.post(url, {"provider": "fortnox", "pay_type": "ob_evening",
                                   "salary_code": "OB2"})
    assert again.status_code == 200 and "already has a pay type mapping" in again.content.decode()


def test_another_organizations_rows_are_not_listed(frost_admin, make_org):
    other = make_org("annan", name="Annan AB")
    PayTypeMapping.objects.create(organization=other, provider="fortnox", pay_type="secret_bonus",
                                  salary_code="99")
    listing = frost_admin.get("/admin/integrations/paytypemapping/")
    assert listing.status_code == 200 and "secret_bonus" not in listing.content.decode()
