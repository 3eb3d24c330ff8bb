from contracts.models import Contract


def contract_next_number(*, organization) -> str:
    """A suggestion for a new contract's number: one above the highest all-digit number."""
    numbers = Contract.objects.for_org(organization).values_list("number", flat=True)
    digits = [int(number) for number in numbers if number.isdigit()]
    return str(max(digits) + 1) if digits else "1001"
