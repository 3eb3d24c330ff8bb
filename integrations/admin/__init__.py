"""The integrations admin for organization admins: the sync monitor and jobs (with retry), the
mapping editor ("Mapping per category", VAT and account mappings), accounting defaults,
connections (never their secrets), links, poll cursors, the webhook inbox and webhook secrets.

Every admin here is scoped to the admin's organization (`accounting.admin_base`); superusers see
all. Deep links for error messages are in `integrations.admin_links`.
"""

from django.contrib import admin

from integrations.admin import mappings, monitor, records, site, webhooks
from integrations.admin_links import mapping_fix_url

site.install(admin.site)

__all__ = ["mapping_fix_url", "mappings", "monitor", "records", "webhooks"]
