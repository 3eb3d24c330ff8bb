"""What the integrations admins share: provider choices and filters, badges, read-only bases.

Everything here keeps to one rule of `accounting.admin_base`: an organization's admin sees and
picks only their organization's rows. Django's built-in `AllValuesFieldListFilter` and
`RelatedFieldListFilter` read the related table unscoped, so lists filter by provider through
`ProviderFilter`, which reads the admin's own (scoped) queryset.
"""

import json
import re

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounting.admin_base import OrgScopedAdmin, current_admin_organization
from integrations.providers import registry

# A provider key as the registry spells them; anything else from a query string is ignored.
PROVIDER_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# Status value -> badge tone, for every status field shown in the integrations admin.
_TONES = {
    "ok": "ok", "done": "ok", "connected": "ok",
    "retry": "warn", "queued": "warn", "running": "warn", "unknown": "warn",
    "needs_reauth": "warn",
    "failed": "err", "dead": "err",
}
_TONE_STYLE = {
    "ok": "background:#d3f9d8;color:#1b4d25",
    "warn": "background:#fff3bf;color:#5c4400",
    "err": "background:#ffe3e3;color:#7a1414",
    "neutral": "background:#e9ecef;color:#343a40",
}


def badge(value, label):
    tone = _TONES.get(value, "neutral")
    return format_html(
        '<span class="hub-badge hub-badge-{}" style="display:inline-block;padding:1px 8px;'
        'border-radius:999px;font-weight:600;{}">{}</span>',
        tone, _TONE_STYLE[tone], label,
    )


def short(text, length=90):
    return Truncator(" ".join((text or "").split())).chars(length)


def pretty_json(value):
    """JSON as the provider sent it (keys in their order), readable, HTML-escaped."""
    if value in (None, {}, []):
        return "-"
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return format_html('<pre class="hub-json" style="white-space:pre-wrap;margin:0">{}</pre>',
                       text)


def provider_label(key):
    return registry.name_of(key) if key else "-"


def admin_org(request):
    """The organization the admin works in, or None (a superuser without a membership)."""
    return current_admin_organization(request)


def provider_keys_in_use(organization):
    """Provider keys the registry knows plus those the organization's rows already use (an
    unregistered key must stay pickable, or rows for it could not be edited any more)."""
    from integrations.models import AccountingSettings, AccountMapping, Connection, VatMapping

    keys = set(registry.keys())
    for model in (Connection, VatMapping, AccountMapping, AccountingSettings):
        qs = model.objects.all() if organization is None else model.objects.for_org(organization)
        keys.update(qs.order_by().values_list("provider", flat=True).distinct())
    keys.discard("")
    return keys


def provider_choices(organization, *, extra=()):
    keys = provider_keys_in_use(organization)
    keys.update(k for k in extra if k and PROVIDER_KEY.match(k))
    return sorted(((k, registry.name_of(k)) for k in keys), key=lambda c: str(c[1]).lower())


class ProviderFilter(admin.SimpleListFilter):
    """Filter by provider, listing the names of the providers present in the admin's rows."""

    title = _("provider")
    parameter_name = "provider"
    field_path = "provider"

    def lookups(self, request, model_admin):
        keys = (model_admin.get_queryset(request).order_by()
                .values_list(self.field_path, flat=True).distinct())
        return sorted(((k, registry.name_of(k)) for k in set(keys) if k),
                      key=lambda c: str(c[1]).lower())

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


class ConnectionProviderFilter(ProviderFilter):
    field_path = "connection__provider"


class OrgUniqueForm(forms.ModelForm):
    """Checks a per-organization unique constraint the form cannot see.

    Org admins' forms exclude `organization`, so Django skips constraints that include it and a
    duplicate would end in an IntegrityError (a 500). `organization` and `unique_in_org` are set
    on the form class by `ProviderChoiceAdmin.get_form`."""

    organization = None
    unique_in_org = ()

    def clean(self):
        cleaned = super().clean()
        if self.organization is None or not self.unique_in_org:
            return cleaned
        values = {f: cleaned.get(f) for f in self.unique_in_org}
        if any(v in (None, "") for v in values.values()):
            return cleaned
        model = self._meta.model
        clash = model.objects.for_org(self.organization).filter(**values)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                gettext("Your organization already has a %(name)s for this %(fields)s; "
                        "change that one instead.")
                % {"name": model._meta.verbose_name,
                   "fields": gettext(" and ").join(
                       str(model._meta.get_field(f).verbose_name) for f in self.unique_in_org)},
                code="unique_in_org",
            )
        return cleaned


class HubAdmin(OrgScopedAdmin):
    """Org-scoped admin that shows superusers (who see every organization) whose row it is."""

    def get_fields(self, request, obj=None):
        # An explicit `fields` naming `organization` would otherwise ask the form for a field
        # that `get_exclude` took out for org admins.
        excluded = set(self.get_exclude(request, obj) or ())
        return [f for f in super().get_fields(request, obj) if f not in excluded]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.is_superuser and "organization" not in columns:
            columns.append("organization")
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            filters.append(("organization", admin.RelatedOnlyFieldListFilter))
        return filters


class ProviderChoiceAdmin(HubAdmin):
    """Rows keyed by provider: the provider is picked from a list, never typed."""

    form = OrgUniqueForm
    unique_in_org = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        org = admin_org(request)
        # The add page's deep link (`?provider=...`) must preselect its provider even when the
        # provider is not registered yet and the organization has no rows for it.
        extra = [obj.provider] if obj is not None else [request.GET.get("provider", "")]
        if "provider" in form.base_fields:
            form.base_fields["provider"] = forms.ChoiceField(
                label=_("provider"),
                choices=[("", "---------"), *provider_choices(org, extra=extra)],
                help_text=_("The accounting system this row applies to."),
            )
        # modelform_factory made a fresh class for this request, so these do not leak.
        if not request.user.is_superuser:
            form.organization = org
            form.unique_in_org = self.unique_in_org
        return form

    @admin.display(description=_("provider"), ordering="provider")
    def provider_name(self, obj):
        return provider_label(obj.provider)


class NoWritesMixin:
    """Admins look, they do not add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProviderStatusColumns:
    """The provider's name and a coloured status badge, for rows that have both."""

    @admin.display(description=_("provider"), ordering="provider")
    def provider_name(self, obj):
        return provider_label(obj.provider)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(obj.status, obj.get_status_display())


class ReadOnlyAdmin(NoWritesMixin, HubAdmin):
    """Rows the engine writes: admins look, they do not add or edit."""


class ConnectionChildAdmin(HubAdmin):
    """Rows under a connection: their organization is the connection's, whoever saves them."""

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if "organization" not in exclude:
            exclude.append("organization")
        return exclude

    def save_model(self, request, obj, form, change):
        obj.organization_id = obj.connection.organization_id
        super().save_model(request, obj, form, change)

    @admin.display(description=_("provider"), ordering="connection__provider")
    def provider_name(self, obj):
        return provider_label(obj.connection.provider)
