"""`{% record_sync_panel %}`: a record's remote id and sync state at every connected provider
that handles its type, for the record pages (`templates/_sync_panel.html`). A tag rather than
view code so the generic record pages (`accounting`) need not import `integrations`."""

from django import template

from integrations.providers import registry
from integrations.views.records import record_type_for_page

register = template.Library()


@register.inclusion_tag("integrations/_record_sync.html", takes_context=True)
def record_sync_panel(context, record, page_name):
    from integrations.views.recordsync import panel_context

    panel = panel_context(context.get("request"), record, page_name)
    panel["csrf_token"] = context.get("csrf_token")
    return panel


@register.inclusion_tag("integrations/_job_retry.html", takes_context=True)
def job_retry(context, job):
    """A job's state where it shows (a provider's panel): the reason in words when it failed,
    and "Try again" for those allowed to. Renders nothing for a job that did not stop."""
    from integrations.views.recordsync import job_view

    request = context.get("request")
    if job is None:
        return {"view": None}
    return {"view": job_view(job, request), "request": request,
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("integrations/_attention.html", takes_context=True)
def home_attention(context):
    """The home page's "needs attention" sections (`integrations.views.attention`)."""
    from integrations.views.attention import sections

    request = context.get("request")
    if request is None or not getattr(request, "organization", None):
        return {"sections": []}
    return {"sections": sections(request), "request": request,
            "csrf_token": context.get("csrf_token")}


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
    if shows_integrations_page(context.get("organization")):
        entries.append({"label": "Integrations", "url": reverse("integrations:page"),
                        "current": current == "integrations:page"})
    return {"entries": entries}


def shows_integrations_page(organization) -> bool:
    """The Integrations page is in the menu when a provider the organization uses is connected
    there (not on a settings page of its own), or when it uses none yet (to start there)."""
    if organization is None:
        return False
    in_use = registry.in_use(organization)
    return not in_use or any(not cls.settings_url_name for cls in in_use)
