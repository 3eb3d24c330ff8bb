"""The sync monitor (SyncLogEntry) and the jobs (SyncJob), with retry by hand.

A failed or dead job is retried after its cause is fixed: from the monitor's row ("Retry" on
each entry whose job stopped), from the job list (row button or action), from the job's page
(button). `retry_job` revives only failed and
dead jobs; every other job is skipped and the admin is told why.
"""

from collections import defaultdict

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from integrations.admin.common import (
    ConnectionProviderFilter,
    ProviderFilter,
    ProviderStatusColumns,
    ReadOnlyAdmin,
    admin_org,
    badge,
    pretty_json,
    provider_label,
    short,
)
from integrations.engine import retry_job
from integrations.models import SyncJob, SyncLogEntry


def retry_jobs(request, jobs):
    """Retry each failed or dead job; report the others grouped by state, saying why."""
    retried, raced, skipped = 0, 0, defaultdict(int)
    for job in jobs:
        if job.status not in SyncJob.RETRYABLE_BY_HAND:
            skipped[job.get_status_display()] += 1
        elif retry_job(job, user=request.user):
            retried += 1
        else:
            # Its state changed between our read and retry_job's conditional update.
            raced += 1
    if retried:
        messages.success(request, ngettext(
            "%(count)d job queued again.", "%(count)d jobs queued again.", retried,
        ) % {"count": retried})
    for state, count in skipped.items():
        messages.warning(request, ngettext(
            "Skipped %(count)d job that is %(state)s: only failed or dead jobs can be retried.",
            "Skipped %(count)d jobs that are %(state)s: only failed or dead jobs can be retried.",
            count,
        ) % {"count": count, "state": str(state).lower()})
    if raced:
        messages.warning(request, ngettext(
            "Skipped %(count)d job whose state changed meanwhile; reload the page to see it.",
            "Skipped %(count)d jobs whose state changed meanwhile; reload the page to see them.",
            raced,
        ) % {"count": raced})
    if not (retried or raced or skipped):
        messages.info(request, _("None of the selected entries belongs to a job."))
    return retried


class RetryPermissionMixin:
    """Retrying is allowed to whoever may see the job: the organization's admins."""

    def has_retry_permission(self, request):
        return self.has_view_permission(request)

    def retry_button(self, job):
        """A per-row "Retry" for a failed or dead job. The rows sit inside the changelist's
        form, so the button posts that form (with its CSRF token) to the job's retry URL;
        `back` brings the admin back to the list, as it was filtered."""
        if job is None or job.status not in SyncJob.RETRYABLE_BY_HAND:
            return ""
        return format_html(
            '<button type="submit" class="hub-row-retry" formmethod="post" formaction="{}" '
            'name="back" value="list">{}</button>',
            reverse("admin:integrations_syncjob_retry", args=[job.pk]), _("Retry"))


