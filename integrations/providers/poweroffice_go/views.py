"""PowerOffice Go's own part of Settings -> Accounting: connecting through Go's approval page
(onboarding) or with a pasted client key, and the page Go sends the browser back to. The rest
of the dealer's pages (status, test, disconnect, defaults, validate, the contract's buttons)
are shared: `contracts.dealerflow.views`."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from integrations.errors import ActionBlocked
from integrations.providers.poweroffice_go import services
from integrations.viewkit import admin_required, show_problems

SETTINGS = "contracts:accounting_settings"


class ClientKeyForm(forms.Form):
    client_key = forms.CharField(label=gettext_lazy("Client key"), max_length=100,
                                 widget=forms.PasswordInput(render_value=False))


@require_POST
@admin_required
def connect(request):
    try:
        url = services.start_onboarding(organization=request.organization, user=request.user)
    except ActionBlocked as exc:
        show_problems(request, exc)
        return redirect(SETTINGS)
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
    return redirect(SETTINGS)


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
    return redirect(SETTINGS)
