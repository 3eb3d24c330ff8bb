"""Admin of organizations, memberships and the shared business records.

Everything tenant-owned goes through `OrgScopedAdmin`: an organization's admins see their own rows
only. Foreign-key filters in the sidebar use `RelatedOnlyFieldListFilter`, because the plain
related filter lists every row of the related table, other organizations' included.
"""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _

from accounting.admin_base import OrgScopedAdmin, OrgScopedInline, admin_organization_ids
from accounting.models import (
    Customer,
    Employee,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    Membership,
    Organization,
    Payslip,
    PayslipLine,
    Project,
    Quote,
    QuoteLine,
    TimeEntry,
)


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Organizations span tenants: only the installation's superusers manage them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_module_permission
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "slug", "country", "currency", "language", "org_number", "created_at"]
    list_filter = ["country", "currency"]
    search_fields = ["name", "slug", "org_number"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    """Superusers manage every membership. An organization's admins see their own organization's
    members and may change a role or remove a member, but not add one: the user list would show
    every user of the installation."""

    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user"]

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["user"]

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return ["role", "organization"]
        return ["role"]

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        # An admin removing themselves would lock the organization out of its own admin.
        if allowed and obj is not None and not request.user.is_superuser:
            return obj.user_id != request.user.pk or len(admin_organization_ids(request)) > 1
        return allowed


@admin.register(Customer)
class CustomerAdmin(OrgScopedAdmin):
    list_display = ["name", "kind", "org_number", "email", "phone", "city", "updated_at"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "org_number", "email", "phone", "city"]


@admin.register(Project)
class ProjectAdmin(OrgScopedAdmin):
    list_display = ["number", "name", "customer", "start_date", "end_date", "is_active"]
    list_filter = ["is_active", ("customer", RelatedOnlyFieldListFilter)]
    search_fields = ["number", "name", "customer__name"]
    list_select_related = ["customer"]


@admin.register(Employee)
class EmployeeAdmin(OrgScopedAdmin):
    list_display = ["employee_number", "first_name", "last_name", "email", "employed_from"]
    search_fields = ["employee_number", "first_name", "last_name", "email"]


@admin.register(TimeEntry)
class TimeEntryAdmin(OrgScopedAdmin):
    list_display = ["date", "employee", "project", "hours", "absence_kind", "description"]
    list_filter = [
        "absence_kind",
        ("employee", RelatedOnlyFieldListFilter), ("project", RelatedOnlyFieldListFilter),
    ]
    search_fields = ["description", "employee__first_name", "employee__last_name", "project__name"]
    date_hierarchy = "date"
    list_select_related = ["employee", "project"]


class QuoteLineInline(OrgScopedInline):
    model = QuoteLine
    fields = ["position", "category", "description", "quantity", "unit_price", "discount_percent"]


class InvoiceLineInline(OrgScopedInline):
    model = InvoiceLine
    fields = QuoteLineInline.fields


class InvoicePaymentInline(OrgScopedInline):
    model = InvoicePayment
    fields = ["paid_on", "amount", "currency", "reference"]


class SalesDocumentAdmin(OrgScopedAdmin):
    search_fields = ["number", "customer__name", "project__name", "our_reference"]
    list_select_related = ["customer"]
    date_hierarchy = "issue_date"

    @admin.display(description=_("Total excl. VAT"))
    def total(self, obj):
        return obj.total_excl_vat

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")


@admin.register(Quote)
class QuoteAdmin(SalesDocumentAdmin):
    list_display = ["__str__", "customer", "issue_date", "valid_until", "status", "total"]
    list_filter = ["status", ("customer", RelatedOnlyFieldListFilter)]
    inlines = [QuoteLineInline]


@admin.register(Invoice)
class InvoiceAdmin(SalesDocumentAdmin):
    list_display = [
        "__str__", "customer", "issue_date", "due_date", "status", "total", "remaining_amount",
    ]
    list_filter = ["status", ("customer", RelatedOnlyFieldListFilter)]
    inlines = [InvoiceLineInline, InvoicePaymentInline]


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(OrgScopedAdmin):
    list_display = ["paid_on", "invoice", "amount", "currency", "reference"]
    search_fields = ["reference", "invoice__number", "invoice__customer__name"]
    date_hierarchy = "paid_on"
    list_select_related = ["invoice"]


class PayslipLineInline(OrgScopedInline):
    model = PayslipLine
    fields = ["pay_type", "description", "quantity", "unit_amount"]


@admin.register(Payslip)
class PayslipAdmin(OrgScopedAdmin):
    list_display = ["employee", "period_start", "period_end", "pay_date", "currency"]
    list_filter = [("employee", RelatedOnlyFieldListFilter)]
    search_fields = ["employee__first_name", "employee__last_name", "employee__employee_number"]
    date_hierarchy = "pay_date"
    list_select_related = ["employee"]
    inlines = [PayslipLineInline]
