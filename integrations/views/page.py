"""The "Integrations" page: every provider the registry knows, the organization's connection to
it, and per record type what was synced and what failed, with the buttons to act on it. The
buttons post here (forms, no JavaScript) and run the same services as the API."""

from contextlib import suppress

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounting.tenancy import get_for_org_or_404
from integrations.errors import ActionBlocked, ProviderError
from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.base import INTEGRATIONS_PAGE
from integrations.viewkit import is_org_admin, show_problems
from integrations.views import selectors, services


def _member_or_404(request):
    if not request.organization:
        raise Http404(_("You are not a member of any organization."))


def _admin_only(request):
    _member_or_404(request)
    if not is_org_admin(request):
        raise PermissionDenied(_("Only the organization's administrators can change its "
                                 "integrations."))


def _back(request, default="integrations:page"):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@login_required
def integrations_page(request):
    _member_or_404(request)
    org = request.organization
    connections = {c.provider: c for c in Connection.objects.for_org(org)}
    in_use = {cls.key for cls in registry.in_use(org)}
    panels, other_panels = [], []
    for cls in registry.all():
        connection = connections.pop(cls.key, None)
        # The organization's own providers first; the others folded away, to add one more.
        own = cls.key in in_use or not in_use
        (panels if own else other_panels).append(
            {**_panel(cls.key, cls.name, connection), "own_part": _provider_part(cls, request)})
    for key, connection in sorted(connections.items()):  # providers no longer registered
        panels.append(_panel(key, key, connection))
    return render(request, "integrations/page.html", {
        "panels": panels, "other_panels": other_panels, "is_admin": is_org_admin(request),
    })


def _provider_part(cls, request):
    """The provider's own part of its section (`Provider.panels[INTEGRATIONS_PAGE]`), e.g. a
    file download that needs no connection; "" for none."""
    template_name = cls.panels.get(INTEGRATIONS_PAGE)
    if not template_name:
        return ""
    context = {**cls.panel_context(None, request), "organization": request.organization}
    return render_to_string(template_name, context, request=request)


def distinct_errors(entries, limit=5):
    """The newest entry of each distinct message, with how often it came (the same missing
    salary code on four payslips is one line, "4 ×")."""
    grouped = {}
    for entry in entries:
        if entry.message in grouped:
            grouped[entry.message]["count"] += 1
        else:
            grouped[entry.message] = {"entry": entry, "count": 1}
    return list(grouped.values())[:limit]


def _panel(key, name, connection):
    state = selectors.connection_state(connection) if connection else None
    monitor_url = ""
    if connection is not None:
        monitor_url = (reverse("admin:integrations_synclogentry_changelist")
                       + f"?connection__id__exact={connection.pk}")
    for row in (state or {}).get("record_types", []):
        row["monitor_url"] = f"{monitor_url}&entity__exact={row['record_type']}"
    settings_url, can_connect = "", False
    with suppress(LookupError, NoReverseMatch):
        # A provider with its own settings page (a different connect flow) names it.
        cls = registry.get(key)
        can_connect = cls.can_connect_here()
        settings_url = reverse(cls.settings_url_name) if cls.settings_url_name else ""
    return {
        "key": key, "name": name, "connection": connection, "state": state,
        "can_connect": can_connect, "settings_url": settings_url,
        "errors": distinct_errors(selectors.recent_errors(connection, limit=50))
        if connection else [],
        "monitor_url": monitor_url,
    }


@require_POST
@login_required
def connect(request, provider):
    _admin_only(request)
    try:
        url = services.start_connect(organization=request.organization, user=request.user,
                                     provider_key=provider,
                                     service_account=request.POST.get("service_account") == "1")
    except ActionBlocked as exc:
        show_problems(request, exc)
        return redirect("integrations:page")
    except ProviderError as exc:
        messages.error(request, exc.message)
        return redirect("integrations:page")
    return redirect(url)


@login_required
def disconnect(request, pk):
    """Always asks first: the button opens a page saying what disconnecting does; only its
    own form (with `confirm`) disconnects."""
    _admin_only(request)
    connection = get_for_org_or_404(Connection, request.organization, pk=pk)
    if request.method != "POST" or request.POST.get("confirm") != "1":
        return render(request, "integrations/disconnect_confirm.html", {
            "connection": connection, "cancel_url": reverse("integrations:page"),
            "action_url": reverse("integrations:page_disconnect", args=[connection.pk]),
        })
    try:
        services.disconnect_rollback_unsafe(connection, user=request.user)
    except ProviderError as exc:
        messages.error(request, exc.message)
        return redirect("integrations:page")
    messages.success(request, _("Disconnected from %(name)s.") % {"name":
                                                                  connection.provider_name})
    return redirect("integrations:page")


@require_POST
@login_required
def export(request, pk):
    """Export the given record (`ids`), or every record of the type not yet at the provider."""
    _admin_only(request)
    connection = get_for_org_or_404(Connection, request.organization, pk=pk)
    record_type = request.POST.get("type", "")
    try:
        services.check_export_type(connection, record_type)
        ids = request.POST.getlist("ids") or services.unlinked_ids(connection, record_type)
        if not ids:
            messages.info(request, _("Everything is already at %(name)s.")
                          % {"name": connection.provider_name})
            return _back(request)
        jobs = services.export_records(connection=connection, record_type=record_type, ids=ids,
                                       user=request.user)
    except services.RequestInvalid as exc:
        messages.error(request, exc.message)
        return _back(request)
    except ActionBlocked as exc:
        show_problems(request, exc)
        return _back(request)
    created = sum(1 for _job, new in jobs if new)
    messages.success(request, ngettext(
        "%(count)d export queued.", "%(count)d exports queued.", created) % {"count": created})
    if len(jobs) > created:
        earlier = len(jobs) - created
        messages.info(request, ngettext(
            "%(count)d was queued or sent earlier; see its status on the record.",
            "%(count)d were queued or sent earlier; see their status on the records.",
            earlier) % {"count": earlier})
    return _back(request)


@require_POST
@login_required
def sync(request, pk):
    _admin_only(request)
    connection = get_for_org_or_404(Connection, request.organization, pk=pk)
    types = [t for t in request.POST.getlist("type") if t]
    try:
        _task, types, _since = services.request_import(connection=connection,
                                                       record_types=types or None)
    except services.RequestInvalid as exc:
        messages.error(request, exc.message)
        return _back(request)
    except ActionBlocked as exc:
        show_problems(request, exc)
        return _back(request)
    messages.success(request, _("Import from %(name)s queued.")
                     % {"name": connection.provider_name})
    return _back(request)
