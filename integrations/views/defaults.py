"""An organization's accounting defaults (project, department, payment terms, delivery), checked
against the provider when they are saved, and reset.

The provider's `dealer_setup_problems(organization)` reads the stored defaults and asks the
provider (HTTP, so never inside a transaction), so saving is: store, ask, and put the previous
values back if the provider has no such project or department, with the problem on that field.
`reset_defaults` restores the defaults every organization starts with.
"""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from integrations.errors import ProviderError
from integrations.http import in_transaction
from integrations.models import AccountingSettings, Connection
from integrations.providers import registry
from integrations.viewkit import is_org_admin

logger = logging.getLogger("integrations.defaults")

FIELDS = ("payment_terms_days", "invoice_delivery_channel", "default_project_code",
          "default_department_code")


def defaults_problems(organization, provider_key, fields) -> list:
    """The provider's problems with the stored defaults, on `fields` only ([] when it is not
    connected or cannot be asked now)."""
    connection = (Connection.objects.for_org(organization)
                  .filter(provider=provider_key, status=Connection.Status.CONNECTED).first())
    if connection is None or in_transaction():
        return []
    try:
        problems = registry.for_connection(connection).dealer_setup_problems(organization)
    except (ProviderError, LookupError) as exc:
        logger.info("defaults of %s not checked: %s", provider_key, exc)
        return []
    return [p for p in problems if p.field in fields]


def save_checked_defaults_rollback_unsafe(form, *, organization, provider_key) -> list:
    """Save a ModelForm of AccountingSettings (already valid), then have the provider check it;
    on a problem the previous values are put back and the problem is added to its field.
    Returns the problems. Runs HTTP: call it outside any transaction."""
    instance = form.instance
    fields = [f for f in form.fields if f in FIELDS]
    # The form's instance already holds the new values (ModelForm validation puts them there).
    stored = (AccountingSettings.objects.for_org(organization).filter(pk=instance.pk)
              .values(*fields).first() if instance.pk else None)
    before = stored or {f: AccountingSettings._meta.get_field(f).get_default() for f in fields}
    form.save()
    problems = defaults_problems(organization, provider_key, fields)
    if problems:
        with transaction.atomic():
            AccountingSettings.objects.for_org(organization).filter(pk=instance.pk).update(
                **before)
        for problem in problems:
            form.add_error(problem.field, problem.message)
    return problems


def reset_defaults(organization, provider_key) -> AccountingSettings:
    """The defaults every organization starts with (14 days, e-mail, no project or department)."""
    values = {f: AccountingSettings._meta.get_field(f).get_default() for f in FIELDS}
    settings, _created = AccountingSettings.objects.update_or_create(
        organization=organization, provider=provider_key, defaults=values)
    return settings


def reset_view(request, provider):
    """"Reset" on a settings page: the provider's defaults back to where every organization
    starts; admins only; back to the page it came from."""
    if request.method != "POST":
        raise Http404
    if not request.user.is_authenticated or not request.organization:
        raise Http404(_("You are not a member of any organization."))
    if not is_org_admin(request):
        raise PermissionDenied(_("Only the organization's administrators can change its "
                                 "integrations."))
    try:
        name = registry.name_of(registry.get(provider).key)
    except LookupError:
        raise Http404(_("No provider %(key)s is registered.") % {"key": provider}) from None
    reset_defaults(request.organization, provider)
    messages.success(request, _("The defaults for %(name)s are reset.") % {"name": name})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("home")
