"""Connections, mappings, links and the sync engine's tables, one module per concern; every
model is importable from here (`from integrations.models import Link`).

Every row belongs to one organization (directly or through its connection), and every read in
views, services, tasks and admin goes through `for_org`.
"""

from integrations.models.connections import (
    AccountingSettings,
    Connection,
    OAuthState,
    WebhookSecret,
)
from integrations.models.mappings import (
    AccountMapping,
    CategoryMapping,
    PayTypeMapping,
    VatMapping,
)
from integrations.models.sync import Link, RateLimitBucket, SyncCursor, SyncJob, SyncLogEntry
from integrations.models.webhooks import WebhookEvent, WebhookRelayMark

__all__ = [
    "AccountMapping",
    "AccountingSettings",
    "CategoryMapping",
    "Connection",
    "Link",
    "OAuthState",
    "PayTypeMapping",
    "RateLimitBucket",
    "SyncCursor",
    "SyncJob",
    "SyncLogEntry",
    "VatMapping",
    "WebhookEvent",
    "WebhookRelayMark",
    "WebhookSecret",
]
