"""Deep links into the integrations admin, for error messages that say where a thing is fixed.

Kept apart from `integrations.admin` so services can import it without registering admin
classes. Every link is to a page the organization's admins can open. The URLs are paths
("/admin/..."): use them as they are in pages, and prefix APP_BASE_URL in e-mails.
"""

from urllib.parse import urlencode

from django.urls import reverse

from integrations.models import AccountingSettings, AccountMapping, VatMapping

MAPPING_MODELS = {"vat": VatMapping, "account": AccountMapping}


def _admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def admin_change_url(obj) -> str:
    return _admin_url(type(obj), "change", obj.pk)


def mapping_add_url(*, provider, category, kind) -> str:
    """The add page of a mapping, with provider and category filled in."""
    model = _mapping_model(kind)
    return f"{_admin_url(model, 'add')}?{urlencode({'provider': provider, 'category': category})}"


def _mapping_model(kind):
    try:
        return MAPPING_MODELS[kind]
    except KeyError as exc:
        raise ValueError(f"kind must be one of {sorted(MAPPING_MODELS)}, not {kind!r}") from exc


def mapping_fix_url(*, organization, provider, category, kind) -> str:
    """Where the organization fixes the VAT (`kind="vat"`) or account (`kind="account"`) mapping
    of one line category for one provider: the mapping's change page when it exists, else the
    add page with provider and category filled in.

    E.g. for "Mangler MVA-mapping for 'AddOn'. Gå til Regnskap -> Mapping."
    """
    model = _mapping_model(kind)
    pk = (model.objects.for_org(organization).filter(provider=provider, category=category)
          .values_list("pk", flat=True).first())
    if pk is not None:
        return _admin_url(model, "change", pk)
    return mapping_add_url(provider=provider, category=category, kind=kind)


def accounting_defaults_fix_url(*, organization, provider) -> str:
    """The organization's accounting defaults for one provider: change page, or prefilled add."""
    pk = (AccountingSettings.objects.for_org(organization).filter(provider=provider)
          .values_list("pk", flat=True).first())
    if pk is not None:
        return _admin_url(AccountingSettings, "change", pk)
    return accounting_defaults_add_url(provider=provider)


def accounting_defaults_add_url(*, provider) -> str:
    return f"{_admin_url(AccountingSettings, 'add')}?{urlencode({'provider': provider})}"


def mapping_overview_url(*, provider=None) -> str:
    """The table of every category's VAT code and account, optionally at one provider."""
    url = reverse("admin:integrations_mapping_overview")
    return f"{url}#provider-{provider}" if provider else url
