from django.apps import AppConfig
from django.conf import settings


class MaskinportenConfig(AppConfig):
    name = "maskinporten"
    verbose_name = "Token endpoint and clients"

    def ready(self):
        from lib.tokens import keys
        from maskinporten import schema  # noqa: F401  (schema registers the OpenAPI authentication extension)

        if settings.TOKEN_SIGNING_KEY_FILES:
            keys.signing_keys()  # configured key files: a bad one stops start-up, not the first token request
