"""The dealer's mappings checked against Tripletex before anything is sent: each mapped income
account and outgoing VAT type exists (numbers as the mapping editor lists them), cached a
minute per connection so page views do not each cost requests."""

from django.core.cache import cache

from integrations.admin_links import mapping_fix_url
from integrations.errors import ProviderError, ValidationProblem

CACHE_SECONDS = 60


def _numbers(provider, *, fresh):
    key = f"tripletex-numbers:{provider.connection.pk}:{provider.connection.credentials_version}"
    found = None if fresh else cache.get(key)
    if found is None:
        try:
            found = ({r["number"] for r in provider.list_accounts()},
                     {r["code"] for r in provider.list_vat_codes()})
        except ProviderError:
            return None
        cache.set(key, found, CACHE_SECONDS)
    return found


def mapping_problems(provider, organization, accounts, vats, *, fresh=False):
    from contracts.models import LineCategory

    found = _numbers(provider, fresh=fresh)
    if found is None:
        return []  # Tripletex cannot be asked now; the job checks again before it sends
    account_numbers, vat_numbers = found
    labels = dict(LineCategory.choices)
    problems = []
    for category, number in sorted(accounts.items()):
        if number not in account_numbers:
            problems.append(ValidationProblem(
                f"Account {number} (mapped for '{labels.get(category, category)}') is not an "
                f"income account in Tripletex.", field=f"mapping.account.{category}",
                fix_url=mapping_fix_url(organization=organization, provider=provider.key,
                                        category=category, kind="account")))
    for category, number in sorted(vats.items()):
        if number not in vat_numbers:
            problems.append(ValidationProblem(
                f"VAT type {number} (mapped for '{labels.get(category, category)}') is not an "
                f"outgoing VAT type in Tripletex.", field=f"mapping.vat.{category}",
                fix_url=mapping_fix_url(organization=organization, provider=provider.key,
                                        category=category, kind="vat")))
    return problems
