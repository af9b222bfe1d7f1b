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

from lib import counters


def _key(username: str) -> str:
    return "admin-login-failures:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _("For mange mislykkede innlogginger for denne brukeren. Vent et kvarter og prøv igjen."),
    }

    def clean(self):
        key = _key(self.cleaned_data.get("username") or "")
        # Counted before the password check, atomically (lib/counters.py): simultaneous posts each get their
        # own number, so no more than the limit are checked. Reading, checking, then counting let 40 posts
        # at once get 17 checks against a limit of 10.
        if counters.increment(key, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS) > settings.ADMIN_LOGIN_MAX_FAILURES:
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted as a failure
        try:
            cache.decr(key)  # the right password is not a failure
        except ValueError:  # the window ended meanwhile
            pass
        return cleaned
