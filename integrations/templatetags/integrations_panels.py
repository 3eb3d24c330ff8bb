"""`{% record_sync_panel %}`: a record's remote id and sync state at every connected provider
that handles its type, for the record pages (`templates/_sync_panel.html`). A tag rather than
view code so the generic record pages (`accounting`) need not import `integrations`."""

from django import template

from integrations.models import Connection, Link, SyncJob
from integrations.providers import registry
from integrations.views.records import record_type_for_page

register = template.Library()


def _is_admin(request):
    from integrations.viewkit import is_org_admin

    return request is not None and is_org_admin(request)


@register.inclusion_tag("integrations/_record_sync.html", takes_context=True)
def record_sync_panel(context, record, page_name):
    organization = context.get("organization")
    if record is None or getattr(record, "pk", None) is None or not organization:
        return {"rows": []}
    record_type = record_type_for_page(page_name or "")
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
        job = (SyncJob.objects.for_org(organization)
               .filter(connection=connection, record_type=record_type, local_id=local_id)
               .order_by("-created_at", "-pk").first())
        exports = record_type in provider.export_types()
        # A provider that sends this type some other way (e.g. an invoice made from an order)
        # shows here only once something is linked or queued.
        if link is None and job is None and not (
                exports and connection.status == Connection.Status.CONNECTED):
            continue
        rows.append({
            "connection": connection,
            "provider_name": provider.name,
            "link": link,
            "remote_url": (link.remote_url or provider.remote_url(link.remote_id)) if link else "",
            "job": job,
            "can_export": exports and connection.status == Connection.Status.CONNECTED,
        })
    request = context.get("request")
    return {
        "rows": rows, "record": record, "record_type": record_type, "request": request,
        "is_admin": _is_admin(request), "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def provider_panels(context, record, page_name):
    """Each provider's own part of a record's page (`Provider.panels`), for the providers the
    organization works with: e.g. the buttons that send a contract."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    organization = context.get("organization")
    if record is None or getattr(record, "pk", None) is None or not organization:
        return ""
    record_type = record_type_for_page(page_name or "")
    request = context.get("request")
    parts = []
    for cls in registry.in_use(organization):
        template_name = cls.panels.get(record_type)
        if not template_name:
            continue
        panel = {**cls.panel_context(record, request), "request": request,
                 "csrf_token": context.get("csrf_token"), "organization": organization}
        parts.append(render_to_string(template_name, panel, request=None))
    return mark_safe("".join(parts))  # noqa: S308 (rendered templates, escaped there)


@register.inclusion_tag("integrations/_provider_nav.html", takes_context=True)
def provider_nav(context):
    """The nav entries of the providers the organization works with (`Provider.nav`)."""
    from django.urls import NoReverseMatch, reverse

    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else ""
    entries = []
    for cls in registry.in_use(context.get("organization")):
        for entry in cls.nav:
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue
            marks = entry.current or (entry.url_name,)
            entries.append({"label": entry.label, "url": url, "current": current in marks})
    return {"entries": entries}
