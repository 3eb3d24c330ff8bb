"""Connections, links, poll cursors and the rate-limit buckets (the webhook inbox is in
`webhooks.py`).

Connections are made and remade by the connect flows, never in admin; their credentials are
never shown in any form, only whether some are stored.
"""

from datetime import UTC, datetime

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.admin.common import (
    ConnectionChildAdmin,
    NoWritesMixin,
    ProviderFilter,
    ProviderStatusColumns,
    ReadOnlyAdmin,
    pretty_json,
)
from integrations.models import Connection, Link, RateLimitBucket, SyncCursor


@admin.register(Connection)
class ConnectionAdmin(ProviderStatusColumns, ReadOnlyAdmin):
    # `encrypted_credentials` is named nowhere below, and excluded in case a field list is ever
    # derived from the model.
    exclude = ("encrypted_credentials",)
    list_display = (
        "provider_name", "status_badge", "remote_company_name", "last_sync_at",
        "token_expires_at", "connected_at", "credentials_stored",
    )
    list_display_links = ("provider_name",)
    list_filter = ("status", ProviderFilter)
    fields = (
        "provider_name", "status_badge", "status_reason", "remote_company_name",
        "remote_tenant_id", "credentials_stored", "token_expires_at", "connected_at",
        "last_sync_at", "created_at", "updated_at", "related_links",
    )
    readonly_fields = fields

    @admin.display(description=_("credentials stored"), boolean=True)
    def credentials_stored(self, obj):
        # Whether ciphertext exists; decrypting it just to answer this is needless exposure.
        return bool(obj.encrypted_credentials)

    @admin.display(description=_("see also"))
    def related_links(self, obj):
        jobs = reverse("admin:integrations_syncjob_changelist")
        log = reverse("admin:integrations_synclogentry_changelist")
        return format_html(
            '<a href="{}?connection__id__exact={}">{}</a> · <a href="{}?connection__id__exact={}">'
            "{}</a>", jobs, obj.pk, gettext("Jobs"), log, obj.pk, gettext("Sync monitor"),
        )


@admin.register(Link)
class LinkAdmin(ConnectionChildAdmin):
    """Links are made by the engine; admins remove a wrong one or link a record that already
    exists at the provider by hand (then nothing is created twice)."""

    list_display = (
        "record_type", "local_id", "provider_name", "remote_id", "remote_number", "synced_at",
    )
    list_display_links = ("record_type", "local_id")
    list_filter = ("record_type", ("connection", admin.RelatedOnlyFieldListFilter))
    search_fields = ("local_id", "remote_id", "remote_number")
    list_select_related = ("connection",)
    fields = (
        "connection", "record_type", "local_id", "remote_id", "remote_number", "remote_url",
        "remote_modified_at", "synced_at", "data_pretty",
    )
    readonly_fields = ("remote_modified_at", "synced_at", "data_pretty")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "remote_url":
            kwargs["assume_scheme"] = "https"  # provider web apps are https only
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("data"))
    def data_pretty(self, obj):
        return pretty_json(obj.data)


@admin.register(SyncCursor)
class SyncCursorAdmin(ConnectionChildAdmin):
    """Where each poller got to. Setting a cursor back makes the next poll fetch again."""

    list_display = ("record_type", "provider_name", "value", "updated_at")
    list_filter = ("record_type", ("connection", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("connection",)
    fields = ("connection", "record_type", "value", "updated_at")
    readonly_fields = ("updated_at",)


@admin.register(RateLimitBucket)
class RateLimitBucketAdmin(NoWritesMixin, admin.ModelAdmin):
    """Shared by every organization on this installation: for the operator (superusers) only."""

    list_display = ("key", "in_window", "person_waiting")
    readonly_fields = ("key", "admitted", "person_waiting")

    @admin.display(description=_("admissions in the last window"))
    def in_window(self, obj):
        return len(obj.admitted)

    @admin.display(description=_("a person waiting until"))
    def person_waiting(self, obj):
        # Seconds since the epoch; zero or negative (the last admission's mark) is nobody.
        if obj.interactive_waiting_until <= 0:
            return "-"
        return datetime.fromtimestamp(obj.interactive_waiting_until, tz=UTC)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

