"""Login with ID-porten (OpenID Connect), included at login/oidc/."""

from django.urls import include, path

from portal import views_oidc

oidc_patterns = (
    [
        path("", views_oidc.start, name="start"),
        path("callback/", views_oidc.callback, name="callback"),
        path("logged-out/", views_oidc.logged_out, name="logged_out"),
        path("frontchannel-logout/", views_oidc.frontchannel_logout, name="frontchannel_logout"),
    ],
    "oidc",
)

urlpatterns = [path("", include(oidc_patterns))]
