"""The explicit provider registry: one line per provider, no import scanning.

Adding a provider: create `integrations/providers/<name>/` with a `Provider` subclass and add it to
`_BUILTIN` below (see the README, "Adding a provider").
"""

from importlib import import_module
from pathlib import Path

# key -> "module:Class"
_BUILTIN: dict[str, str] = {
    "poweroffice_go": "integrations.providers.poweroffice_go.provider:PowerOfficeGo",
    "fortnox": "integrations.providers.fortnox.provider:Fortnox",
    "visma_eaccounting": "integrations.providers.visma_eaccounting.provider:VismaEaccounting",
    "visma_payroll": "integrations.providers.visma_payroll.provider:VismaPayroll",
    "tripletex": "integrations.providers.tripletex.provider:Tripletex",
}


class Registry:
    def __init__(self, entries):
        self._paths = dict(entries)
        self._classes = {}

    def register(self, provider_class):
        """Add a provider class (used by tests and by plugins)."""
        self._classes[provider_class.key] = provider_class
        self._paths.pop(provider_class.key, None)
        return provider_class

    def unregister(self, key):
        self._classes.pop(key, None)
        self._paths.pop(key, None)

    def keys(self):
        return sorted(set(self._paths) | set(self._classes))

    def get(self, key):
        key = self.resolve(key)
        if key not in self._classes:
            try:
                path = self._paths[key]
            except KeyError as exc:
                raise LookupError(f"No provider {key!r} is registered") from exc
            module, cls = path.split(":")
            self._classes[key] = getattr(import_module(module), cls)
        return self._classes[key]

    def resolve(self, key):
        """The registry key for `key` or one of a provider's `aliases` (the URLs a provider
        published under another name, e.g. `/api/webhooks/<alias>`); unknown keys unchanged."""
        if key in self._classes or key in self._paths:
            return key
        for known in self.keys():
            try:
                cls = self.get(known)
            except (LookupError, ImportError):
                continue
            if key in cls.aliases:
                return known
        return key

    def for_connection(self, connection):
        return self.get(connection.provider)(connection)

    def name_of(self, key):
        try:
            return self.get(key).name
        except LookupError:
            return key

    def choices(self):
        return [(k, self.name_of(k)) for k in self.keys()]

    def all(self):
        return [self.get(k) for k in self.keys()]

    # -- what shared code asks of every provider --------------------------------------------
    def urlpatterns(self):
        """Each provider's own URL patterns (`Provider.urls`), included at the root under the
        provider module's `app_name`. Read when the URLconf loads."""
        from django.urls import include, path

        return [path("", include(cls.urls)) for cls in self.all() if cls.urls]

    def template_dirs(self):
        """`<provider package>/templates/` of every provider that has one."""
        dirs = []
        for cls in self.all():
            folder = Path(import_module(cls.__module__).__file__).parent / "templates"
            if folder.is_dir():
                dirs.append(folder)
        return dirs

    def in_use(self, organization):
        """The providers an organization works with: connected once, or mapped for."""
        if organization is None:
            return []
        from integrations.models import AccountMapping, Connection, VatMapping

        keys = set(Connection.objects.for_org(organization).values_list("provider", flat=True))
        for model in (VatMapping, AccountMapping):
            keys.update(model.objects.for_org(organization).values_list("provider", flat=True)
                        .distinct())
        return [self.get(k) for k in self.keys() if k in keys]


registry = Registry(_BUILTIN)
