"""How system users are used: tokens issued per hour, and token requests refused for a known client.

Token traffic is counted, not written one audit event per token: a vendor's program that fetches a token
every two minutes would otherwise write 720 events a day, drowning the history people read. Each grant
costs one upsert of its hour's row (maskinporten.grants via registry.usage); each refusal of a client that
proved who it is, one upsert of the row for its reason. Reads are index look-ups on a few rows.
"""

from django.db import models


class SystemUserUsage(models.Model):
    """Tokens issued for one system user in one hour (UTC, truncated) with one client key, and the last of
    them. The key is part of the row so that a business rotating its own integration's keys sees when
    each key was last used (maskinporten/self_developed.py); a system has one or two keys, so the rows
    per hour stay one or two."""

    system_user = models.ForeignKey("registry.SystemUser", on_delete=models.CASCADE, related_name="usage")
    hour = models.DateTimeField()
    issued = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()
    last_client_id = models.CharField(max_length=200)
    kid = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system_user", "hour", "kid"], name="systemuserusage_one_per_hour")
        ]
        indexes = [models.Index(fields=["hour"], name="systemuserusage_hour")]  # retention

    def __str__(self) -> str:
        return f"{self.system_user_id} {self.hour:%Y-%m-%d %H}: {self.issued}"


class RefusalReason(models.TextChoices):
    """Why a known client got no token, as the business and staff need to know it."""

    UNKNOWN_ORGANISATION = "unknown_organisation", "unknown organisation"
    CLIENT_NOT_ON_SYSTEM = "client_not_on_system", "client not on the system"
    NO_SYSTEM_USER = "no_system_user", "no system user"
    SYSTEM_USER_DELETED = "system_user_deleted", "system user deleted"
    UNKNOWN_EXTERNAL_REF = "unknown_external_ref", "unknown externalRef"
    REPLAYED = "replayed", "grant used before"
    OTHER = "other", "other"


class TokenRefusal(models.Model):
    """Token requests refused for a client that proved who it is (its signature was good), one row per
    client, organisation asked for, reason and detail, counted. Anonymous refusals (unknown client, bad
    signature, malformed request) are only counted in metrics and logged: nobody can be told about them."""

    client_id = models.CharField(max_length=200)
    party_orgno = models.CharField(max_length=9, blank=True, help_text="The organisation asked for, if any")
    reason = models.CharField(max_length=40, choices=RefusalReason.choices)
    detail = models.CharField(max_length=200, blank=True, help_text="e.g. the externalRef asked for")
    description = models.CharField(max_length=1000, blank=True, help_text="What the client was told, and why")
    system_user_id = models.UUIDField(null=True, blank=True)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client_id", "party_orgno", "reason", "detail"], name="tokenrefusal_one_per_reason"
            )
        ]
        indexes = [
            models.Index(fields=["party_orgno", "-last_at"], name="tokenrefusal_party_last"),
            models.Index(fields=["last_at"], name="tokenrefusal_last"),  # retention, staff
        ]
        ordering = ["-last_at"]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.party_orgno or '-'}: {self.reason} ×{self.count}"
