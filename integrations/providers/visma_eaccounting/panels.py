"""What the invoice page shows of Visma eAccounting: the invoice's number there and its payment
status (paid, partly paid, overdue), as the last import or export left them."""

from integrations.links import find_link
from integrations.models import Connection

KEY = "visma_eaccounting"


def invoice_context(invoice):
    connection = (Connection.objects.for_org(invoice.organization).filter(provider=KEY)
                  .first())
    link = find_link(connection, "invoice", invoice.pk) if connection else None
    return {"invoice": invoice, "connection": connection, "link": link,
            "status": invoice.get_status_display() if link else "",
            "state": invoice.status if link else ""}
