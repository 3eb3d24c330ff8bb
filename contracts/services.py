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


# What the accounting system may move the badge to, from each state: later states never go
# back (a late "sent" after "paid" is ignored), except that payments can be reversed.
_STATE_ORDER = ["draft", "order", "invoiced", "sent", "partly_paid", "overdue", "paid"]
_PAYMENT_STATES = {"sent", "partly_paid", "overdue", "paid"}


def apply_accounting_update(*, organization, contract_id, state=None, **fields):
    """Record what the accounting system reported about a contract (the integration calls
    this). Returns the contract, or None when it no longer exists. A state only moves forward,
    except between payment states, where the provider's latest word wins."""
    contract = Contract.objects.for_org(organization).filter(pk=contract_id).first()
    if contract is None:
        return None
    changed = set_accounting_fields(contract, state, fields)
    contract.save(update_fields=[*changed, "accounting_synced_at"])
    return contract


def set_accounting_fields(contract, state, fields):
    """`apply_accounting_update`'s rules on a contract in memory, without saving (a poll saves
    a page of them at once). Returns the names of the fields that changed."""
    from django.utils import timezone

    changed = []
    if state is not None and state != contract.accounting_state:
        current = contract.accounting_state
        both_payment = state in _PAYMENT_STATES and current in _PAYMENT_STATES
        if both_payment or _STATE_ORDER.index(state) > _STATE_ORDER.index(current):
            contract.accounting_state = state
            changed.append("accounting_state")
    for name, value in fields.items():
        if getattr(contract, name) != value:
            setattr(contract, name, value)
            changed.append(name)
    contract.accounting_synced_at = timezone.now()
    return changed
