from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (language via cookie/set_language)
from django.contrib import admin
from django.urls import include, path

from portal import views

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("login/", views.login_choice, name="login"),
        path("login/test/", views.test_login, name="test_login"),
        path("logout/", views.logout_view, name="logout"),
        path("actor/", views.choose_actor, name="actor"),
        path("systemuser/", views.overview, name="overview"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