@admin.register(SyncLogEntry)
class SyncLogEntryAdmin(RetryPermissionMixin, ProviderStatusColumns, ReadOnlyAdmin):
    list_display = (
        "when", "provider_name", "record", "what", "status_badge", "message_short",
        "http_status", "duration", "retry",
    )
    list_display_links = ("when",)
    list_filter = ("status", "entity", ProviderFilter)
    list_per_page = 50
    list_max_show_all = 500
    ordering = ("-created_at", "-id")
    search_fields = ("local_id", "action", "message")
    show_full_result_count = False
    list_select_related = ("job",)
    actions = ("retry_entry_jobs",)
    fieldsets = (
        (None, {"fields": (
            "created_at", "provider_name", "connection", "job_link", "entity", "local_id",
            "action", "status_badge", "provider_response_code", "duration",
        )}),
        (_("What happened"), {"fields": ("message", "details_pretty")}),
    )
    readonly_fields = (
        "created_at", "provider_name", "connection", "job_link", "entity", "local_id", "action",
        "status_badge", "provider_response_code", "duration", "message", "details_pretty",
    )

    def lookup_allowed(self, lookup, value, request=None):
        # The job page links here filtered to its own entries; the queryset stays org-scoped.
        return lookup in ("job__id__exact", "connection__id__exact") or super().lookup_allowed(
            lookup, value, request)

    @admin.display(description=_("message"))
    def message_short(self, obj):
        return format_html('<span class="hub-message">{}</span>', short(obj.message, 70))

    @admin.display(description=_("record"), ordering="entity")
    def record(self, obj):
        return f"{obj.entity} {obj.local_id}".strip()

    @admin.display(description=_("time"), ordering="created_at")
    def when(self, obj):
        return date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description="HTTP", ordering="provider_response_code")
    def http_status(self, obj):
        return obj.provider_response_code or "-"

    @admin.display(description=_("operation"), ordering="action")
    def what(self, obj):
        return obj.action

    @admin.display(description=_("retry"))
    def retry(self, obj):
        return self.retry_button(obj.job)

    @admin.display(description=_("duration"), ordering="duration_ms")
    def duration(self, obj):
        return "-" if obj.duration_ms is None else f"{obj.duration_ms} ms"

    @admin.display(description=_("provider's response"))
    def details_pretty(self, obj):
        return pretty_json(obj.details)

    @admin.display(description=_("job"))
    def job_link(self, obj):
        if obj.job_id is None:
            return "-"
        url = reverse("admin:integrations_syncjob_change", args=[obj.job_id])
        return format_html('<a href="{}">{}</a> {}', url, obj.job,
                           badge(obj.job.status, obj.job.get_status_display()))

    @admin.action(description=_("Retry the failed/dead jobs of the selected entries"),
                  permissions=["retry"])
    def retry_entry_jobs(self, request, queryset):
        jobs = SyncJob.objects.filter(pk__in=queryset.exclude(job=None).values("job"))
        if not request.user.is_superuser:
            jobs = jobs.for_org(admin_org(request))
        retry_jobs(request, jobs.select_related("connection"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        job = entry.job
        if (job is not None and job.status in SyncJob.RETRYABLE_BY_HAND
                and self.has_retry_permission(request)):
            extra_context["retry_url"] = reverse("admin:integrations_syncjob_retry", args=[job.pk])
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(SyncJob)
class SyncJobAdmin(RetryPermissionMixin, ReadOnlyAdmin):
    list_display = (
        "created_at", "operation", "record", "status_badge", "attempts", "next_attempt_at",
        "last_error_short", "retry",
    )
    list_display_links = ("created_at", "operation")
    list_filter = ("status", ConnectionProviderFilter, "operation", "record_type")
    list_per_page = 50
    ordering = ("-created_at", "-id")
    search_fields = ("local_id", "idempotency_key", "external_reference", "remote_id")
    list_select_related = ("connection",)
    actions = ("retry_selected",)
    fieldsets = (
        (None, {"fields": (
            "created_at", "provider_name", "connection", "operation", "record", "status_badge",
            "priority", "attempts", "max_retries", "next_attempt_at", "outcome_uncertain",
            "created_by", "finished_at", "log_link",
        )}),
        (_("Last error"), {"fields": (
            "last_error_full", "last_error_code", "last_response_code",
        )}),
        (_("References"), {"fields": (
            "idempotency_key", "external_reference", "remote_id", "params_pretty",
            "result_pretty",
        )}),
        (_("Worker"), {"classes": ("collapse",), "fields": (
            "dispatched", "lease_owner", "lease_expires_at", "updated_at",
        )}),
    )
    readonly_fields = (
        "created_at", "provider_name", "connection", "operation", "record", "status_badge",
        "priority", "attempts", "max_retries", "next_attempt_at", "outcome_uncertain",
        "created_by", "finished_at", "log_link", "last_error_full", "last_error_code",
        "last_response_code", "idempotency_key", "external_reference", "remote_id",
        "params_pretty", "result_pretty", "dispatched", "lease_owner", "lease_expires_at",
        "updated_at",
    )

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "connection__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("provider"), ordering="connection__provider")
    def provider_name(self, obj):
        return provider_label(obj.connection.provider)

    @admin.display(description=_("record"), ordering="record_type")
    def record(self, obj):
        return f"{obj.record_type} {obj.local_id}".strip()

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(obj.status, obj.get_status_display())

    @admin.display(description=_("last error"))
    def last_error_short(self, obj):
        return format_html('<span class="hub-message">{}</span>', short(obj.last_error, 70))

    @admin.display(description=_("retry"))
    def retry(self, obj):
        return self.retry_button(obj)

    @admin.display(description=_("last error"))
    def last_error_full(self, obj):
        if not obj.last_error:
            return "-"
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', obj.last_error)

    @admin.display(description=_("parameters"))
    def params_pretty(self, obj):
        return pretty_json(obj.params)

    @admin.display(description=_("result"))
    def result_pretty(self, obj):
        return pretty_json(obj.result)

    @admin.display(description=_("sync monitor"))
    def log_link(self, obj):
        url = reverse("admin:integrations_synclogentry_changelist")
        return format_html('<a href="{}?job__id__exact={}">{}</a>', url, obj.pk,
                           _("This job's log entries"))

    @admin.action(description=_("Retry selected failed/dead jobs"), permissions=["retry"])
    def retry_selected(self, request, queryset):
        retry_jobs(request, queryset.select_related("connection"))

    def get_urls(self):
        return [
            path("<path:object_id>/retry/", self.admin_site.admin_view(self.retry_view),
                 name=f"{self.opts.app_label}_{self.opts.model_name}_retry"),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def retry_view(self, request, object_id):
        # admin_view checked staff and CSRF; get_object answers 404 for other organizations.
        job = self.get_object(request, unquote(object_id))
        if not self.has_retry_permission(request):
            raise PermissionDenied
        retry_jobs(request, [job])
        if request.POST.get("back") == "list":  # a row's button: back to that list
            back = request.META.get("HTTP_REFERER", "")
            if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
                return redirect(back)
            return redirect("admin:integrations_synclogentry_changelist")
        return redirect("admin:integrations_syncjob_change", job.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if job.status in SyncJob.RETRYABLE_BY_HAND and self.has_retry_permission(request):
            extra_context["retry_url"] = reverse("admin:integrations_syncjob_retry", args=[job.pk])
        return super().change_view(request, object_id, form_url, extra_context)

