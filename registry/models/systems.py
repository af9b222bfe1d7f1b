"""Registered systems, system users, their delegated packages/rights and client delegations."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language

from registry.models.usage import SystemUserUsage


class RegisteredSystemQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_deleted=False)

    def visible(self):
        return self.live().filter(is_visible=True)

    def registered(self):
        """Systems in the system register: every system but the businesses' self-developed ones, which
        exist only for their owner and never show in the vendor API, its lists or its requests."""
        return self.filter(is_self_developed=False)

    def of_vendor(self, vendor):
        """The systems the organisation registered as a vendor (its self-developed ones are not)."""
        return self.registered().filter(vendor=vendor)

    def self_developed_by(self, org):
        return self.live().filter(is_self_developed=True, vendor=org)

    def for_creation(self, org, query: str = ""):
        """Systems the organisation may create a system access for in the portal: visible ones and its
        own invisible ones, searchable by system or vendor name, each with `system_user_id` set when the
        organisation already has a live one for it. A self-developed system is not among them: it gets its
        system access when it is registered (portal "Egenutviklet system")."""
        systems = self.live().registered().filter(Q(is_visible=True) | Q(vendor=org)).select_related("vendor")
        if query:
            systems = systems.filter(
                Q(name__nb__icontains=query)
                | Q(name__nn__icontains=query)
                | Q(name__en__icontains=query)
                | Q(system_id__icontains=query)
                | Q(vendor__name__icontains=query)
            )
        live_users = SystemUser.objects.live().filter(owner=org, system=models.OuterRef("pk"), external_ref=org.orgno)
        existing = models.Subquery(live_users.values("pk")[:1])
        return systems.annotate(system_user_id=existing).order_by("vendor__name", "system_id")

    def with_grants(self):
        """Prefetch what a system access for the system would get: packages and single rights."""
        from registry.models import PolicyRule

        rules = PolicyRule.objects.select_related("resource").order_by("resource_id", "action")
        return self.prefetch_related(
            models.Prefetch(
                "packages",
                SystemPackage.objects.select_related("package")
                .prefetch_related(models.Prefetch("package__policy_rules", rules))
                .order_by("package_id"),
            ),
            models.Prefetch("rights", SystemRight.objects.select_related("resource").order_by("resource_id", "action")),
        )


class RegisteredSystem(models.Model):
    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    system_id = models.CharField("system id", max_length=200, unique=True)
    vendor = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="systems")
    name = models.JSONField(default=dict, help_text='{"nb": ..., "nn": ..., "en": ...}')
    description = models.JSONField(default=dict, blank=True)
    allowed_redirect_urls = models.JSONField(default=list, blank=True)
    is_visible = models.BooleanField(default=True)
    is_self_developed = models.BooleanField(
        default=False,
        help_text="A business's own integration (its vendor is the business): only the business sees it, "
        "it is never in the vendor API and never requestable",
    )
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
    def product_name(self) -> str:
        """The name programs read (a system user's `productName`): bokmål whatever language they ask in,
        so a vendor's program gets the same value from every look-up."""
        return self.name.get("nb") or self.system_id

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
        """System users of the vendor's systems: what a vendor may see through the API (never those of a
        business's self-developed system, not even the business's own)."""
        return self.filter(system__vendor=vendor, system__is_self_developed=False)

    def with_last_used(self):
        """`last_used_at`: when each system user last got a token (None: not within the usage retention),
        one index look-up per row."""
        latest = SystemUserUsage.objects.filter(system_user=models.OuterRef("pk")).order_by("-hour", "-last_at")
        return self.annotate(last_used_at=models.Subquery(latest.values("last_at")[:1]))

    def for_overview(self, org, query: str = ""):
        """The organisation's live system users with what the overview shows, in a fixed number of queries,
        newest first; `query` narrows them to those whose system name, integration title or vendor matches."""
        system_users = self.live().owned_by(org)
        if query:
            system_users = system_users.filter(
                Q(system__name__nb__icontains=query)
                | Q(system__name__nn__icontains=query)
                | Q(system__name__en__icontains=query)
                | Q(integration_title__icontains=query)
                | Q(system__vendor__name__icontains=query)
            )
        return system_users.select_related("system__vendor", "created_by").order_by("-created", "-pk")

    def for_details(self, org):
        """Live system users of the organisation, with their packages (and what each grants) and single
        rights prefetched, so a details page costs the same for 3 or 300 of them. Clients are paged apart:
        an agent system user may have thousands."""
        from registry.models import PolicyRule

        rules = PolicyRule.objects.select_related("resource").order_by("resource_id", "action")
        return self.for_overview(org).prefetch_related(
            models.Prefetch(
                "packages",
                SystemUserPackage.objects.select_related("package")
                .prefetch_related(models.Prefetch("package__policy_rules", rules))
                .order_by("package_id"),
            ),
            models.Prefetch(
                "rights", SystemUserRight.objects.select_related("resource").order_by("resource_id", "action")
            ),
        )


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
        # A vendor's list of a system's system users reads pages in this order (registry.api.system_users).
        indexes = [models.Index(fields=["system", "created", "id"], name="systemuser_system_created")]
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.integration_title} ({self.id})"

    def audit_trail(self):
        """Every audit event about this system user, newest first (token events of old versions included)."""
        from registry.models import AuditEvent

        return AuditEvent.objects.filter(object_type="systemuser", object_id=str(self.pk)).select_related(
            "actor_person"
        )

    def history(self):
        """What people (and staff, and vendors through their requests) did to this system user, newest
        first: its audit trail without token traffic, which is usage (registry.usage), not history."""
        from registry.models.audit import HISTORY

        return self.audit_trail().filter(HISTORY)


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
