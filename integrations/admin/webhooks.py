"""Webhook secrets: made, rotated and retired here; the value is shown once, on the page that
answers "Save" for a new secret, and never again (not in forms, lists, messages or logs).

Adding a secret for a connection that already has one is the rotation: both stay active until
the old one is retired (by hand, or after the overlap chosen on the add form).
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from integrations.admin.common import ConnectionChildAdmin, badge
from integrations.models import WebhookSecret
from integrations.webhooks import keys

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
