from django.contrib import admin
from django.urls import include, path

from lib.problems import not_found as api_not_found
from lib.routing import any_case_path, any_case_re_path
from portal import views
from portal.admin_login import ThrottledAdminLoginForm
from portal.systemusers import overview as systemusers_overview
from registry.api import authorized_parties

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
handler500 = "config.errors.handler500"  # database unavailable: a 503 in each caller's format
admin.site.login_form = ThrottledAdminLoginForm

urlpatterns = [
    path("", include(portal_patterns)),
    path("", include("maskinporten.urls")),  # /.well-known/…, /jwk, /token, systemuser/byExternalId
    # The PDP early: its lookup passes fewer patterns (it is a hot path, config/wsgi.py).
    any_case_path("authorization/api/v1/", include("authorization.urls")),
    any_case_re_path(r"^authorization/api/v1(?:/|$)", api_not_found),
    any_case_path(API, include("registry.urls_api")),  # systemregister…, systemuser/vendor/…
    any_case_path(API, include("approvals.urls_api")),  # systemuser/request…, systemuser/changerequest…
    # Last under the prefix: an unknown vendor-API path is a 404 problem, not the portal's HTML page.
    any_case_re_path(r"^authentication/api/v1(?:/|$)", api_not_found),
    # Altinn's AuthorizedParties, for a system user's own token (registry/api/authorized_parties.py).
    any_case_path("accessmanagement/api/v1/authorizedparties", authorized_parties.AuthorizedPartiesView.as_view()),
    any_case_re_path(r"^accessmanagement/api/v1(?:/|$)", api_not_found),
    path("", include("portal.approvals.urls")),  # approval pages at the confirmUrl paths
    path("", include("portal.urls_systemusers")),  # the business's own system-access pages
    path("login/oidc/", include("portal.urls_oidc")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
