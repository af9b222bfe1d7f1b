"""The catalog: areas, access packages, role→package rules, resources and their policies."""

from django.db import models
from django.utils.translation import get_language


def localized(obj, field: str) -> str:
    """`obj.<field>_<lang>` for the active language, falling back to bokmål."""
    lang = (get_language() or "nb")[:2]
    return getattr(obj, f"{field}_{lang}", "") or getattr(obj, f"{field}_nb")


class Area(models.Model):
    code = models.CharField(max_length=100, primary_key=True)
    urn = models.CharField(max_length=200)
    name_nb = models.CharField(max_length=200)
    name_nn = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    group = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name_nb

    @property
    def name(self) -> str:
        return localized(self, "name")


class AccessPackageQuerySet(models.QuerySet):
    def assignable(self):
        return self.filter(assignable=True)

    def delegable(self):
        return self.filter(delegable=True)


class AccessPackage(models.Model):
    URN_PREFIX = "urn:altinn:accesspackage:"

    code = models.CharField(max_length=100, primary_key=True)
    urn = models.CharField(max_length=200, unique=True)
    name_nb = models.CharField(max_length=200)
    name_nn = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    description_nb = models.TextField(blank=True)
    description_nn = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT)
    delegable = models.BooleanField(default=False, help_text="Usable on agent system users (via clients)")
    assignable = models.BooleanField(default=False, help_text="Usable on standard system users")
    entity_type = models.CharField(max_length=20, default="Organization")

    objects = AccessPackageQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def description(self) -> str:
        return localized(self, "description")


class RolePackage(models.Model):
    """Which role gives which package, with has-access and can-delegate (data/role-packages.json)."""

    role = models.ForeignKey("registry.Role", on_delete=models.CASCADE, related_name="package_rules")
    package = models.ForeignKey(AccessPackage, on_delete=models.CASCADE, related_name="role_rules")
    has_access = models.BooleanField()
    can_delegate = models.BooleanField()
    # None: applies to every organisation form; otherwise the forms the rule is limited to.
    entity_variants = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "package"], name="rolepackage_unique")]


class Resource(models.Model):
    URN_ATTRIBUTE = "urn:altinn:resource"

    id = models.CharField(max_length=200, primary_key=True)
    title_nb = models.CharField(max_length=300)
    title_nn = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    owner_orgno = models.CharField(max_length=9)
    owner_name = models.CharField(max_length=200, blank=True)
    delegable = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.id

    @property
    def title(self) -> str:
        return localized(self, "title")


class PolicyRule(models.Model):
    """One line of a resource's policy: this package grants this action."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="policy_rules")
    package = models.ForeignKey(AccessPackage, on_delete=models.CASCADE, related_name="policy_rules")
    action = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "package", "action"], name="policyrule_unique"),
        ]
        indexes = [models.Index(fields=["resource", "action"])]

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.package_id} → {self.action}"
