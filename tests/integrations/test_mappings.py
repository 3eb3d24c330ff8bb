"""The mapping checks every provider shares: each missing mapping once, in the order asked,
with its deep link, in the reader's language, and a provider's own rule and words."""

import pytest
from django.utils import translation

from integrations.mappings import (
    blocked_error,
    category_for_account,
    category_mappings,
    mapping_problems,
)
from integrations.models import AccountMapping, VatMapping

pytestmark = pytest.mark.django_db
KEY = "fakebooks"


@pytest.fixture
def mapped(org):
    VatMapping.objects.create(organization=org, provider=KEY, category="car", vat_code="3")
    AccountMapping.objects.create(organization=org, provider=KEY, category="car",
                                  account_number="3000")
    VatMapping.objects.create(organization=org, provider=KEY, category="addon", vat_code="3")
    AccountMapping.objects.create(organization=org, provider=KEY, category="fee",
                                  account_number="30x")
    # another provider's and another organization's rows never count
    VatMapping.objects.create(organization=org, provider="other", category="fee", vat_code="1")
    return org


def test_category_mappings_reads_one_provider_and_drops_blanks(mapped):
    AccountMapping.objects.create(organization=mapped, provider=KEY, category="labor",
                                  account_number="")
    accounts, vats = category_mappings(mapped, KEY, ["car", "addon", "fee", "labor"])
    assert accounts == {"car": "3000", "fee": "30x"}
    assert vats == {"car": "3", "addon": "3"}
    assert category_mappings(mapped, KEY)[0] == {"car": "3000", "fee": "30x"}


def test_every_missing_mapping_with_its_fix_link(mapped):
    with translation.override("en"):
        problems = mapping_problems(mapped, KEY, ["fee", "car", "addon", "fee"],
                                    labels={"fee": "Gebyr"})
    assert [p.field for p in problems] == [
        "mapping.vat.fee", "mapping.account.addon"]
    fee, addon = problems
    assert fee.message == "Missing VAT mapping for 'Gebyr'. Go to Accounting -> Mapping."
    assert fee.fix_url == "/admin/integrations/vatmapping/add/?provider=fakebooks&category=fee"
    account = AccountMapping.objects.get(category="fee")
    assert addon.fix_url == (
        "/admin/integrations/accountmapping/add/?provider=fakebooks&category=addon")
    with translation.override("en"):
        problems = mapping_problems(mapped, KEY, ["fee"], need=("account",),
                                    account_valid=str.isdigit)
    assert [(p.field, p.fix_url) for p in problems] == [
        ("mapping.account.fee", f"/admin/integrations/accountmapping/{account.pk}/change/")]
    assert problems[0].message == ("The account mapped for 'fee' (30x) is not a valid sales "
                                   "account. Go to Accounting -> Mapping.")


def test_a_provider_brings_its_own_words(mapped):
    words = {"vat": "Needs a VAT code for %(category)s.",
             "account_invalid": "Bad account %(account)s for %(category)s."}
    problems = mapping_problems(mapped, KEY, ["fee"], messages=words,
                                account_valid=lambda a: len(a) == 4)
    assert [p.message for p in problems] == ["Needs a VAT code for fee.",
                                             "Bad account 30x for fee."]


def test_messages_are_translated(mapped):
    with translation.override("nb"):
        problems = mapping_problems(mapped, KEY, ["fee"], need=("vat",))
    assert problems[0].message == "Mangler MVA-mapping for 'fee'. Gå til Regnskap -> Mapping."


def test_blocked_error_lists_every_problem_with_its_link(mapped):
    error = blocked_error(mapping_problems(mapped, KEY, ["fee", "addon"]))
    assert "'fee'" in error.message and "'addon'" in error.message
    assert error.message.count(" Fix: /admin/integrations/") == 2


def test_category_for_account_takes_the_first_category_by_name(mapped):
    AccountMapping.objects.create(organization=mapped, provider=KEY, category="addon",
                                  account_number="3000")
    assert category_for_account(mapped, KEY) == {"3000": "addon", "30x": "fee"}
