"""A record's sync state where the record is shown, and retry right there.

`record_sync_rows` is what `{% record_sync_panel %}` shows on every record page: per connected
provider that handles the record's type, the remote id and the last job. A job that failed or
became a dead letter says why in words (`job_reason`, ours and translated; the provider's own
text stays in the sync log) and offers "Try again" to those allowed to (`can_retry`). The panel
re-reads itself (`record_sync_panel` view) while a job is under way, so a click's outcome shows
without a reload. Provider-neutral: a provider's own panel (e.g. a contract's) includes
`integrations/_job_retry.html` through `{% job_retry job %}` for its jobs.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounting.tenancy import get_for_org_or_404
from integrations.engine import retry_job
from integrations.models import Connection, Link, SyncJob
from integrations.providers import registry
from integrations.viewkit import is_org_admin, member_required
from integrations.views.records import model_for, record_type_for_page

# Jobs whose outcome is not known yet: the panel keeps re-reading itself while one is shown.
UNDER_WAY = (SyncJob.Status.QUEUED, SyncJob.Status.RUNNING, SyncJob.Status.UNKNOWN)


def can_retry(request, job) -> bool:
    """The organization's admins may retry any failed or dead job; other members the jobs a
    person started by a click (what they may start, they may start again)."""
    if request is None or job is None or job.status not in SyncJob.RETRYABLE_BY_HAND:
        return False
    if not request.user.is_authenticated or not request.organization:
        return False
    if job.organization_id != request.organization.pk:
        return False
    return is_org_admin(request) or job.priority == SyncJob.Priority.INTERACTIVE


def job_reason(job) -> str:
    """Why a job stopped, in the person's language: what happened and what to do next. The
    provider's own words are kept in the sync log (and shown below this as details)."""
    name = job.connection.provider_name
    code = job.last_response_code
    if job.status == SyncJob.Status.DEAD:
        tries = job.attempts or 1
        return ngettext(
            "%(name)s did not answer properly after %(count)d attempt. Nothing was sent "
            "twice; try again when %(name)s is reachable.",
            "%(name)s did not answer properly after %(count)d attempts. Nothing was sent "
            "twice; try again when %(name)s is reachable.", tries) % {"name": name,
                                                                     "count": tries}
    if job.status == SyncJob.Status.UNKNOWN:
        return _("It is not known whether %(name)s received it; the next attempt looks it "
                 "up there before sending again.") % {"name": name}
    if job.status != SyncJob.Status.FAILED:
        return ""
    if code in (401, 403):
        return _("%(name)s refused our access. Connect again, then try again.") % {"name": name}
    if code is not None and 400 <= code < 500:
        return _("%(name)s refused it: something in the record or the mappings is not "
                 "accepted there. Fix what the details say, then try again.") % {"name": name}
    if code is not None and code >= 500:
        return _("%(name)s had an error of its own. Try again in a while.") % {"name": name}
    return _("It was stopped before anything was sent: something here must be fixed first "
             "(see the details), then try again.")


def job_view(job, request) -> dict:
    """What the templates show of a job: state, reason, details and whether to offer retry."""
    return {
        "job": job,
        "under_way": job.status in UNDER_WAY,
        "stopped": job.status in SyncJob.RETRYABLE_BY_HAND,
        "reason": job_reason(job),
        "details": job.last_error,
        "can_retry": can_retry(request, job),
    }


def record_sync_rows(organization, record, record_type, request=None) -> list[dict]:
    local_id = str(record.pk)
    rows = []
    for connection in Connection.objects.for_org(organization).order_by("provider"):
        try:
            provider = registry.for_connection(connection)
        except LookupError:
            continue
        if record_type not in provider.capabilities.records:
            continue
        link = (Link.objects.for_org(organization)
                .filter(connection=connection, record_type=record_type, local_id=local_id)
                .first())
        job = (SyncJob.objects.for_org(organization).select_related("connection")
               .filter(connection=connection, record_type=record_type, local_id=local_id)
               .order_by("-created_at", "-pk").first())
        connected = connection.status == Connection.Status.CONNECTED
        exports = record_type in provider.export_types()
        # A provider that sends this type some other way (e.g. an invoice made from an order)
        # shows here only once something is linked or queued.
        if link is None and job is None and not (exports and connected):
            continue
        rows.append({
            "connection": connection,
            "provider_name": provider.name,
            "link": link,
            "remote_url": (link.remote_url or provider.remote_url(link.remote_id)) if link else "",
            "job": job_view(job, request) if job is not None else None,
            "can_export": exports and connected,
        })
    return rows


def panel_context(request, record, page_name) -> dict:
    organization = getattr(request, "organization", None) if request is not None else None
    if record is None or getattr(record, "pk", None) is None or not organization:
        return {"rows": []}
    record_type = record_type_for_page(page_name or "")
    rows = record_sync_rows(organization, record, record_type, request)
    return {
        "rows": rows, "record": record, "record_type": record_type, "page_name": page_name,
        "request": request, "is_admin": is_org_admin(request),
        "under_way": any(row["job"] and row["job"]["under_way"] for row in rows),
    }


def _back(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_POST
@member_required
def retry(request, pk):
    """"Try again" on a record's panel: the failed or dead job runs again, fresh retry budget."""
    job = get_for_org_or_404(SyncJob.objects.select_related("connection"),
                             request.organization, pk=pk)
    if job.status not in SyncJob.RETRYABLE_BY_HAND:
        messages.info(request, _("This job is %(state)s: only failed jobs can be tried again.")
                      % {"state": str(job.get_status_display()).lower()})
    elif not can_retry(request, job):
        messages.error(request, _("Only the organization's administrators can try this "
                                  "again."))
    elif retry_job(job, user=request.user):
        messages.success(request, _("Trying again: %(name)s will get it shortly.")
                         % {"name": job.connection.provider_name})
    else:
        messages.info(request, _("Someone else already started it again."))
    return _back(request, "home")


@member_required
def record_panel(request, page_name, pk):
    """The record's sync panel alone, re-read by the page while a job is under way."""
    model = model_for(record_type_for_page(page_name))
    if model is None:
        raise Http404(_("No such record type."))
    record = get_for_org_or_404(model, request.organization, pk=pk)
    context = panel_context(request, record, page_name)
    if not context["rows"]:
        return HttpResponse("")
    return render(request, "integrations/_record_sync.html", context)
