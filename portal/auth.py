"""Logging a person in: one place for the test login and (later) OIDC."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.utils import timezone

from portal.actor import resolve_actor
from registry.models import Person


def login_person(request, person: Person) -> None:
    """Log the person in, creating their Django user on first login. Rotates the session key."""
    if person.user_id is None:
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=f"pid:{person.pid}")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        person.user = user
        person.save(update_fields=["user"])
    if hasattr(request, "_messages"):
        list(messages.get_messages(request))  # unread notices belong to whoever used this browser before
    login(request, person.user, backend="django.contrib.auth.backends.ModelBackend")
    # The session ends SESSION_COOKIE_AGE after login, however it is used meanwhile: without a fixed
    # date, Django moves the expiry on each time the session is saved (choosing whom to act for), and
    # the OidcSession row front-channel logout needs (removed at that age, portal/oidc_logout.py) could
    # go before its session.
    request.session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
    # What the middleware read before the login is the previous visitor's: read it again for this person.
    request.person = person
    request.actor = resolve_actor(request)
