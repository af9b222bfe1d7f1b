from django.contrib import admin
from django.urls import include, path

from portal import views
from portal.systemusers import overview as systemusers_overview

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("login/", views.login_choice, name="login"),
        path("login/test/", views.test_login, name="test_login"),
        path("logout/", views.logout_view, name="logout"),
        path("actor/", views.choose_actor, name="actor"),
        path("systemuser/", systemusers_overview.overview, name="overview"),
    ],
    "portal",
)

API = "authentication/api/v1/"

urlpatterns = [
    path("", include(portal_patterns)),
    path("", include("maskinporten.urls")),  # /.well-known/…, /jwk, /token, systemuser/byExternalId
    path(API, include("registry.urls_api")),  # systemregister…, systemuser/vendor/…
    path(API, include("approvals.urls_api")),  # systemuser/request…, systemuser/changerequest…
    path("", include("approvals.urls")),  # approval pages at the confirmUrl paths
    path("", include("portal.urls_systemusers")),  # the business's own system-access pages
    path("login/oidc/", include("portal.urls_oidc")),
    path("authorization/api/v1/", include("authorization.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
