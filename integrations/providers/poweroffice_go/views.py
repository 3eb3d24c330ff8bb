"""Server-rendered pages and buttons for PowerOffice Go: Settings -> Accounting (connect,
status, defaults, validate), the contract's buttons and live badge, the customer's sync button.
Every view works inside the signed-in user's organization; another organization's record is a
404. Changing the connection or the defaults needs the organization's admin role."""


from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounting.models import Customer
from accounting.tenancy import get_for_org_or_404
from integrations.errors import ActionBlocked
from integrations.models import AccountingSettings, SyncLogEntry
from integrations.providers.poweroffice_go import panels, services
from integrations.providers.poweroffice_go.operations import KEY, defaults_for
from integrations.viewkit import admin_required, is_org_admin, member_required, show_problems


# -- Settings -> Accounting ------------------------------------------------------------------
class DefaultsForm(forms.ModelForm):
    class Meta:
        model = AccountingSettings
        fields = ["payment_terms_days", "default_project_code", "default_department_code",
                  "invoice_delivery_channel"]


class ClientKeyForm(forms.Form):
    client_key = forms.CharField(label=gettext_lazy("Client key"), max_length=100,
                                 widget=forms.PasswordInput(render_value=False))


@member_required
def settings_page(request):
    org = request.organization
    connection = services.get_connection(org)
    context = {
        "connection": connection,
        "connected": services.is_connected(connection),
        "is_admin": is_org_admin(request),
        "test": services.last_test(connection),
        "defaults_form": DefaultsForm(instance=defaults_for(org)),
        "key_form": ClientKeyForm(),
        "problems": request.session.pop("pogo_validation", None),
        "recent": (SyncLogEntry.objects.for_org(org).filter(provider=KEY)
                   .order_by("-created_at")[:5]),
    }
    return render(request, "poweroffice_go/settings.html", context)


@require_POST
@admin_required
def connect(request):
    try:
        url = services.start_onboarding(organization=request.organization, user=request.user)
    except ActionBlocked as exc:
        show_problems(request, exc)
        return redirect("pogo:settings")
    return redirect(url)


@require_POST
@admin_required
def connect_with_key(request):
    form = ClientKeyForm(request.POST)
    if form.is_valid():
        try:
            connection = services.connect_with_client_key(
                organization=request.organization, user=request.user,
                client_key=form.cleaned_data["client_key"])
        except ActionBlocked as exc:
            show_problems(request, exc)
        else:
            messages.success(request, _("Connected to PowerOffice Go: %(company)s")
                             % {"company": connection.remote_company_name or "-"})
    else:
        messages.error(request, _("Paste the client key from PowerOffice Go."))
    return redirect("pogo:settings")


@require_POST
@admin_required
def disconnect(request):
    connection = services.get_connection(request.organization)
    if connection is not None:
        services.disconnect_rollback_unsafe(connection, user=request.user)
        messages.success(request, _("Disconnected from PowerOffice Go. Links and the sync log "
                                    "are kept."))
    return redirect("pogo:settings")


@require_POST
@member_required
def test_connection(request):
    connection = services.get_connection(request.organization)
    if not services.is_connected(connection):
        messages.error(request, _("PowerOffice Go is not connected."))
    elif services.test_connection(connection) is None:
        messages.error(request, _("PowerOffice Go could not be reached: %(error)s")
                       % {"error": (services.last_test(connection) or {}).get("error", "-")})
    else:
        messages.success(request, _("The connection to PowerOffice Go works."))
    return redirect("pogo:settings")


@require_POST
@admin_required
def save_defaults(request):
    form = DefaultsForm(request.POST, instance=defaults_for(request.organization))
    if form.is_valid():
        form.save()
        messages.success(request, _("Defaults saved."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else field
            messages.error(request, f"{label}: {' '.join(errors)}")
    return redirect("pogo:settings")


@require_POST
@member_required
def validate(request):
    problems = services.validate_setup(request.organization)
    request.session["pogo_validation"] = [p.as_dict() for p in problems]
    if not problems:
        messages.success(request, _("Everything needed to send to PowerOffice Go is in place."))
    return redirect("pogo:settings")


def onboarding_callback(request):
    """The browser is back from PowerOffice Go's approval page."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")
    try:
        connection = services.complete_onboarding(
            state=request.GET.get("state", ""), status=request.GET.get("status", ""),
            token=request.GET.get("token", ""), user=request.user)
    except ActionBlocked as exc:
        show_problems(request, exc)
    else:
        messages.success(request, _("Connected to PowerOffice Go: %(company)s")
                         % {"company": connection.remote_company_name or "-"})
    return redirect("pogo:settings")


# -- contract and customer -------------------------------------------------------------------
def _contract(request, pk):
    from contracts.models import Contract

    return get_for_org_or_404(Contract.objects.select_related("customer", "car"),
                              request.organization, pk=pk)


def _contract_action(request, pk, action, started):
    contract = _contract(request, pk)
    try:
        action(contract, user=request.user)
    except ActionBlocked as exc:
        show_problems(request, exc)
    else:
        messages.info(request, started)
    return redirect("contracts:contract_detail", pk=contract.pk)


@require_POST
@member_required
def send_order(request, pk):
    return _contract_action(request, pk, services.send_order_rollback_unsafe,
                            _("Sending to PowerOffice Go…"))


@require_POST
@member_required
def invoice_now(request, pk):
    return _contract_action(request, pk, services.invoice_now,
                            _("Invoicing in PowerOffice Go…"))


@member_required
def contract_status(request, pk):
    """The panel's live part, re-fetched by the page while something is under way."""
    contract = _contract(request, pk)
    context = panels.contract_panel(contract, check_remote=False)
    return render(request, "poweroffice_go/_contract_status.html", context)


@require_POST
@member_required
def sync_customer(request, pk):
    customer = get_for_org_or_404(Customer, request.organization, pk=pk)
    try:
        services.sync_customer(customer, user=request.user)
    except ActionBlocked as exc:
        show_problems(request, exc)
    else:
        messages.info(request, _("Syncing the customer with PowerOffice Go…"))
    return redirect("contracts:customer_detail", pk=customer.pk)
