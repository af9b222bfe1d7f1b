"""Throttled staff login at /admin/: the admin guards the registers, the clients and their scopes.

After ADMIN_LOGIN_MAX_FAILURES failed logins for one username within ADMIN_LOGIN_WINDOW_SECONDS,
further attempts for it are refused without checking the password until the window has passed.
Counted per username, not per address (behind a load balancer every caller has the same one), in the
cache — Redis in production, so every web process sees the same count.

The admin is the emergency path (revoking a system user, deactivating a client), so it must work while
Redis is down: the count then falls back to this process's memory. The throttle is weaker for that
while (per process instead of per installation), never gone, and a login is never a 500.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lib import counters

log = logging.getLogger(__name__)
_local = LocMemCache("admin-login-failures", {})


def _key(username: str) -> str:
    return "admin-login-failures:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _attempt(key: str):
    """Count this attempt, atomically, before the password is checked (lib/counters.py): simultaneous
    posts each get their own number, so no more than the limit are checked. Returns the count and the
    store that holds it: the shared cache, or this process's memory while the cache is unreachable."""
    try:
        return counters.increment(key, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS), cache
    except Exception:  # the shared cache is unreachable: this process's own count
        log.warning("admin login: the cache is unavailable; counting failures in this process only", exc_info=True)
        return counters.increment(key, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS, store=_local), _local


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _("For mange mislykkede innlogginger for denne brukeren. Vent et kvarter og prøv igjen."),
    }

    def clean(self):
        key = _key(self.cleaned_data.get("username") or "")
        count, store = _attempt(key)
        if count > settings.ADMIN_LOGIN_MAX_FAILURES:
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted as a failure
        try:
            store.decr(key)  # the right password is not a failure
        except Exception:  # the window ended meanwhile, or the cache went away: nothing to take back
            pass
        return cleaned
