from django.apps import AppConfig


class MaskinportenConfig(AppConfig):
    name = "maskinporten"
    verbose_name = "Token endpoint and clients"

    def ready(self):
        from maskinporten import schema  # noqa: F401  (schema registers the OpenAPI authentication extension)
