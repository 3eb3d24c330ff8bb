"""Line category -> VAT code and sales account, per organization and provider: the look-ups and
the checks every provider runs before it sends a document.

A provider passes its key and, where its rules or words differ, its own messages and account
rule; the fix links (the mapping's change page, or its add page filled in) are the same for all.
"""

from django.utils.translation import gettext_lazy

from integrations.admin_links import mapping_fix_url
from integrations.errors import PermanentError, ValidationProblem
from integrations.models import AccountMapping, VatMapping

VAT, ACCOUNT = "vat", "account"

# Keys: "vat" and "account" (missing), "account_invalid" (mapped, but refused by the
# provider's `account_valid` rule). Placeholders: %(category)s (its label), %(account)s.
DEFAULT_MESSAGES = {
    VAT: gettext_lazy("Missing VAT mapping for '%(category)s'. Go to Accounting -> Mapping."),
    ACCOUNT: gettext_lazy(
        "Missing account mapping for '%(category)s'. Go to Accounting -> Mapping."),
    "account_invalid": gettext_lazy(
        "The account mapped for '%(category)s' (%(account)s) is not a valid sales account. "
        "Go to Accounting -> Mapping."),
}


def category_mappings(organization, provider_key, categories=None) -> tuple[dict, dict]:
    """({category: account number}, {category: VAT code}) of one provider, for `categories`
    (every mapped category when None). Blank values count as not mapped."""
    accounts = AccountMapping.objects.for_org(organization).filter(provider=provider_key)
    vats = VatMapping.objects.for_org(organization).filter(provider=provider_key)
    if categories is not None:
        accounts = accounts.filter(category__in=list(categories))
        vats = vats.filter(category__in=list(categories))
    return ({c: str(a) for c, a in accounts.values_list("category", "account_number") if a},
            {c: str(v) for c, v in vats.values_list("category", "vat_code") if v})


def category_for_account(organization, provider_key) -> dict:
    """{sales account: our line category} (the first category, by name, mapped to it), to
    read a remote line back into our terms."""
    result = {}
    for category, account in (AccountMapping.objects.for_org(organization)
                              .filter(provider=provider_key).order_by("category")
                              .values_list("category", "account_number")):
        result.setdefault(str(account), category)
    return result


def mapping_problems(organization, provider_key, categories, *, labels=None,
                     need=(VAT, ACCOUNT), messages=None, account_valid=None,
                     mappings=None) -> list:
    """Every missing (or, with `account_valid`, unusable) mapping of `categories`, each a
    ValidationProblem with the deep link to the row that fixes it (field
    `mapping.<vat|account>.<category>`), in the order the categories are given.

    `labels` {category: label} names categories as people know them; `messages` overrides
    DEFAULT_MESSAGES key by key; `mappings` is `category_mappings(...)` when already read."""
    categories = list(dict.fromkeys(categories))
    accounts, vats = mappings if mappings is not None else category_mappings(
        organization, provider_key, categories)
    words = {**DEFAULT_MESSAGES, **(messages or {})}
    labels = labels or {}
    problems = []

    def problem(kind, category, message_key, account=""):
        text = str(words[message_key]) % {"category": labels.get(category, category),
                                          "account": account}
        return ValidationProblem(text, field=f"mapping.{kind}.{category}",
                                 fix_url=mapping_fix_url(organization=organization,
                                                         provider=provider_key,
                                                         category=category, kind=kind))

    for category in categories:
        if VAT in need and category not in vats:
            problems.append(problem(VAT, category, VAT))
        if ACCOUNT in need:
            account = accounts.get(category)
            if account is None:
                problems.append(problem(ACCOUNT, category, ACCOUNT))
            elif account_valid is not None and not account_valid(account):
                problems.append(problem(ACCOUNT, category, "account_invalid", account))
    return problems


def blocked_error(problems) -> PermanentError:
    """Problems found when a job re-checks before sending, as one permanent failure that lists
    them all with their fix links (the job's error is text, not a list)."""
    return PermanentError(" ".join(
        f"{p.message}{f' Fix: {p.fix_url}' if p.fix_url else ''}" for p in problems))
