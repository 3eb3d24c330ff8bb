"""What every integrations view shares, page or API: who may do what in the organization, and
blocked actions shown as messages. Members work inside `request.organization`; changing a
connection, its defaults or exports needs the organization's admin role."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from accounting.middleware import membership_for
from accounting.models import Membership


def is_org_admin(request) -> bool:
    membership = membership_for(request) if request.user.is_authenticated else None
    return membership is not None and membership.role == Membership.Role.ADMIN


class IsOrgMember(BasePermission):
    message = "You are not a member of any organization."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.organization)


class IsOrgAdmin(IsOrgMember):
    message = "Only the organization's administrators can change its integrations."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and is_org_admin(request)


def member_required(view):
    """A page for the signed-in user's organization (404 without one)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.organization:
            raise Http404(_("You are not a member of any organization."))
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view):
    @member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_org_admin(request):
            raise PermissionDenied(_("Only the organization's administrators can change its "
                                     "integrations."))
        return view(request, *args, **kwargs)

    return wrapped


def show_problems(request, blocked):
    """Every problem of an `ActionBlocked` as an error message on the next page, each once
    (four payslips missing the same salary code are one problem), with its fix link."""
    from django.utils.html import format_html

    seen = set()
    for problem in blocked.problems:
        if (problem.message, problem.fix_url) in seen:
            continue
        seen.add((problem.message, problem.fix_url))
        if problem.fix_url:
            messages.error(request, format_html('{} <a href="{}">{}</a>', problem.message,
                                                problem.fix_url, _("Fix")))
        else:
            messages.error(request, problem.message)
