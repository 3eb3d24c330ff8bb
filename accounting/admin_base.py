"""Admin inside one organization.

An organization's administrators (Membership role admin, `is_staff`) use Django admin; they see
and change only their organization's rows, foreign-key choices are limited to it, new rows get it
automatically, and another organization's object answers 404. Superusers see everything.
"""

from django.contrib import admin
from django.http import Http404

from accounting.models import Membership


def admin_organization_ids(request):
    """Organizations the user administers (cached on the request)."""
    if not hasattr(request, "_admin_org_ids"):
        request._admin_org_ids = set(
            Membership.objects.filter(user=request.user, role=Membership.Role.ADMIN)
            .values_list("organization_id", flat=True)
        ) if request.user.is_authenticated else set()
    return request._admin_org_ids


def current_admin_organization(request):
    org = getattr(request, "organization", None)
    if org and org.pk in admin_organization_ids(request):
        return org
    return None


def limit_to_organization(field, db_field, request):
    """Foreign-key choices of tenant models only from the admin's own organization."""
    model = db_field.related_model
    if field is not None and not request.user.is_superuser and hasattr(model, "organization"):
        field.queryset = field.queryset.filter(organization=current_admin_organization(request))
    return field


class OrgScopedAdmin(admin.ModelAdmin):
    # The path from the model to its organization, for models that reach it through a parent.
    organization_path = "organization"

    def _is_org_admin(self, request):
        user = request.user
        return user.is_active and user.is_staff and bool(admin_organization_ids(request))

    def has_module_permission(self, request):
        return request.user.is_superuser or self._is_org_admin(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or self._is_org_admin(request)

    has_add_permission = has_view_permission
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        org = current_admin_organization(request)
        if org is None:
            return qs.none()
        return qs.filter(**{self.organization_path: org})

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your organization.")
        return obj

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.organization_path == "organization":
            exclude.append("organization")
        return exclude

    def save_model(self, request, obj, form, change):
        if not change and self.organization_path == "organization" and not obj.organization_id:
            obj.organization = current_admin_organization(request)
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return limit_to_organization(field, db_field, request)


def _is_tenant_model(model):
    return any(f.name == "organization" for f in model._meta.get_fields())


class OrgScopedInline(admin.TabularInline):
    """Rows edited under a parent. A tenant-owned inline row (one with its own `organization`,
    e.g. an invoice's payments) takes the parent's organization: its organization field is never
    shown (it would list every organization) and foreign-key choices are limited like the parent's.
    """

    extra = 0

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or bool(admin_organization_ids(request))

    has_add_permission = has_view_permission
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if _is_tenant_model(self.model):
            exclude.append("organization")
        return exclude

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if not _is_tenant_model(self.model):
            return formset

        class TenantInlineFormSet(formset):
            def save_new(self, form, commit=True):
                form.instance.organization_id = self.instance.organization_id
                return super().save_new(form, commit)

        return TenantInlineFormSet

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return limit_to_organization(field, db_field, request)
