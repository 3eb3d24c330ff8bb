"""Tripletex's own part of Settings -> Accounting: pasting the employee token. Everything else
on the page (status, test with whoAmI, disconnect, defaults, VAT types and accounts, validate)
and the contract's buttons are shared (`contracts.dealerflow`)."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from integrations.errors import ActionBlocked, ProviderError, ValidationProblem
from integrations.models import Connection
from integrations.viewkit import admin_required, show_problems

SETTINGS = "contracts:accounting_settings"


class EmployeeTokenForm(forms.Form):
    employee_token = forms.CharField(label=gettext_lazy("Employee token"), max_length=200,
                                     widget=forms.PasswordInput(render_value=False))


def connect_with_employee_token_rollback_unsafe(*, organization, employee_token, user):
    """Make a session with the pasted token (nothing is stored if Tripletex refuses it), store
    it encrypted, subscribe to the payment events with a new HMAC secret, read the company."""
    from contracts.dealerflow.services import connected
    from integrations.providers.tripletex import auth, inbound
    from integrations.providers.tripletex.provider import KEY, Tripletex
    from integrations.webhooks import new_secret

    employee_token = (employee_token or "").strip()
    if not employee_token:
        raise ActionBlocked([ValidationProblem(_("Paste the employee token from Tripletex."),
                                               field="employee_token")])
    try:
        session, expires_at = auth.create_session(employee_token)
    except ProviderError as exc:
        raise ActionBlocked([ValidationProblem(str(exc), field="employee_token")]) from None
    with transaction.atomic():
        connection, _created = Connection.objects.select_for_update().get_or_create(
            organization=organization, provider=KEY)
        connection.set_credentials({"employee_token": employee_token, "access_token": session},
                                   expires_at=expires_at)
        connection.status = Connection.Status.CONNECTED
        connection.status_reason = ""
        connection.connected_at = timezone.now()
        connection.save()
        secret = new_secret(connection, label="Tripletex webhooks")
    connection = connected(connection, user=user)
    try:
        inbound.subscribe_rollback_unsafe(Tripletex(connection), secret)
    except ProviderError as exc:  # the poll still brings payments back, only slower
        Connection.objects.filter(pk=connection.pk).update(
            status_reason=f"Webhooks not subscribed: {exc.message}"[:1000])
    return connection


@require_POST
@admin_required
def connect_with_token(request):
    form = EmployeeTokenForm(request.POST)
    if form.is_valid():
        try:
            connection = connect_with_employee_token_rollback_unsafe(
                organization=request.organization, user=request.user,
                employee_token=form.cleaned_data["employee_token"])
        except ActionBlocked as exc:
            show_problems(request, exc)
        else:
            messages.success(request, _("Connected to %(provider)s: %(company)s")
                             % {"provider": "Tripletex",
                                "company": connection.remote_company_name or "-"})
    else:
        messages.error(request, _("Paste the employee token from Tripletex."))
    return redirect(SETTINGS)
