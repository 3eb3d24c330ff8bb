"""The "Mapping per category" page: for each provider, every line category with its VAT code
and sales account side by side, each linking to the row's change page or a prefilled add page.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounting.categories import document_category_label
from accounting.models import InvoiceLine, Organization, QuoteLine
from contracts.models import Contract, LineCategory
from integrations.admin.common import admin_org, provider_label
from integrations.admin_links import (
    accounting_defaults_add_url,
    admin_change_url,
    mapping_add_url,
)
from integrations.models import AccountingSettings, AccountMapping, VatMapping
from integrations.providers import registry

# The default category of invoice and quote lines (accounting.models.DocumentLine).
DOCUMENT_LINE_DEFAULT = "service"
def category_name(key):
    """A category as people call it, in their language ("Arbeid" for "labor")."""
    labels = dict(LineCategory.choices)
    return str(labels[key]) if key in labels else document_category_label(key)


def category_label(key):
    return f"{category_name(key)} ({key})"


def known_categories(organization):
    """Every category that may need a mapping here: the contract line categories where the
    organization keeps contracts, the categories its invoice and quote lines use, and any
    category already mapped."""
    keys = ([c.value for c in LineCategory]
            if Contract.objects.for_org(organization).exists() else [])
    found = set()
    for model, path in ((InvoiceLine, "invoice__organization"), (QuoteLine, "quote__organization"),
                        (VatMapping, "organization"), (AccountMapping, "organization")):
        found.update(model.objects.filter(**{path: organization}).order_by()
                     .values_list("category", flat=True).distinct())
    return keys + sorted(found - set(keys) - {""})


def own_provider_keys(organization):
    """The providers the organization works with (connected or mapped for), plus those it
    has defaults for: no overview table for a provider it never used."""
    keys = {cls.key for cls in registry.in_use(organization)}
    keys.update(AccountingSettings.objects.for_org(organization).order_by()
                .values_list("provider", flat=True).distinct())
    for model in (VatMapping, AccountMapping):  # rows of a provider no longer registered
        keys.update(model.objects.for_org(organization).order_by()
                    .values_list("provider", flat=True).distinct())
    keys.discard("")
    return keys


def _overview_organization(request):
    """Org admins see their own organization; a superuser may pick one with `?organization=`."""
    org = admin_org(request)
    if request.user.is_superuser:
        chosen = request.GET.get("organization", "")
        if chosen.isdigit():
            org = Organization.objects.filter(pk=chosen).first() or org
        if org is None:
            org = Organization.objects.order_by("name").first()
    return org


def _cell(obj, value_field, *, kind, provider, category):
    # The same links `mapping_fix_url` gives, without a query per cell.
    if obj is None:
        return {"missing": True,
                "url": mapping_add_url(provider=provider, category=category, kind=kind)}
    return {"missing": False, "url": admin_change_url(obj), "value": getattr(obj, value_field),
            "description": obj.description}


def provider_tables(organization):
    vat = {(m.provider, m.category): m for m in VatMapping.objects.for_org(organization)}
    account = {(m.provider, m.category): m for m in AccountMapping.objects.for_org(organization)}
    defaults = {s.provider: s for s in AccountingSettings.objects.for_org(organization)}
    categories = known_categories(organization)
    tables = []
    for provider in sorted(own_provider_keys(organization),
                           key=lambda k: str(provider_label(k)).lower()):
        rows = []
        for category in categories:
            at = {"provider": provider, "category": category}
            rows.append({
                "category": category,
                "label": category_label(category),
                "vat": _cell(vat.get((provider, category)), "vat_code", kind="vat", **at),
                "account": _cell(account.get((provider, category)), "account_number",
                                 kind="account", **at),
            })
        own_defaults = defaults.get(provider)
        tables.append({
            "key": provider,
            "name": provider_label(provider),
            "rows": rows,
            "missing": sum(r["vat"]["missing"] + r["account"]["missing"] for r in rows),
            "has_defaults": own_defaults is not None,
            "defaults_url": (admin_change_url(own_defaults) if own_defaults
                             else accounting_defaults_add_url(provider=provider)),
        })
    return tables


def mapping_overview_view(request):
    model_admin = admin.site._registry.get(VatMapping)
    if model_admin is None or not model_admin.has_view_permission(request):
        raise PermissionDenied
    org = _overview_organization(request)
    context = {
        **admin.site.each_context(request),
        "title": _("Mapping per category"),
        "subtitle": org.name if org else None,
        "mapping_organization": org,
        "organizations": (Organization.objects.order_by("name")
                          if request.user.is_superuser else None),
        "providers": provider_tables(org) if org else [],
        "opts": VatMapping._meta,
        "app_label": VatMapping._meta.app_label,
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "integrations/admin/mapping_overview.html", context)
