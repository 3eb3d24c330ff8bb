"""The accountant page: /sandbox/<provider>/accountant/, where a person does what the customer's
accountant does in the real system, registering that an invoice was paid, in full or in part,
so that the hub has a payment to discover. It is the simulated provider's own UI: no login,
CSRF-protected forms, server-rendered HTML.

A simulator offers it by passing an `AccountantBook` to its `Simulator`: two methods over its
own invoice records, so the page needs to know nothing of the provider's JSON.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect

from sandbox.models import SandboxTenant


@dataclass(frozen=True)
class AccountantInvoice:
    """One invoice as the accountant sees it. `invoice_id` is what `register_payment` gets
    back; `number` is what people read."""

    invoice_id: str
    number: str
    customer: str
    total: Decimal
    paid: Decimal = Decimal("0")
    currency: str = ""
    issued_on: date | None = None
    due_on: date | None = None

    @property
    def balance(self):
        return self.total - self.paid

    @property
    def is_paid(self):
        return self.balance <= 0


class PaymentRejected(Exception):
    """The provider refuses the payment; the message is shown to the person."""


class AccountantBook(ABC):
    """What a simulator implements for the accountant page."""

    @abstractmethod
    def list_invoices(self, tenant: SandboxTenant) -> list[AccountantInvoice]:
        """The tenant's invoices, in the order the page shows them."""

    @abstractmethod
    def register_payment(self, tenant: SandboxTenant, invoice_id: str, amount: Decimal,
                         paid_on: date) -> None:
        """Record a payment of `amount` (> 0) made on `paid_on`, exactly as the provider's
        own payment registration would (so the hub's poller sees it), or raise
        PaymentRejected."""


class PaymentForm(forms.Form):
    invoice = forms.CharField(max_length=100)
    amount = forms.CharField(max_length=30)
    paid_on = forms.DateField()

    def clean_amount(self):
        # Accountants in Norway and Sweden type "1 234,50".
        text = self.cleaned_data["amount"].replace("\u00a0", "").replace(" ", "")
        try:
            amount = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise forms.ValidationError("Enter an amount such as 1234,50.") from None
        if not amount.is_finite() or amount <= 0:
            raise forms.ValidationError("The amount must be more than zero.")
        if amount.as_tuple().exponent < -2:
            raise forms.ValidationError("At most two decimals.")
        return amount


def _selected_tenant(simulator, external_id):
    tenants = SandboxTenant.objects.filter(provider=simulator.realm)
    if external_id:
        return tenants.filter(external_id=external_id).first()
    return tenants.first()


@csrf_protect
def page(request, simulator):
    """GET ?tenant=<id>: the company's invoices with a payment form per open invoice.
    POST: register a payment, then back to the list (post/redirect/get)."""
    book = simulator.accountant
    source = request.POST if request.method == "POST" else request.GET
    tenant = _selected_tenant(simulator, source.get("tenant", ""))
    form = PaymentForm(request.POST or None)
    status, problem = 200, None
    if request.method == "POST":
        if tenant is None:
            status, problem = 400, "Unknown company."
        elif form.is_valid():
            data = form.cleaned_data
            try:
                book.register_payment(tenant, data["invoice"], data["amount"], data["paid_on"])
            except PaymentRejected as rejected:
                status, problem = 400, str(rejected)
            else:
                messages.success(request, f"Registered a payment of {data['amount']}.",
                                 fail_silently=True)
                return HttpResponseRedirect(f"{request.path}?tenant={tenant.external_id}")
        else:
            status = 400
            problem = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in
                                form.errors.items())
    context = {
        "simulator": simulator,
        "tenants": SandboxTenant.objects.filter(provider=simulator.realm),
        "tenant": tenant,
        "invoices": book.list_invoices(tenant) if tenant else [],
        "today": timezone.localdate().isoformat(),
        "problem": problem,
        "posted_invoice": request.POST.get("invoice"),
    }
    return render(request, "sandbox/accountant.html", context, status=status)
