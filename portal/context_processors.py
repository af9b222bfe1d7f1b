from django.conf import settings


def portal(request):
    return {
        "person": getattr(request, "person", None),
        "actor": getattr(request, "actor", None),
        "test_login_enabled": settings.TEST_LOGIN_ENABLED,
        "oidc_enabled": settings.OIDC_ENABLED,
    }
