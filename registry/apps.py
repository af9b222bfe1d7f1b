from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_catalog(sender, using="default", **kwargs):
    # Reference data every installation needs, like contenttypes: after each migrate and flush.
    from registry import listings
    from registry.catalog import load_builtin_catalog

    before = listings.rules()
    load_builtin_catalog()
    listings.after_catalog(before)


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registers and catalog"

    def ready(self) -> None:
        from registry import listings

        post_migrate.connect(_load_catalog, sender=self, dispatch_uid="registry.load_catalog")
        listings.connect()
