"""Our invoices with their lines, back from a provider: the part every invoice importer shares.

`InvoicesWithLines` goes before the provider's `Importer` subclass in the bases. The provider
still says how to list and read its invoices; it adds two hooks:

- `remote_values(remote)` with `"lines"`: (description, quantity, unit price, discount %,
  category) per line, values as the provider sends them (numbers or numeric text);
- `invoice_status(remote)`: our payment fields (`paid_amount`, `payment_status`, ...) from
  the provider's invoice or list row;

and `customer_importer` (its customer `Importer`, for an invoice whose customer was never
imported) with `customer_of(remote)` (the provider's id of the invoice's customer).
"""

from integrations.errors import ProviderError
from integrations.importing.bulk import bulk_write, linked_locals
from integrations.importing.values import decimal, parse_date


class InvoicesWithLines:
    snapshot_prefetch = ("lines",)
    customer_importer = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.customers = {}  # the provider's customer id -> ours, for the run

    def invoice_status(self, remote) -> dict:
        raise NotImplementedError

    def customer_of(self, remote) -> str:
        raise NotImplementedError

    def local_model(self):
        from accounting.models import Invoice

        return Invoice

    # -- customers of a page -----------------------------------------------------------------
    def resolve_customers(self, remote_ids):
        """{provider's customer id: our customer} for a page's invoices: links and records in
        bulk, a customer not imported yet read from the provider first (call it before the
        page's transaction). Remembered for the run in `self.customers`."""
        from accounting.models import Customer

        known = self.customers
        missing = sorted({i for i in remote_ids if i not in known})
        if not missing:
            return known
        found = linked_locals(self.connection, "customer", Customer, missing)
        absent = [i for i in missing if i not in found]
        if absent:
            customers = self.customer_importer(self.provider, self.client)
            for remote_id in absent:
                customers.import_one(remote_id)
            found.update(linked_locals(self.connection, "customer", Customer, absent))
        for remote_id in missing:
            if remote_id not in found:
                raise ProviderError(f"A {self.provider.name} invoice refers to customer "
                                    f"{remote_id}, which could not be imported.")
            known[remote_id] = found[remote_id]
        return known

    # -- making and changing ours ------------------------------------------------------------
    def new_children(self, invoice, remote):
        return self.line_rows(invoice, self.remote_values(remote)["lines"])

    def create_local(self, remote, prepared):
        from accounting.models import InvoiceLine

        invoice = self.new_local(remote, prepared)
        invoice.save()
        InvoiceLine.objects.bulk_create(self.new_children(invoice, remote))
        return invoice

    @staticmethod
    def line_rows(invoice, lines):
        from accounting.models import InvoiceLine

        return [InvoiceLine(invoice=invoice, description=desc[:200], quantity=decimal(qty),
                            unit_price=decimal(price), discount_percent=decimal(discount),
                            category=category, position=index)
                for index, (desc, qty, price, discount, category) in enumerate(lines)]

    def write_local(self, local, changes):
        from accounting.models import InvoiceLine

        header = {k: v for k, v in changes.items() if k != "lines"}
        if "issue_date" in header:
            header["issue_date"] = parse_date(header["issue_date"]) or local.issue_date
        if header:
            self.write_fields(local, header)
        if "lines" in changes:
            InvoiceLine.objects.filter(invoice=local).delete()
            InvoiceLine.objects.bulk_create(self.line_rows(local, changes["lines"]))

    def write_status(self, local, remote):
        changed = {k: v for k, v in self.invoice_status(remote).items()
                   if getattr(local, k) != v}
        if changed:
            self.write_fields(local, changed)
            for name, value in changed.items():
                setattr(local, name, value)
        return bool(changed)

    def apply_rows(self, pairs):
        """A page of invoices whose rows changed only in the payment fields: one bulk write."""
        return bulk_write(self.local_model(), pairs, self.invoice_status)

