"""The contract form. Lists and detail pages are the generic record pages (`contracts.pages`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounting.tenancy import get_for_org_or_404
from contracts import selectors, services
from contracts.forms import ContractForm, ContractLineFormSet
from contracts.models import Contract, LineCategory


@login_required
def contract_edit(request, pk=None):
    organization = request.organization
    if not organization:
        raise Http404("No organization.")
    contract = get_for_org_or_404(Contract, organization, pk=pk) if pk else None

    if request.method == "POST":
        form = ContractForm(request.POST, instance=contract, organization=organization)
        lines = ContractLineFormSet(request.POST, instance=contract, prefix="lines")
        if form.is_valid() and lines.is_valid():
            contract = services.contract_save(
                organization=organization, form=form, lines_formset=lines
            )
            messages.success(request, _("The contract is saved."))
            return redirect("contracts:contract_detail", pk=contract.pk)
    elif contract:
        form = ContractForm(instance=contract, organization=organization)
        lines = ContractLineFormSet(instance=contract, prefix="lines")
    else:
        form = ContractForm(
            organization=organization,
            initial={"number": selectors.contract_next_number(organization=organization)},
        )
        lines = ContractLineFormSet(
            prefix="lines",
            initial=[{"category": LineCategory.CAR, "vat_label": "25 %"}],
        )
    context = {"form": form, "lines": lines, "contract": contract}
    return render(request, "contracts/contract_form.html", context)
