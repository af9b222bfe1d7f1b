"""Token clients (Maskinporten integrations), their public keys, and used grant ids (replay protection)."""

import uuid

from django.db import models


class ClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Client(models.Model):
    client_id = models.CharField(max_length=200, primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="token_clients")
    scopes = models.JSONField(default=list, help_text="Allowed scopes, e.g. altinn:authentication/systemregister.write")
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name or self.client_id} ({self.owner.orgno})"


class ClientKeyQuerySet(models.QuerySet):
    def for_grant(self, client_id: str, kid: str):
        """The key a grant names (by `iss` and `kid`) with what the token endpoint needs of its client."""
        return (
            self.filter(client_id=client_id, kid=kid)
            .order_by()
            .values_list(
                "public_jwk",
                "retired_at",
                "client__is_active",
                "client__scopes",
                "client__owner__orgno",
                "client__owner__is_deleted",
            )
        )


class ClientKey(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="keys")
    kid = models.CharField(max_length=200)
    public_jwk = models.JSONField(help_text="The public key as a JWK (RSA of at least 2048 bits, or EC on P-256)")
    created = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True, help_text="Retired keys no longer verify grants")

    objects = ClientKeyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "kid"], name="clientkey_unique_kid")]

    def __str__(self) -> str:
        return self.kid


class UsedGrant(models.Model):
    """A `jti` seen in a grant; the unique key makes replay protection hold across processes."""

    client_id = models.CharField(max_length=200)
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "jti"], name="usedgrant_unique")]
