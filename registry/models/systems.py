"""Registered systems, system users, their delegated packages/rights and client delegations."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language


class RegisteredSystemQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_deleted=False)

    def visible(self):
        return self.live().filter(is_visible=True)

    def of_vendor(self, vendor):
        return self.filter(vendor=vendor)


class RegisteredSystem(models.Model):
    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    system_id = models.CharField("system id", max_length=200, unique=True)
    vendor = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="systems")
    name = models.JSONField(default=dict, help_text='{"nb": ..., "nn": ..., "en": ...}')
    description = models.JSONField(default=dict, blank=True)
    allowed_redirect_urls = models.JSONField(default=list, blank=True)
    is_visible = models.BooleanField(default=True)
    is_deleted = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RegisteredSystemQuerySet.as_manager()

    class Meta:
        ordering = ["system_id"]

    def __str__(self) -> str:
        return self.system_id

    @property
    def display_name(self) -> str:
        lang = (get_language() or "nb")[:2]
        return self.name.get(lang) or self.name.get("nb") or self.system_id

    @property
    def display_description(self) -> str:
        lang = (get_language() or "nb")[:2]
        return self.description.get(lang) or self.description.get("nb") or ""


class SystemRight(models.Model):
    """A single right on a system: a resource, optionally limited to one action."""

    system = models.ForeignKey(RegisteredSystem, on_delete=models.CASCADE, related_name="rights")
    resource = models.ForeignKey("registry.Resource", on_delete=models.PROTECT)
    action = models.CharField(max_length=50, blank=True, help_text="Empty: every action of the resource")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "resource", "action"], name="systemright_unique"),
        ]


class SystemPackage(models.Model):
    system = models.ForeignKey(RegisteredSystem, on_delete=models.CASCADE, related_name="packages")
    package = models.ForeignKey("registry.AccessPackage", on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "package"], name="systempackage_unique")]


class SystemClient(models.Model):
    """A Maskinporten client id of a system. Unique: a client id belongs to one live system.

    Soft-deleting a system deletes these rows, which frees the client ids.
    """

    system = models.ForeignKey(RegisteredSystem, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=200, unique=True)


class SystemChangeLog(models.Model):
    system = models.ForeignKey(RegisteredSystem, on_delete=models.CASCADE, related_name="changelog")
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.CharField(max_length=200, help_text="Who: vendor org, staff user or command")
    change_type = models.CharField(max_length=50)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]


class SystemUserType(models.TextChoices):
    STANDARD = "standard", "standard"
    AGENT = "agent", "agent"


class SystemUserQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_deleted=False)

    def owned_by(self, org):
        return self.filter(owner=org)

    def standard(self):
        return self.filter(user_type=SystemUserType.STANDARD)

    def agent(self):
        return self.filter(user_type=SystemUserType.AGENT)

    def of_system(self, system):
        return self.filter(system=system)

    def of_vendor(self, vendor):
        """System users of the vendor's systems: what a vendor may see through the API."""
        return self.filter(system__vendor=vendor)


class SystemUser(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    integration_title = models.CharField(max_length=200)
    owner = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="system_users")
    system = models.ForeignKey(RegisteredSystem, on_delete=models.PROTECT, related_name="system_users")
    user_type = models.CharField(max_length=10, choices=SystemUserType.choices, default=SystemUserType.STANDARD)
    external_ref = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SystemUserQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "system", "external_ref"],
                condition=Q(is_deleted=False),
                name="systemuser_one_live_per_owner_system_ref",
            ),
        ]
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.integration_title} ({self.id})"


class SystemUserPackage(models.Model):
    """A package delegated to a standard system user, or required by an agent system user."""

    system_user = models.ForeignKey(SystemUser, on_delete=models.CASCADE, related_name="packages")
    package = models.ForeignKey("registry.AccessPackage", on_delete=models.PROTECT)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system_user", "package"], name="systemuserpackage_unique"),
        ]


class SystemUserRight(models.Model):
    """A single right (resource, optionally one action) delegated to a standard system user."""

    system_user = models.ForeignKey(SystemUser, on_delete=models.CASCADE, related_name="rights")
    resource = models.ForeignKey("registry.Resource", on_delete=models.PROTECT)
    action = models.CharField(max_length=50, blank=True, help_text="Empty: every action of the resource")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system_user", "resource", "action"], name="systemuserright_unique"),
        ]


class ClientDelegation(models.Model):
    """An agent system user may act for a client of its facilitator (the system user's owner)."""

    system_user = models.ForeignKey(SystemUser, on_delete=models.CASCADE, related_name="client_delegations")
    client = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="+")
    # What made the client eligible: the facilitator's role for the client and the packages delegated.
    role_code = models.CharField(max_length=20, blank=True)
    packages = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system_user", "client"], name="clientdelegation_unique"),
        ]
