"""Offer the provider's own accounts and VAT codes in the mapping forms: the account and VAT
fields get a list of what the connected provider has (`list_accounts()`, `list_vat_codes()`),
fetched over its API and cached for a few minutes per connection. Typing stays possible (a
provider that cannot be asked right now leaves a plain field), and nothing is sent anywhere."""

from django import forms
from django.core.cache import cache
from django.utils.html import format_html, format_html_join

from integrations.errors import ProviderError
from integrations.models import Connection

CACHE_SECONDS = 300


class DatalistInput(forms.TextInput):
    """A text input with a <datalist> of suggestions (value, label)."""

    def __init__(self, options, *, list_id, attrs=None):
        super().__init__({**(attrs or {}), "list": list_id, "autocomplete": "off"})
        self.options = options
        self.list_id = list_id

    def render(self, name, value, attrs=None, renderer=None):
        field = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}">{}</option>', self.options)
        return format_html('{}<datalist id="{}">{}</datalist>', field, self.list_id, options)


def remote_options(organization, provider_key, kind):
    """[(value, label)] from the organization's connected provider, or [] when there is none or
    it cannot be asked now. `kind` is "account" or "vat"."""
    from integrations.providers import registry

    connection = (Connection.objects.for_org(organization)
                  .filter(provider=provider_key, status=Connection.Status.CONNECTED).first())
    if connection is None:
        return []
    key = f"remote-options:{connection.pk}:{connection.credentials_version}:{kind}"
    options = cache.get(key)
    if options is None:
        provider = registry.for_connection(connection)
        try:
            if kind == "account":
                rows = provider.list_accounts()
                options = [(str(r["number"]), f"{r['number']} {r.get('name', '')}"
                            f"{' (VAT ' + r['vat_code'] + ')' if r.get('vat_code') else ''}")
                           for r in rows]
            else:
                rows = provider.list_vat_codes()
                options = [(str(r["code"]), f"{r['code']} {r.get('name', '')} "
                            f"({r.get('rate', '')})") for r in rows]
        except (ProviderError, NotImplementedError, LookupError):
            return []
        cache.set(key, options, CACHE_SECONDS)
    return options


def offer_remote_choices(form, *, organization, provider_key, field, kind):
    if not organization or not provider_key or field not in form.base_fields:
        return form
    options = remote_options(organization, provider_key, kind)
    if options:
        form.base_fields[field].widget = DatalistInput(options, list_id=f"remote-{kind}s")
        form.base_fields[field].help_text = (
            f"{len(options)} from {provider_key}'s own list; type to search.")
    return form
