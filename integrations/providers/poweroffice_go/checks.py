"""The dealer's line categories checked against PowerOffice Go: every category mapped (the
shared check, with the categories named as the dealer knows them), and each mapped account's
VAT code in Go agreeing with the VAT mapping (Go takes the VAT from the product's account).

The VAT codes that agreed are remembered per connection for POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS
(Django's cache), so a run of orders reads the ledger once, not once per order: one provider
request less per click. A disagreement is never taken from memory: it is read again first."""

from django.conf import settings
from django.core.cache import cache

from integrations.mappings import category_mappings, mapping_problems

KEY = "poweroffice_go"


def category_labels():
    from contracts.models import LineCategory

    return dict(LineCategory.choices)


def contract_mapping_problems(organization, categories):
    """([problems], {category: account}, {category: VAT code}) for the given categories."""
    mappings = category_mappings(organization, KEY, categories)
    problems = mapping_problems(organization, KEY, categories, labels=category_labels(),
                                mappings=mappings)
    return (problems, *mappings)


def account_vat_codes(client, account_numbers):
    """{account number: VAT code} as PowerOffice Go has them."""
    numbers = ",".join(sorted({str(n) for n in account_numbers}))
    rows = client.list("/GeneralLedgerAccounts", {"accountNos": numbers})
    return {str(row.get("AccountNo")): str(row.get("VatCode") or "") for row in rows}


def _remembered_keys(connection, account_numbers):
    """{cache key: account number}, one key per account, so orders with other categories
    share what was read. The connection's `connected_at` is part of the key: what was read
    from one Go client is not trusted after a reconnect (perhaps to another client)."""
    connected = connection.connected_at.timestamp() if connection.connected_at else ""
    return {f"{KEY}:account-vat:{connection.pk}:{connected}:{n}": n
            for n in sorted({str(n) for n in account_numbers})}


def account_vat_mismatches(client, accounts, vats):
    """`vat_mismatches` against Go's VAT codes for the mapped accounts. Codes that agreed with
    the mapping are remembered for a bounded time and trusted while they still agree; anything
    that would block an order is read from Go again, so a mismatch is always current."""
    seconds = settings.POWEROFFICE_GO_ACCOUNT_CHECK_SECONDS
    keys = _remembered_keys(client.connection, accounts.values())
    if seconds > 0:
        remembered = {keys[key]: code for key, code in cache.get_many(list(keys)).items()}
        if len(remembered) == len(keys) and not vat_mismatches(accounts, vats, remembered):
            return []
    codes = account_vat_codes(client, accounts.values())
    mismatches = vat_mismatches(accounts, vats, codes)
    if mismatches:
        cache.delete_many(list(keys))
    elif seconds > 0:
        cache.set_many({key: codes[n] for key, n in keys.items()}, seconds)
    return mismatches


def vat_mismatches(accounts, vats, remote_codes):
    """[(category, account, expected VAT, actual VAT or None)] where the account PowerOffice Go
    will use does not carry the VAT code our mapping expects (or does not exist)."""
    problems = []
    for category, account in sorted(accounts.items()):
        actual = remote_codes.get(str(account))
        expected = vats.get(category)
        if actual is None or (expected is not None and actual != str(expected)):
            problems.append((category, str(account), expected, actual))
    return problems


def vat_mismatch_message(category, account, expected, actual):
    if actual is None:
        return (f"Account {account} (mapped for '{category}') does not exist in PowerOffice Go.")
    return (f"Account {account} (mapped for '{category}') has VAT code {actual} in PowerOffice "
            f"Go, but the VAT mapping says {expected}.")
