"""An invoice's payment state as the badge shows it, the same for every provider: the provider
reads its own fields (total, what is outstanding, the due date) at its edge (`mappers.py`) and
asks `payment_state` for the rest, so "Delvis betalt", "Betalt" and "Forfalt" mean one thing."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

PAYMENT_STATES = ("sent", "partly_paid", "paid", "overdue")


@dataclass(frozen=True)
class PaymentState:
    state: str  # "sent", "partly_paid", "paid", "overdue"
    total: Decimal
    paid: Decimal
    remaining: Decimal
    due_date: str | None
    invoice_no: str

    def contract_fields(self) -> dict:
        """The contract's accounting fields this state sets (what the provider told us,
        nothing empty)."""
        fields = {"invoice_number": self.invoice_no, "invoice_total": self.total,
                  "amount_paid": self.paid, "amount_remaining": self.remaining}
        if self.due_date:
            fields["invoice_due_date"] = date.fromisoformat(self.due_date)
        return {k: v for k, v in fields.items() if v not in ("", None)}


def payment_state(*, total, outstanding, due_date, invoice_no, today) -> PaymentState:
    """Nothing outstanding = paid; past the due date with money outstanding = overdue (wins
    over partly paid); some paid = partly paid; else sent. Amounts are Decimals (or strings),
    `due_date` an ISO date or None."""
    total = Decimal(str(total or 0))
    outstanding = Decimal(str(outstanding if outstanding is not None else total))
    paid = max(total - outstanding, Decimal("0"))
    due = str(due_date)[:10] if due_date else None
    if outstanding <= 0:
        state = "paid"
    elif due and due < today.isoformat():
        state = "overdue"
    elif paid > 0:
        state = "partly_paid"
    else:
        state = "sent"
    return PaymentState(state=state, total=total, paid=paid,
                        remaining=max(outstanding, Decimal("0")), due_date=due,
                        invoice_no=str(invoice_no or ""))
