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


class ActorVisit(models.Model):
    """When a person last began acting for an organisation: the act-for page's recent list, and what
    counts as new since their last visit (the overview marks requests that arrived after it).

    Kept in the database rather than the session: both are about earlier logins, which a session
    does not outlive. One row per person and organisation, updated in place (at most as many rows as
    organisations the person has acted for); it goes with the person or the organisation.
    """

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("registry.Organisation", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "org"], name="actorvisit_one_per_person_org")]
        indexes = [models.Index(fields=["person", "-at"], name="actorvisit_recent")]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.org_id} at {self.at:%Y-%m-%d %H:%M}"
