from django.urls import path

from lib.routing import any_case_path
from maskinporten import api, exchange, views

app_name = "maskinporten"

urlpatterns = [
    path(".well-known/oauth-authorization-server", views.metadata, name="metadata"),
    path("jwk", views.jwk, name="jwk"),
    path("token", views.token, name="token"),
    any_case_path(
        "authentication/api/v1/systemuser/byExternalId",
        api.SystemUserByExternalId.as_view(),
        name="systemuser-by-external-id",
    ),
    any_case_path("authentication/api/v1/exchange/<str:provider>", exchange.ExchangeView.as_view(), name="exchange"),
]
