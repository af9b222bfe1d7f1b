"""Parties: organisations, persons, ER roles and package delegations."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class OrganisationQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_deleted=False)

    def matching(self, text: str):
        """Search as a person types it: digits (spaces allowed) match the org number, else the name."""
        return self.filter(matching_q(text))

    def take_turns(self, org: "Organisation") -> None:
        """Wait on `org`'s row until whoever else is taking turns on it commits (inside a transaction): for
        a change that counts or rewrites the organisation's rows, so that two at once count each other.
        FOR NO KEY UPDATE: rows that only refer to the organisation are not held up. (SQLite writes one
        transaction at a time anyway, and ignores the lock.)"""
        list(self.select_for_update(no_key=True).filter(pk=org.pk).values_list("pk", flat=True))


def matching_q(text: str) -> Q:
    """`OrganisationQuerySet.matching` as a filter (Q() when there is nothing to search for)."""
    text = " ".join(text.split())
    if not text:
        return Q()
    digits = text.replace(" ", "")
    if digits.isdigit():
        return Q(orgno__contains=digits)
    # SQLite folds case for ASCII only ("øst" would miss "Østfold"), and so does PostgreSQL on a database
    # whose LC_CTYPE is C: the case variants cover that. Variants that differ in ASCII letters only are
    # the same search on either (and each would be one more UPPER … LIKE a row): one of them is kept.
    variants = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
    variants = set({_ascii_upper(variant): variant for variant in sorted(variants)}.values())
    match = Q()
    for variant in sorted(variants):
        match |= Q(name__icontains=variant)
    return match


def _ascii_upper(text: str) -> str:
    return "".join(char.upper() if char.isascii() else char for char in text)


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    orgno = models.CharField("organisation number", max_length=9, unique=True)
    name = models.CharField(max_length=200)
    form = models.CharField("organisation form", max_length=10, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="subunits")
    email = models.CharField("notification e-mail addresses", max_length=500, blank=True)
    is_deleted = models.BooleanField(default=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.orgno})"

    @property
    def emails(self) -> list[str]:
        return [e.strip() for e in self.email.replace(";", ",").split(",") if e.strip()]


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pid = models.CharField("national identity number", max_length=11, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A role from the role catalog (ER roles like DAGL, Altinn roles like hovedadministrator)."""

    code = models.CharField(max_length=100, primary_key=True)
    urn = models.CharField(max_length=200, unique=True)
    legacy_code = models.CharField(max_length=20, blank=True, db_index=True)
    name_nb = models.CharField(max_length=200)
    name_nn = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.legacy_code or self.code

    @property
    def name(self) -> str:
        from registry.models.catalog import localized

        return localized(self, "name")


def person_or_org_constraints(
    prefix: str, key: tuple[str, ...], person: str, org: str, *, check_name: str
) -> list[models.BaseConstraint]:
    """A row held by exactly one person or one organisation, once per key and holder."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{person}__isnull": False, f"{org}__isnull": True})
            | Q(**{f"{person}__isnull": True, f"{org}__isnull": False}),
            name=f"{prefix}_{check_name}",
        ),
        models.UniqueConstraint(
            fields=[*key, person], condition=Q(**{f"{person}__isnull": False}), name=f"{prefix}_unique_person"
        ),
        models.UniqueConstraint(
            fields=[*key, org], condition=Q(**{f"{org}__isnull": False}), name=f"{prefix}_unique_org"
        ),
    ]


class RoleAssignment(models.Model):
    """An ER role: a person or an organisation holds a role for an organisation."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT)
    of = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles_given")
    holder_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="roles")
    holder_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="roles_held"
    )

    class Meta:
        constraints = person_or_org_constraints(
            "roleassignment", ("role", "of"), "holder_person", "holder_org", check_name="one_holder"
        )

    def __str__(self) -> str:
        return f"{self.role} of {self.of.orgno} held by {self.holder_person or self.holder_org}"


class PackageDelegation(models.Model):
    """An access package delegated by an organisation to a person or another organisation."""

    package = models.ForeignKey("registry.AccessPackage", on_delete=models.PROTECT)
    from_org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="delegations_given")
    to_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="delegations")
    to_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="delegations_received"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = person_or_org_constraints(
            "packagedelegation", ("package", "from_org"), "to_person", "to_org", check_name="one_recipient"
        )

    def __str__(self) -> str:
        return f"{self.package_id} from {self.from_org.orgno} to {self.to_person or self.to_org}"


class ClientListing(models.Model):
    """One organisation an organisation holds packages for — a client, or itself — as
    `registry.access.holdings_for_clients` decides, copied so that a firm's clients are read in name order
    a page at a time (the index walks them) instead of found, counted and sorted at every request.

    A copy, never the rule: `registry.listings` writes it from `holdings_for_clients` for the pair that
    changed (roles, delegations, the organisation's name, number or form, the role rules), and adding a
    client checks the rule itself again. `held` names what is held, as tokens: `,pkg,` for each package
    and `,pkg:ROLE,` for each role that gives it (`SELF`: the holder's own packages)."""

    holder = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="client_listings")
    client = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="listed_by")
    rank = models.PositiveSmallIntegerField(default=1)  # 0: the holder itself, listed first
    name = models.CharField(max_length=200)
    orgno = models.CharField(max_length=9)
    held = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["holder", "client"], name="clientlisting_once")]
        indexes = [models.Index(fields=["holder", "rank", "name", "orgno"], name="clientlisting_walk")]

    def __str__(self) -> str:
        return f"{self.client_id} listed for {self.holder_id}: {self.held}"
