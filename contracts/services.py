"""Writes on the dealer's records."""

from django.db import transaction

from accounting.models import ZERO
from contracts.models import Contract, LineCategory


@transaction.atomic
def contract_save(*, organization, form, lines_formset) -> Contract:
    """Save a validated contract form and its lines in one transaction.

    New lines go after the existing ones, in the order they were entered. `sale_price` follows
    the car line(s), so lists and reports read the car's price without adding up lines.
    """
    contract = form.save(commit=False)
    contract.organization = organization
    if not contract.pk:
        contract.currency = organization.currency
    contract.save()

    lines_formset.instance = contract
    lines = lines_formset.save(commit=False)
    for line in lines_formset.deleted_objects:
        line.delete()
    next_position = max((line.position for line in contract.lines.all()), default=-1) + 1
    for line in lines:
        if line.pk is None:
            line.position = next_position
            next_position += 1
        line.save()

    contract.sale_price = sum(
        (line.amount for line in contract.lines.filter(category=LineCategory.CAR)),
        ZERO,
    )
    contract.save(update_fields=["sale_price", "updated_at"])
    return contract
