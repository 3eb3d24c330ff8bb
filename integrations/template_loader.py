"""Templates that live in a provider's own folder (`<package>/templates/`), found through the
registry, so a provider's pages ship with its package and shared folders never hold them."""

from django.template.loaders.filesystem import Loader as FilesystemLoader


class ProviderTemplatesLoader(FilesystemLoader):
    def get_dirs(self):
        from integrations.providers import registry

        return registry.template_dirs()
