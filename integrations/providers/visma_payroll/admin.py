"""Admin for Visma payroll's own tables: the TLU codes (edited here, inside the admin's
organization) and the payslip results (read-only: they come from Spiris Lön)."""

from django.contrib import admin

from accounting.admin_base import OrgScopedAdmin
from integrations.providers.visma_payroll.models import PayslipResult, TluCode


@admin.register(TluCode)
class TluCodeAdmin(OrgScopedAdmin):
    fields = ("organization", "source", "kind", "code", "name", "absence_type", "unit")
    list_display = ("source", "kind", "code", "name", "absence_type", "unit", "updated_at")
    list_editable = ("code", "name")
    list_filter = ("kind",)
    search_fields = ("source", "code", "name")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name in ("source", "kind", "code", "name", "absence_type"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:50]
        return initial


@admin.register(PayslipResult)
class PayslipResultAdmin(OrgScopedAdmin):
    list_display = ("payslip", "gross_salary", "net_salary", "preliminary_tax", "payment_date",
                    "payslip_locked", "wage_run_locked", "fetched_at")
    readonly_fields = ("payslip", "connection", "remote_payslip_id", "wage_run_id",
                       "gross_salary", "net_salary", "preliminary_tax", "payment_date",
                       "payslip_locked", "wage_run_locked", "fetched_at")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
