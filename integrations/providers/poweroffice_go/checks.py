"""The dealer's line categories checked against PowerOffice Go: every category mapped (the
shared check, with the categories named as the dealer knows them), and each mapped account's
VAT code in Go agreeing with the VAT mapping (Go takes the VAT from the product's account)."""

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
