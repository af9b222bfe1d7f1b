"""Logging a person in: one place for the test login and (later) OIDC."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login

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
