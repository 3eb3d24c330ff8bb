"""The webhook inbox (read-only, with "Replay selected events") and the webhook secrets.

Secrets are made, rotated and retired here; the value is shown once, on the page that answers
"Save" for a new secret, and never again (not in forms, lists, messages or logs). Adding a secret
for a connection that already has one is the rotation: both stay active until the old one is
retired (by hand, or after the overlap chosen on the add form).
"""

import re
from collections import defaultdict
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from integrations.admin.common import (
    ConnectionChildAdmin,
    ProviderFilter,
    ProviderStatusColumns,
    ReadOnlyAdmin,
    admin_org,
    badge,
    pretty_json,
    short,
)
from integrations.logging import redact
from integrations.models import WebhookEvent, WebhookSecret
from integrations.webhooks import keys, replay_event
from integrations.webhooks.processing import REPLAYABLE

# Enough of a webhook body to see what it is about; the rest may be large and personal.
WEBHOOK_BODY_SHOWN_BYTES = 4096
# Header values that authenticate someone; shown as "[redacted]".
_SECRET_HEADER = re.compile(r"(?i)authorization|cookie|token|secret|api[-_]?key|password|"
                            r"subscription[-_]?key|authentication[-_]?value")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ProviderStatusColumns, ReadOnlyAdmin):
    """The inbox, read-only. Bodies may hold personal data of the organization's own customers,
    which its admins may see; events not yet tied to an organization only superusers see.
    Failed and dead events are replayed from the list (action), once their cause is fixed."""

    list_display = (
        "received_at", "provider_name", "provider_event_id", "status_badge", "attempts",
        "next_attempt_at", "error_short", "source_ip",
    )
    list_filter = (ProviderFilter, "status", "valid")
    search_fields = ("provider_event_id",)
    ordering = ("-received_at",)
    list_per_page = 50
    actions = ("replay_selected",)
    fields = (
        "received_at", "provider_name", "provider_event_id", "connection", "source_ip", "valid",
        "status_badge", "attempts", "next_attempt_at", "processed_at", "error", "headers_pretty",
        "body_shown",
    )
    readonly_fields = fields

    def has_replay_permission(self, request):
        # Whoever may see the event (the organization's admins) may have it processed again.
        return self.has_view_permission(request)

    @admin.display(description=_("error"))
    def error_short(self, obj):
        return short(obj.error, 60)

    @admin.display(description=_("headers"))
    def headers_pretty(self, obj):
        headers = obj.headers if isinstance(obj.headers, dict) else {}
        return pretty_json({
            name: "[redacted]" if _SECRET_HEADER.search(str(name)) else value
            for name, value in headers.items()
        })

    @admin.display(description=_("body"))
    def body_shown(self, obj):
        raw = bytes(obj.raw_body or b"")
        text = redact(raw[:WEBHOOK_BODY_SHOWN_BYTES].decode("utf-8", errors="replace"))
        note = ""
        if len(raw) > WEBHOOK_BODY_SHOWN_BYTES:
            note = gettext("Shortened: the first %(shown)d of %(total)d bytes.") % {
                "shown": WEBHOOK_BODY_SHOWN_BYTES, "total": len(raw)}
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre><p>{}</p>',
                           text, note)

    @admin.action(description=_("Replay selected events"), permissions=["replay"])
    def replay_selected(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.filter(organization=admin_org(request))
        replayed, skipped = 0, defaultdict(int)
        for event in queryset.filter(valid=True):
            if event.status in REPLAYABLE and replay_event(event):
                replayed += 1
            else:  # not failed or dead, or its state changed since the page was shown
                skipped[event.get_status_display()] += 1
        refused = queryset.exclude(valid=True).count()
        if replayed:
            messages.success(request, ngettext(
                "%(count)d event queued again.", "%(count)d events queued again.", replayed,
            ) % {"count": replayed})
        for state, count in skipped.items():
            messages.warning(request, ngettext(
                "Skipped %(count)d event that is %(state)s: only failed or dead events are "
                "replayed.",
                "Skipped %(count)d events that are %(state)s: only failed or dead events are "
                "replayed.", count) % {"count": count, "state": str(state).lower()})
        if refused:
            messages.warning(request, ngettext(
                "Skipped %(count)d event that was refused: it was never verified.",
                "Skipped %(count)d events that were refused: they were never verified.",
                refused) % {"count": refused})


OVERLAPS = {
    "": None, "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7),
}


class NewSecretForm(forms.ModelForm):
    overlap = forms.ChoiceField(
        label=_("retire the previous secret"), required=False,
        choices=[("", _("by hand")), ("1h", _("after 1 hour")), ("24h", _("after 24 hours")),
                 ("7d", _("after 7 days"))],
        help_text=_("The previous secret keeps working until then, so the sender can switch "
                    "over without losing events. At most two secrets are active; a third "
                    "retires the oldest at once."),
    )

    class Meta:
        model = WebhookSecret
        fields = ("connection", "label")


@admin.register(WebhookSecret)
class WebhookSecretAdmin(ConnectionChildAdmin):
    list_display = ("label_or_id", "provider_name", "created_at", "retired_at", "state")
    list_filter = (("connection", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("connection",)
    ordering = ("-created_at",)
    actions = ("retire_now",)
    exclude = ("encrypted_secret",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewSecretForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["connection", "label", "overlap"]
        return ["connection", "label", "created_at", "retired_at", "state"]

    def get_readonly_fields(self, request, obj=None):
        return ("connection", "created_at", "state") if obj is not None else ()

    @admin.display(description=_("label"), ordering="label")
    def label_or_id(self, obj):
        return str(obj)

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.retired_at is None:
            return badge("ok", gettext("active"))
        if obj.active:
            return badge("queued", gettext("active until %(time)s") % {
                "time": timezone.localtime(obj.retired_at).strftime("%Y-%m-%d %H:%M")})
        return badge("failed", gettext("retired"))

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        connection = form.cleaned_data["connection"]
        plaintext = keys.new_secret(connection, label=form.cleaned_data.get("label", ""),
                                    overlap=OVERLAPS.get(form.cleaned_data.get("overlap") or ""))
        created = (WebhookSecret.objects.filter(connection=connection)
                   .order_by("-created_at", "-pk").first())
        obj.pk, obj.organization_id = created.pk, created.organization_id
        obj.created_at, obj.label = created.created_at, created.label
        obj._state.adding = False
        request._new_webhook_secret = plaintext

    def response_add(self, request, obj, post_url_continue=None):
        plaintext = getattr(request, "_new_webhook_secret", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(request, "admin/integrations/webhooksecret/created.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Webhook secret created"),
            "opts": self.model._meta, "secret": obj, "plaintext": plaintext,
        })
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Retire the selected secrets now"))
    def retire_now(self, request, queryset):
        now = timezone.now()
        count = 0
        for secret in queryset:
            if secret.retired_at is None or secret.retired_at > now:
                keys.retire_secret(secret, at=now)
                count += 1
        messages.success(request, ngettext("%(count)d secret retired.",
                                           "%(count)d secrets retired.", count)
                         % {"count": count})
