"""Server-rendered pages and buttons of the dealer's flow, for whichever accounting system the
organization uses: Settings -> Accounting (the provider's connect part, status, test,
disconnect, defaults, the provider's VAT codes and accounts, validate), the contract's buttons
and live badge, the customer's sync button. Every view works inside the signed-in user's
organization; another organization's record is a 404. Changing the connection or the defaults
needs the organization's admin role. A provider's own addresses may fix `provider`."""

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounting.models import Customer
from accounting.tenancy import get_for_org_or_404
from contracts.dealerflow import panels, services
from contracts.dealerflow.selectors import choose, dealer_providers, defaults_for, is_connected
from integrations.errors import ActionBlocked, ProviderError
from integrations.models import AccountingSettings, SyncLogEntry
from integrations.viewkit import admin_required, is_org_admin, member_required, show_problems
from integrations.views.defaults import save_checked_defaults_rollback_unsafe

REMOTE_LIST_SECONDS = 300


class DefaultsForm(forms.ModelForm):
    class Meta:
        model = AccountingSettings
        fields = ["payment_terms_days", "default_project_code", "default_department_code",
                  "invoice_delivery_channel"]
        labels = {"payment_terms_days": gettext_lazy("Payment terms"),
                  "default_project_code": gettext_lazy("Default project"),
                  "default_department_code": gettext_lazy("Default department"),
                  "invoice_delivery_channel": gettext_lazy("Invoice delivery")}


def remote_lists(cls, connection):
    """(VAT codes, accounts) as the provider lists them, cached a few minutes per connection;
    ([], []) plus the error when it cannot be asked now."""
    key = f"dealer-remote-lists:{connection.pk}:{connection.credentials_version}"
    found = cache.get(key)
    if found is None:
        provider = cls(connection)
        try:
            found = {"vat_codes": provider.list_vat_codes(), "accounts": provider.list_accounts(),
                     "error": ""}
        except (ProviderError, NotImplementedError) as exc:
            return {"vat_codes": [], "accounts": [], "error": str(exc)}
        cache.set(key, found, REMOTE_LIST_SECONDS)
    return found


def _connect_sections(request, chosen, connection):
    """The connect part of each provider the page offers: the chosen one's, or (when the
    organization uses none yet) every dealer provider's."""
    offered = [chosen] if chosen is not None else dealer_providers()
    return [{"template": cls.dealer_flow.connect_template, "key": cls.key, "name": cls.name,
             "connection": connection if cls is chosen else None,
             "connected": cls is chosen and is_connected(connection),
             "is_admin": is_org_admin(request)}
            for cls in offered if cls.dealer_flow.connect_template]


@member_required
def settings_page(request, provider=None, defaults_form=None):
    org = request.organization
    cls, connection = choose(org, provider)
    connected = is_connected(connection)
    context = {
        "provider_key": cls.key if cls else "",
        "provider_name": cls.name if cls else "",
        "connection": connection,
        "connected": connected,
        "is_admin": is_org_admin(request),
        "test": services.last_test(connection),
        "connect_sections": _connect_sections(request, cls, connection),
        "defaults_form": defaults_form or (
            DefaultsForm(instance=defaults_for(org, cls.key)) if cls else None),
        "remote": remote_lists(cls, connection) if connected else None,
        "problems": request.session.pop("dealer_validation", None),
        "recent": (SyncLogEntry.objects.for_org(org).filter(provider=cls.key)
                   .order_by("-created_at")[:5]) if cls else [],
    }
    return render(request, "contracts/dealer/settings.html", context)


def _chosen_or_back(request, provider):
    cls, connection = choose(request.organization, provider)
    return cls, connection


@require_POST
@admin_required
def disconnect(request, provider=None):
    cls, connection = _chosen_or_back(request, provider)
    if connection is not None:
        services.disconnect_rollback_unsafe(connection, user=request.user)
        messages.success(request, _("Disconnected from %(provider)s. Links and the sync log "
                                    "are kept.") % {"provider": cls.name})
    return redirect("contracts:accounting_settings")


@require_POST
@member_required
def test_connection(request, provider=None):
    cls, connection = _chosen_or_back(request, provider)
    if not is_connected(connection):
        messages.error(request, _("No accounting system is connected.") if cls is None else
                       _("%(provider)s is not connected.") % {"provider": cls.name})
    elif services.test_connection(connection) is None:
        messages.error(request, _("%(provider)s could not be reached: %(error)s")
                       % {"provider": cls.name,
                          "error": (services.last_test(connection) or {}).get("error", "-")})
    else:
        messages.success(request, _("The connection to %(provider)s works.")
                         % {"provider": cls.name})
    return redirect("contracts:accounting_settings")


@require_POST
@admin_required
def save_defaults(request, provider=None):
    cls, _connection = _chosen_or_back(request, provider)
    if cls is None:
        messages.error(request, _("No accounting system is connected."))
        return redirect("contracts:accounting_settings")
    form = DefaultsForm(request.POST, instance=defaults_for(request.organization, cls.key))
    # Checked at the provider too (a project or department it does not have is put back).
    if form.is_valid() and not save_checked_defaults_rollback_unsafe(
            form, organization=request.organization, provider_key=cls.key):
        messages.success(request, _("Defaults saved."))
        return redirect("contracts:accounting_settings")
    return settings_page(request, provider, defaults_form=form)  # the errors on their fields


@require_POST
@member_required
def validate(request, provider=None):
    cls, _connection = _chosen_or_back(request, provider)
    problems = services.validate_setup(request.organization, key=provider)
    request.session["dealer_validation"] = [p.as_dict() for p in problems]
    if not problems:
        messages.success(request, _("Everything needed to send to %(provider)s is in place.")
                         % {"provider": cls.name})
    return redirect("contracts:accounting_settings")


# -- contract and customer -------------------------------------------------------------------
def _contract(request, pk):
    from contracts.models import Contract

    return get_for_org_or_404(Contract.objects.select_related("customer", "car"),
                              request.organization, pk=pk)


def _contract_action(request, pk, action, started, provider):
    contract = _contract(request, pk)
    cls, _connection = choose(request.organization, provider)
    try:
        action(contract, user=request.user, key=provider)
    except ActionBlocked as exc:
        show_problems(request, exc)
    else:
        messages.info(request, started % {"provider": cls.name})
    return redirect("contracts:contract_detail", pk=contract.pk)


@require_POST
@member_required
def send_order(request, pk, provider=None):
    return _contract_action(request, pk, services.send_order_rollback_unsafe,
                            _("Sending to %(provider)s…"), provider)


@require_POST
@member_required
def invoice_now(request, pk, provider=None):
    return _contract_action(request, pk, services.invoice_now,
                            _("Invoicing in %(provider)s…"), provider)


@member_required
def contract_status(request, pk, provider=None):
    """The panel's live part, re-fetched by the page while something is under way."""
    contract = _contract(request, pk)
    context = panels.contract_panel(contract, check_remote=False, key=provider)
    return render(request, "contracts/dealer/_contract_status.html", context)


@require_POST
@member_required
def sync_customer(request, pk, provider=None):
    customer = get_for_org_or_404(Customer, request.organization, pk=pk)
    cls, _connection = choose(request.organization, provider)
    try:
        services.sync_customer(customer, user=request.user, key=provider)
    except ActionBlocked as exc:
        show_problems(request, exc)
    else:
        messages.info(request, _("Syncing the customer with %(provider)s…")
                      % {"provider": cls.name})
    return redirect("contracts:customer_detail", pk=customer.pk)
