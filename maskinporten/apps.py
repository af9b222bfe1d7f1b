from django.apps import AppConfig
from django.conf import settings


class MaskinportenConfig(AppConfig):
    name = "maskinporten"
    verbose_name = "Token endpoint and clients"

    def ready(self):
        from lib.tokens import keys
        from maskinporten import schema  # noqa: F401  (schema registers the OpenAPI authentication extension)

        # Configured key files: a bad one stops start-up, not the first token request.
        for ring in keys.RINGS:
            if getattr(settings, ring.files_setting):
                ring.signing_keys()
