"""Two light hooks on the admin site, installed once by `integrations.admin`:

- the "Mapping per category" page at `admin/integrations/mapping-overview/` (it is no model, so
  no ModelAdmin can own that URL);
- the integrations group on the index and in the sidebar in the order admins work through it
  (what went wrong, then what to fix), with the overview page listed among the models.

Both wrap whatever the site had, so other apps' hooks keep working.
"""

from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from integrations.admin.overview import mapping_overview_view

APP_LABEL = "integrations"
OVERVIEW = "MappingOverview"
ORDER = [
    "SyncLogEntry", "SyncJob", OVERVIEW, "VatMapping", "AccountMapping", "AccountingSettings",
    "Connection", "Link", "WebhookSecret",
]


def _rank(model_entry):
    name = model_entry["object_name"]
    return (ORDER.index(name) if name in ORDER else len(ORDER), str(model_entry["name"]))


def order_integrations(app):
    models = app["models"]
    names = {m["object_name"] for m in models}
    # The overview is offered to whoever may see the VAT mappings it is made of.
    if "VatMapping" in names and OVERVIEW not in names:
        try:
            url = reverse("admin:integrations_mapping_overview")
        except NoReverseMatch:  # a site without our URLs (a second AdminSite)
            url = None
        if url:
            models.append({
                "model": None, "name": _("Mapping per category"), "object_name": OVERVIEW,
                "perms": {"add": False, "change": False, "delete": False, "view": True},
                "admin_url": url, "add_url": None, "view_only": True,
            })
    models.sort(key=_rank)


def install(site):
    if getattr(site, "_integrations_hooks_installed", False):
        return
    original_get_urls = site.get_urls
    original_get_app_list = site.get_app_list

    def get_urls():
        return [
            path(f"{APP_LABEL}/mapping-overview/", site.admin_view(mapping_overview_view),
                 name="integrations_mapping_overview"),
            *original_get_urls(),
        ]

    def get_app_list(request, app_label=None):
        app_list = original_get_app_list(request, app_label)
        for app in app_list:
            if app["app_label"] == APP_LABEL:
                order_integrations(app)
        return app_list

    site.get_urls = get_urls
    site.get_app_list = get_app_list
    site._integrations_hooks_installed = True
