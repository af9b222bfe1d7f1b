"""Throttled staff login at /admin/: the admin guards the registers, the clients and their scopes.

After ADMIN_LOGIN_MAX_FAILURES failed logins for one username within ADMIN_LOGIN_WINDOW_SECONDS,
further attempts for it are refused without checking the password until the window has passed.
Counted per username, not per address (behind a load balancer every caller has the same one), in the
cache — Redis in production, so every web process sees the same count.
"""

import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _key(username: str) -> str:
    return "admin-login-failures:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _("For mange mislykkede innlogginger for denne brukeren. Vent et kvarter og prøv igjen."),
    }

    def clean(self):
        key = _key(self.cleaned_data.get("username") or "")
        if cache.get(key, 0) >= settings.ADMIN_LOGIN_MAX_FAILURES:
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except ValidationError:
            cache.add(key, 0, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS)
            raise
