from django.apps import AppConfig


class MaskinportenConfig(AppConfig):
    name = "maskinporten"
    verbose_name = "Token endpoint and clients"
