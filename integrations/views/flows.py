"""Finding a provider's connect and import functions by asking the registry, never by name.

A provider package has `auth.py` (`authorization_url`, `complete_authorization`, `disconnect`)
and, when it imports, `sync.py` (`import_changes`, `import_record`), next to its provider class.
A provider class may instead point at other objects with the class attributes `auth_module` and
`sync_module` (the tests' fake providers do).
"""

from importlib import import_module

from integrations.providers import registry

AUTH, SYNC = "auth", "sync"


def provider_part(provider_key: str, part: str):
    """The provider's `auth` or `sync` module. LookupError when it has none."""
    cls = registry.get(provider_key)
    given = getattr(cls, f"{part}_module", None)
    if given is not None:
        return given
    package = cls.__module__.rpartition(".")[0]
    name = f"{package}.{part}"
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module exists but something it imports does not
            raise
        raise LookupError(f"{cls.name} has no {part} module ({name}).") from None


def can_connect_here(provider_key: str) -> bool:
    """Whether the provider connects by sending the person to its consent page from ours."""
    try:
        return hasattr(provider_part(provider_key, AUTH), "authorization_url")
    except LookupError:
        return False


def can_import(provider_key: str) -> bool:
    try:
        return hasattr(provider_part(provider_key, SYNC), "import_changes")
    except LookupError:
        return False
