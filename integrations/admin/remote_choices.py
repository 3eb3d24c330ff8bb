"""Mappings that cannot be wrong: the account and VAT fields of the mapping forms offer the
connected provider's own lists (`list_accounts()`, `list_vat_codes()`, fetched over its API and
cached for a few minutes per connection) as a list to pick from, and saving a code or account
the provider does not have is refused with a message on that field (asked again, uncached,
before refusing, in case it was added there a moment ago).

A provider that is not connected (or cannot be asked right now) cannot be checked: the field
stays a text field and says so, and the value is checked when the provider is connected and
before anything is sent (the providers' own checks)."""

from django import forms
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.errors import ProviderError
from integrations.http import in_transaction
from integrations.models import Connection

CACHE_SECONDS = 300
KIND_WORDS = {"account": gettext_lazy("accounts"), "vat": gettext_lazy("VAT codes"),
              "salary_code": gettext_lazy("salary codes")}


def _connection(organization, provider_key):
    if not organization or not provider_key:
        return None
    return (Connection.objects.for_org(organization)
            .filter(provider=provider_key, status=Connection.Status.CONNECTED).first())


def _fetch(connection, kind):
    from integrations.providers import registry

    provider = registry.for_connection(connection)
    if kind == "salary_code":
        return [(str(r["code"]), f"{r['code']} {r.get('name', '')}".strip())
                for r in provider.list_salary_codes()]
    if kind == "account":
        return [(str(r["number"]), f"{r['number']} {r.get('name', '')}".strip()
                 + (" " + _("(VAT %(code)s)") % {"code": r["vat_code"]}
                    if r.get("vat_code") else "")) for r in provider.list_accounts()]
    rows = provider.list_vat_codes()
    return [(str(r["code"]), " ".join(p for p in (
        str(r["code"]), r.get("name") or "",
        f"({r['rate']})" if r.get("rate") not in (None, "") else "") if p)) for r in rows]


def remote_options(organization, provider_key, kind, *, fresh=False):
    """[(value, label)] from the organization's connected provider, or None when there is no
    connection or it cannot be asked now. `kind` is "account", "vat" or "salary_code"."""
    connection = _connection(organization, provider_key)
    if connection is None:
        return None
    key = f"remote-options:{connection.pk}:{connection.credentials_version}:{kind}"
    options = None if fresh else cache.get(key)
    if options is None:
        if in_transaction():
            # Django admin's views run inside one, and no HTTP may: they asked before it
            # opened (`prefetch_remote_options`), so what they got is in the cache.
            return cache.get(key)
        try:
            options = _fetch(connection, kind)
        except (ProviderError, NotImplementedError, LookupError):
            return None
        cache.set(key, options, CACHE_SECONDS)
    return options


def prefetch_remote_options(organization, provider_key, kind, *, fresh=False):
    """Ask the provider now, before a view opens its transaction; later calls read the cache."""
    if provider_key and not in_transaction():
        remote_options(organization, provider_key, kind, fresh=fresh)


def provider_name(provider_key):
    from integrations.providers import registry

    return registry.name_of(provider_key)


def check_remote_value(organization, provider_key, kind, value):
    """An error message when the provider's list lacks `value`; "" when it has it or cannot
    be asked."""
    if not value:
        return ""
    options = remote_options(organization, provider_key, kind)
    if options is None or value in {v for v, _label in options}:
        return ""
    options = remote_options(organization, provider_key, kind, fresh=True)
    if options is None or value in {v for v, _label in options}:
        return ""
    return _("%(name)s has no %(value)s among its %(kind)s. Choose one from the list.") % {
        "name": provider_name(provider_key), "value": value, "kind": KIND_WORDS[kind]}


class RemoteCodeFormMixin:
    """Refuses values the provider does not have. `remote_fields` {field: kind};
    `remote_organization` is the admin's organization (None for a superuser: the row's)."""

    remote_fields = {}
    remote_organization = None

    def clean(self):
        cleaned = super().clean()
        organization = (self.remote_organization or cleaned.get("organization")
                        or getattr(self.instance, "organization", None))
        provider_key = cleaned.get("provider") or getattr(self.instance, "provider", "")
        for field, kind in self.remote_fields.items():
            if field not in self.fields or field in self.errors:
                continue
            message = check_remote_value(organization, provider_key, kind,
                                         str(cleaned.get(field) or "").strip())
            if message:
                self.add_error(field, message)
        return cleaned


def offer_remote_choices(form, *, organization, provider_key, field, kind):
    """Make `field` a list to pick from (the provider's own), keeping a stored value that is no
    longer there visible (marked) so the admin sees what to change."""
    if field not in form.base_fields:
        return form
    options = remote_options(organization, provider_key, kind) if provider_key else None
    base = form.base_fields[field]
    if options is None:
        # Only when it is not connected: a connected provider that has no such list (or cannot
        # be asked now) leaves the field as it is.
        if provider_key and _connection(organization, provider_key) is None:
            base.help_text = _("%(name)s is not connected, so this cannot be chosen from its "
                               "list yet; it is checked when %(name)s is connected and before "
                               "anything is sent.") % {"name": provider_name(provider_key)}
        return form
    choices = [("", "---------"), *options]
    form.base_fields[field] = forms.CharField(
        label=base.label, max_length=getattr(base, "max_length", None),
        required=base.required,
        widget=RemoteSelect(choices=choices, attrs={"data-remote-list": kind}),
        help_text=_("From %(name)s's own list (%(count)d).") % {
            "name": provider_name(provider_key), "count": len(options)})
    return form


class RemoteSelect(forms.Select):
    """A select that still shows a stored value the provider's list no longer has."""

    def optgroups(self, name, value, attrs=None):
        known = {str(v) for v, _label in self.choices}
        missing = [v for v in value if v and v not in known]
        if missing:
            self.choices = [*self.choices, *((v, _("%(value)s (not in the provider's list)")
                                              % {"value": v}) for v in missing)]
        return super().optgroups(name, value, attrs)
