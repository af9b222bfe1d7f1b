from django.conf import settings

# Each language named in itself, short enough for the header on a phone.
LANGUAGE_LABELS = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}


def portal(request):
    return {
        "person": getattr(request, "person", None),
        "actor": getattr(request, "actor", None),
        "test_login_enabled": settings.TEST_LOGIN_ENABLED,
        "oidc_enabled": settings.OIDC_ENABLED,
        "language_choices": [(code, LANGUAGE_LABELS.get(code, code)) for code, _name in settings.LANGUAGES],
    }
