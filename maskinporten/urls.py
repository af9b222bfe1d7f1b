from django.urls import path

from lib.routing import any_case_path
from maskinporten import api, exchange_views, views

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
    any_case_path(
        "authentication/api/v1/exchange/<str:provider>", exchange_views.ExchangeView.as_view(), name="exchange"
    ),
    any_case_path("authentication/api/v1/refresh", exchange_views.RefreshView.as_view(), name="refresh"),
    any_case_path(views.OPENID_CONFIGURATION, views.openid_configuration, name="openid-configuration"),
    any_case_path(f"{views.OPENID_CONFIGURATION}/jwks", views.platform_jwks, name="openid-jwks"),
]
