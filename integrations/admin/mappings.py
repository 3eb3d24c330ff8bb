"""The mapping editor: VAT code and sales account per (provider, line category), salary code
per (provider, pay type), and the organization's accounting defaults per provider.

Nothing is sent while a line's category lacks either mapping, and the error that says so links
here (`integrations.admin_links.mapping_fix_url`), so the add pages honour `?provider=&category=`.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.admin.common import ProviderChoiceAdmin, ProviderFilter
from integrations.admin.overview import category_label
from integrations.admin.remote_choices import (
    RemoteCodeFormMixin,
    offer_remote_choices,
    prefetch_remote_options,
)
from integrations.models import AccountingSettings, AccountMapping, PayTypeMapping, VatMapping


class CategoryMappingAdmin(ProviderChoiceAdmin):
    # (field, kind) whose values the connected provider can list
    remote_field = None
    list_filter = (ProviderFilter, "category")
    list_display_links = ("category_name",)
    search_fields = ("category", "description")
    list_per_page = 100
    unique_in_org = ("provider", "category")

    @admin.display(description=_("category"), ordering="category")
    def category_name(self, obj):
        return category_label(obj.category)

    def _checked(self, form, request):
        """`form` refusing what the provider does not have (RemoteCodeFormMixin)."""
        from accounting.admin_base import current_admin_organization

        field, kind = self.remote_field
        checked = type(form.__name__, (RemoteCodeFormMixin, form), {
            "remote_fields": {field: kind},
            "remote_organization": current_admin_organization(request)})
        # The metaclass rebuilt the fields from the model; keep the ones already adjusted
        # (the provider list, the provider's own codes).
        checked.base_fields = form.base_fields
        return checked

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The admin runs the form inside a transaction, where no HTTP may run: ask the provider
        # first (afresh when saving, so a code added there a moment ago counts).
        if self.remote_field is not None:
            from accounting.admin_base import current_admin_organization

            provider = request.POST.get("provider") or request.GET.get("provider", "")
            if object_id and not provider:
                provider = (self.get_queryset(request).filter(pk=object_id)
                            .values_list("provider", flat=True).first() or "")
            prefetch_remote_options(current_admin_organization(request), provider,
                                    self.remote_field[1], fresh=request.method == "POST")
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.remote_field is not None:
            from accounting.admin_base import current_admin_organization

            field, kind = self.remote_field
            provider = obj.provider if obj is not None else (
                request.POST.get("provider") or request.GET.get("provider", ""))
            offer_remote_choices(form, organization=current_admin_organization(request),
                                 provider_key=provider, field=field, kind=kind)
            form = self._checked(form, request)
        return form

    def get_changelist_form(self, request, **kwargs):
        # The list's editable cells are checked the same way, row by row.
        form = super().get_changelist_form(request, **kwargs)
        return self._checked(form, request) if self.remote_field is not None else form


@admin.register(VatMapping)
class VatMappingAdmin(CategoryMappingAdmin):
    remote_field = ("vat_code", "vat")
    fields = ("organization", "provider", "category", "vat_code", "description")
    list_display = ("category_name", "provider_name", "vat_code", "description", "updated_at")
    list_editable = ("vat_code", "description")
    search_fields = (*CategoryMappingAdmin.search_fields, "vat_code")


@admin.register(AccountMapping)
class AccountMappingAdmin(CategoryMappingAdmin):
    remote_field = ("account_number", "account")
    fields = ("organization", "provider", "category", "account_number", "description")
    list_display = (
        "category_name", "provider_name", "account_number", "description", "updated_at",
    )
    list_editable = ("account_number", "description")
    search_fields = (*CategoryMappingAdmin.search_fields, "account_number")


@admin.register(AccountingSettings)
class AccountingSettingsAdmin(ProviderChoiceAdmin):
    fields = (
        "organization", "provider", "payment_terms_days", "invoice_delivery_channel",
        "default_project_code", "default_department_code",
    )
    list_display = (
        "provider_name", "payment_terms_days", "invoice_delivery_channel",
        "default_project_code", "default_department_code", "updated_at",
    )
    list_filter = (ProviderFilter,)
    unique_in_org = ("provider",)


@admin.register(PayTypeMapping)
class PayTypeMappingAdmin(CategoryMappingAdmin):
    """Payslip pay types -> the provider's salary codes (picked from the provider's own list
    where it has one, `Provider.list_salary_codes()`); an unmapped pay type blocks sending and
    the error links to this row's (prefilled) add page."""

    remote_field = ("salary_code", "salary_code")
    fields = ("organization", "provider", "pay_type", "salary_code", "description")
    list_display = ("pay_type", "provider_name", "salary_code", "description", "updated_at")
    list_display_links = ("pay_type",)
    list_editable = ("salary_code", "description")
    list_filter = (ProviderFilter, "pay_type")
    search_fields = ("pay_type", "salary_code", "description")
    list_per_page = 100
    unique_in_org = ("provider", "pay_type")
