"""Which accounting system an organization's dealer flow uses, and its connection.

An organization works with one accounting system at a time: the connected one, else the one
last connected (so its state and "connect again" show), else the one it has mappings for
(registry `in_use`). The contract page, the customer page and Settings -> Accounting ask here,
never a provider by name."""

from django.http import Http404

from integrations.models import AccountingSettings, Connection
from integrations.providers import registry

_STATUS_ORDER = {Connection.Status.CONNECTED: 0, Connection.Status.NEEDS_REAUTH: 1,
                 Connection.Status.DISCONNECTED: 2}


def dealer_providers() -> list:
    """Every registered provider class that does the dealer's flow."""
    return [cls for cls in registry.all() if cls.dealer_flow is not None]


def provider_class(key):
    """The dealer-flow provider registered under `key`, else 404."""
    try:
        cls = registry.get(key)
    except LookupError:
        raise Http404(f"No provider {key!r} is registered.") from None
    if cls.dealer_flow is None:
        raise Http404(f"{cls.name} does not take the dealer's contracts.")
    return cls


def connection_for(organization, key):
    if organization is None:
        return None
    return Connection.objects.for_org(organization).filter(provider=key).first()


def choose(organization, key=None):
    """(provider class, connection or None) of the organization's dealer flow; (None, None)
    when it uses none yet. `key` fixes the provider (an address that names it)."""
    if key:
        return provider_class(key), connection_for(organization, key)
    if organization is None:
        return None, None
    classes = {cls.key: cls for cls in dealer_providers()}
    connections = sorted(
        Connection.objects.for_org(organization).filter(provider__in=list(classes)),
        key=lambda c: (_STATUS_ORDER.get(c.status, 3), -c.updated_at.timestamp()))
    if connections:
        return classes[connections[0].provider], connections[0]
    for cls in registry.in_use(organization):
        if cls.key in classes:
            return cls, None
    return None, None


def is_connected(connection) -> bool:
    return (connection is not None and connection.status == Connection.Status.CONNECTED
            and bool(connection.credentials))


def defaults_for(organization, key):
    row, _created = AccountingSettings.objects.get_or_create(organization=organization,
                                                             provider=key)
    return row
