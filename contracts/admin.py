from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _

from accounting.admin_base import OrgScopedAdmin, OrgScopedInline
from contracts.models import Car, Contract, ContractLine


@admin.register(Car)
class CarAdmin(OrgScopedAdmin):
    list_display = ["__str__", "registration_number", "vin", "make", "model", "year"]
    list_filter = ["make", "year"]
    search_fields = ["registration_number", "vin", "make", "model"]


class ContractLineInline(OrgScopedInline):
    model = ContractLine
    fields = ["position", "category", "description", "quantity", "unit_price", "vat_label"]


@admin.register(Contract)
class ContractAdmin(OrgScopedAdmin):
    list_display = ["number", "customer", "car", "status", "signed_on", "total", "updated_at"]
    list_filter = ["status", "currency", ("customer", RelatedOnlyFieldListFilter)]
    search_fields = ["number", "customer__name", "car__registration_number", "car__vin"]
    date_hierarchy = "signed_on"
    list_select_related = ["customer", "car"]
    inlines = [ContractLineInline]

    @admin.display(description=_("Total excl. VAT"))
    def total(self, obj):
        return obj.total_excl_vat

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")


@admin.register(ContractLine)
class ContractLineAdmin(OrgScopedAdmin):
    """Lines across contracts, e.g. to find every line of a category that has no mapping yet."""

    organization_path = "contract__organization"
    list_display = ["contract", "category", "description", "quantity", "unit_price", "vat_label"]
    list_filter = ["category"]
    search_fields = ["description", "contract__number", "vat_label"]
    list_select_related = ["contract"]
