"""The mapping editor: VAT code and sales account per (provider, line category), salary code
per (provider, pay type), and the organization's accounting defaults per provider.

Nothing is sent while a line's category lacks either mapping, and the error that says so links
here (`integrations.admin_links.mapping_fix_url`), so the add pages honour `?provider=&category=`.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrations.admin.common import ProviderChoiceAdmin, ProviderFilter
from integrations.admin.overview import category_label
from integrations.admin.remote_choices import offer_remote_choices
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.remote_field is not None:
            from accounting.admin_base import current_admin_organization

            field, kind = self.remote_field
            provider = obj.provider if obj is not None else request.GET.get("provider", "")
            offer_remote_choices(form, organization=current_admin_organization(request),
                                 provider_key=provider, field=field, kind=kind)
        return form


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
class PayTypeMappingAdmin(ProviderChoiceAdmin):
    """Payslip pay types -> the provider's salary codes; an unmapped pay type blocks sending and
    the error links to this row's (prefilled) add page."""

    fields = ("organization", "provider", "pay_type", "salary_code", "description")
    list_display = ("pay_type", "provider_name", "salary_code", "description", "updated_at")
    list_display_links = ("pay_type",)
    list_editable = ("salary_code", "description")
    list_filter = (ProviderFilter, "pay_type")
    search_fields = ("pay_type", "salary_code", "description")
    list_per_page = 100
    unique_in_org = ("provider", "pay_type")
