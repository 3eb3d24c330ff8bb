"""The staff's contract form: the contract head and its lines (an inline formset)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounting.models import Customer
from contracts.models import Car, Contract, ContractLine, LineCategory


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["number", "customer", "car", "status", "signed_on"]
        labels = {
            "number": _("Number"),
            "customer": _("Customer"),
            "car": _("Car"),
            "status": _("Status"),
            "signed_on": _("Signed"),
        }
        widgets = {"signed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        # Only this organization's customers and cars can be chosen (or posted).
        self.fields["customer"].queryset = Customer.objects.for_org(organization)
        self.fields["car"].queryset = Car.objects.for_org(organization)

    def clean_number(self):
        # The unique constraint includes `organization`, which is not a form field, so Django's
        # own unique check skips it; check here to answer with a message instead of a 500.
        number = self.cleaned_data["number"].strip()
        taken = Contract.objects.for_org(self.organization).filter(number=number)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another contract already has this number."))
        return number


class BaseContractLineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not any(line.get("category") == LineCategory.CAR for line in kept):
            raise forms.ValidationError(_("A contract needs a line for the car itself."))


ContractLineFormSet = forms.inlineformset_factory(
    Contract,
    ContractLine,
    formset=BaseContractLineFormSet,
    fields=["category", "description", "quantity", "unit_price", "vat_label"],
    labels={
        "category": _("Category"),
        "description": _("Description"),
        "quantity": _("Quantity"),
        "unit_price": _("Unit price"),
        "vat_label": _("VAT"),
    },
    extra=3,
    can_delete=True,
)
