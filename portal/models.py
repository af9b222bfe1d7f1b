"""The portal's own table: which of our sessions belong to which ID-porten session, for front-channel logout."""

from django.db import models


class OidcSession(models.Model):
    """One portal session started by an ID-porten login, under the login's `sid` (the provider's session).

    ID-porten's front-channel logout names the `sid`, not our session: this row is how we find the
    sessions to end. The browser's cookie cannot be used, as the call comes in a third-party iframe.
    """

    sid = models.CharField(max_length=255, db_index=True)
    session_key = models.CharField(max_length=40, unique=True)
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.sid} → {self.session_key[:6]}…"
