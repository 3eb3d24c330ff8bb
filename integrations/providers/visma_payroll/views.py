"""Visma payroll's pages: the TLU download on the Integrationer page, and what its panels show
on a payslip (Spiris Lön's gross, net, tax, locked) and a time entry (read by payroll)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounting.models import Payslip, TimeEntry
from integrations.models import Connection, Link
from integrations.providers.visma_payroll import tlu
from integrations.providers.visma_payroll.models import PayslipResult
from integrations.viewkit import is_org_admin

KEY = "visma_payroll"


@require_GET
@login_required
def tlu_download(request):
    """GET ?period=YYYY-MM: the month's TLU file, or back to Integrationer saying what is
    missing (each problem with its admin link)."""
    organization = request.organization
    if not organization:
        raise Http404(_("You are not a member of any organization."))
    if not is_org_admin(request):
        raise PermissionDenied(_("Only the organization's administrators can download salary "
                                 "data."))
    try:
        first, last = tlu.month(request.GET.get("period", ""))
    except tlu.PeriodInvalid as exc:
        messages.error(request, str(exc))
        return redirect("integrations:page")
    if tlu.ensure_default_codes(organization):
        messages.info(request, _("The suggested TLU codes were set up; check them in admin "
                                 "(TLU codes)."))
    problems = tlu.problems(organization, first, last)
    if problems:
        for problem in problems:
            messages.error(request, f"{problem.message} {problem.fix_url}".strip())
        return redirect("integrations:page")
    content = tlu.build(organization, first, last, created=timezone.localdate())
    response = HttpResponse(content, content_type=f"application/xml; charset={tlu.ENCODING}")
    response["Content-Disposition"] = f'attachment; filename="{tlu.file_name(organization, first)}"'
    return response


def panel_context(record, request):
    if isinstance(record, Payslip):
        return {"result": PayslipResult.objects.filter(payslip=record).first(),
                "payslip": record}
    if isinstance(record, TimeEntry):
        connection = (Connection.objects.filter(organization_id=record.organization_id,
                                                provider=KEY).first())
        link = (Link.objects.filter(connection=connection, record_type="time_entry",
                                    local_id=str(record.pk)).first() if connection else None)
        return {"link": link, "is_read": bool(link and (link.data or {}).get("is_read"))}
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    return {"default_period": last_month.strftime("%Y-%m"),
            "is_admin": request is not None and is_org_admin(request)}
