"""The decision service: may a system user do an action on a resource for a party? (CONTRACT §3)

Plain functions on the live rows — nothing is cached, so a revoked package or right, or a deleted
system user, stops permitting on the very next call (DESIGN invariant 5). Each decision costs a
bounded number of indexed queries: one for a standard system user, at most four for an agent
system user (the facilitator's packages for the client are read live, as registry.access reads them).

Permit when, for that party:
- standard: the party is the owner, and the system user holds a package that the resource's policy
  grants for the action, or holds a single right on the resource for the action (an empty action on
  the right means every action);
- agent: the party is a client delegated to the system user, the package is among the system user's
  required packages, the policy grants it for the action, and the facilitator (the owner) holds it
  for that client right now (through a role such as REGN or a delegation).
Anything else is NotApplicable, as Altinn answers ("no policy applies"); Deny is kept for an
explicit refusal, which our policies do not express.
"""

import json
import uuid
from dataclasses import dataclass, field

from django.db.models import JSONField, OuterRef, QuerySet, Subquery, Value

from lib.compiled import CompiledQuery, as_uuid
from registry import access
from registry.models import (
    AccessPackage,
    ClientDelegation,
    Organisation,
    PackageDelegation,
    PolicyRule,
    RoleAssignment,
    RolePackage,
    SystemUser,
    SystemUserPackage,
    SystemUserRight,
    SystemUserType,
)

from .xacml import Question

PERMIT = "Permit"
NOT_APPLICABLE = "NotApplicable"


@dataclass(frozen=True)
class Decision:
    decision: str
    reason: str  # a stable code, e.g. "package", "right", "unknown_system_user", "no_grant"
    detail: str  # one sentence for support staff and vendors
    package: str | None = None
    right: tuple[str, str] | None = None  # (resource, action or "" for every action)
    client: str | None = None  # the client's orgno, for agent system users
    facts: dict = field(default_factory=dict)  # what was looked at; filled only when explaining

    @property
    def permitted(self) -> bool:
        return self.decision == PERMIT

    def explanation(self) -> dict:
        out: dict = {"reason": self.reason, "detail": self.detail}
        if self.package:
            out["accessPackage"] = AccessPackage.URN_PREFIX + self.package
        if self.right:
            out["right"] = {"resource": self.right[0], "action": self.right[1] or None}
        if self.client:
            out["client"] = self.client
        out.update(self.facts)
        return out


def _not_applicable(reason: str, detail: str, *, client: str | None = None, **facts) -> Decision:
    return Decision(NOT_APPLICABLE, reason, detail, client=client, facts=facts)


_SENTINEL_ID = uuid.UUID(int=0x5E17)
_SENTINELS = {"resource": "\x00resource", "action": "\x00action"}
_DECISION_FIELDS = (
    "pk",
    "user_type",
    "is_deleted",
    "system__is_deleted",
    "owner_id",
    "owner__orgno",
    "owner__is_deleted",
    "granting_package",  # the first of its packages the policy grants for the action, or None
    "right_action",  # its single right on the resource for the action ("" = every action), or None
)


def _policy(resource: str, action: str) -> QuerySet:
    return PolicyRule.objects.filter(resource_id=resource, action=action).values("package_id")


def _decision_queryset(system_user_id: uuid.UUID, resource: str, action: str) -> QuerySet:
    """The system user's state and its grants for this resource and action: one indexed query."""
    package = (
        SystemUserPackage.objects.filter(system_user_id=OuterRef("pk"), package_id__in=_policy(resource, action))
        .order_by("package_id")
        .values("package_id")[:1]
    )
    right = (
        SystemUserRight.objects.filter(system_user_id=OuterRef("pk"), resource_id=resource, action__in=[action, ""])
        .order_by("-action")
        .values("action")[:1]
    )
    return (
        SystemUser.objects.filter(pk=system_user_id)
        .annotate(granting_package=Subquery(package), right_action=Subquery(right))
        .order_by()
        .values_list(*_DECISION_FIELDS)
    )


def _granting_packages_queryset(system_user_id: uuid.UUID, resource: str, action: str) -> QuerySet:
    """The system user's packages that the resource's policy grants for the action."""
    return (
        SystemUserPackage.objects.filter(system_user_id=system_user_id, package_id__in=_policy(resource, action))
        .order_by("package_id")
        .values_list("package_id")
    )


_CLIENT_FIELDS = ("client_id", "client__orgno", "client__form", "client__is_deleted")


def _client_by_orgno_queryset(system_user_id: uuid.UUID, orgno: str) -> QuerySet:
    return ClientDelegation.objects.filter(system_user_id=system_user_id, client__orgno=orgno).values_list(
        *_CLIENT_FIELDS
    )


def _client_by_uuid_queryset(system_user_id: uuid.UUID, client_id: uuid.UUID) -> QuerySet:
    return ClientDelegation.objects.filter(system_user_id=system_user_id, client_id=client_id).values_list(
        *_CLIENT_FIELDS
    )


_decision_query = CompiledQuery(_decision_queryset, system_user_id=_SENTINEL_ID, **_SENTINELS)
_granting_packages_query = CompiledQuery(_granting_packages_queryset, system_user_id=_SENTINEL_ID, **_SENTINELS)
_client_by_orgno_query = CompiledQuery(_client_by_orgno_queryset, system_user_id=_SENTINEL_ID, orgno="\x00orgno")
_client_by_uuid_query = CompiledQuery(
    _client_by_uuid_queryset, system_user_id=_SENTINEL_ID, client_id=uuid.UUID(int=0xC11E)
)


def _decision_row(question: Question) -> dict | None:
    rows = _decision_query.rows(
        system_user_id=question.system_user_id, resource=question.resource, action=question.action
    )
    if not rows:
        return None
    row = dict(zip(_DECISION_FIELDS, rows[0]))
    row["pk"], row["owner_id"] = as_uuid(row["pk"]), as_uuid(row["owner_id"])
    return row


def _facilitator_grants_queryset(
    system_user_id: uuid.UUID, resource: str, action: str, client_id: uuid.UUID, facilitator_id: uuid.UUID
) -> QuerySet:
    """(package, entity_variants) for each needed package the facilitator holds for the client, with access.

    The PDP's compiled form of `registry.access.packages_of_org_for`, narrowed to the packages that
    matter for this decision: ER-role rules with has-access (their entity variants are checked in
    Python, as there) and package delegations from the client. A test pins the two together.
    """
    needed = SystemUserPackage.objects.filter(
        system_user_id=system_user_id, package_id__in=_policy(resource, action)
    ).values("package_id")
    roles = RoleAssignment.objects.filter(of_id=client_id, holder_org_id=facilitator_id).values("role_id")
    by_role = RolePackage.objects.filter(role_id__in=roles, package_id__in=needed, has_access=True).values_list(
        "package_id", "entity_variants"
    )
    by_delegation = PackageDelegation.objects.filter(
        from_org_id=client_id, to_org_id=facilitator_id, package_id__in=needed
    ).values_list("package_id", Value(None, output_field=JSONField()))
    return by_role.union(by_delegation, all=True)


_facilitator_grants_query = CompiledQuery(
    _facilitator_grants_queryset,
    system_user_id=_SENTINEL_ID,
    **_SENTINELS,
    client_id=uuid.UUID(int=0xC11E),
    facilitator_id=uuid.UUID(int=0xFAC1),
)


def _facilitator_holds(row: dict, question: Question, client_id: uuid.UUID, client_form: str) -> set[str]:
    held = set()
    for code, variants in _facilitator_grants_query.rows(
        system_user_id=row["pk"],
        resource=question.resource,
        action=question.action,
        client_id=client_id,
        facilitator_id=row["owner_id"],
    ):
        if isinstance(variants, str):  # SQLite hands JSON back as text
            variants = json.loads(variants)
        if variants is None or client_form in variants:
            held.add(code)
    return held


def _granting_packages_held(system_user_id: uuid.UUID, question: Question) -> list[str]:
    rows = _granting_packages_query.rows(
        system_user_id=system_user_id, resource=question.resource, action=question.action
    )
    return [code for (code,) in rows]


def decide(question: Question, *, explain: bool = False) -> Decision:
    """The decision for one question, reading the current rows (see the module docstring)."""
    row = _decision_row(question)
    if row is None:
        return _not_applicable("unknown_system_user", "No system user has this id.")
    if row["is_deleted"]:
        return _not_applicable("system_user_deleted", "The system user has been deleted.")
    if row["system__is_deleted"]:
        return _not_applicable("system_deleted", "The system user's system has been deleted from the register.")
    if row["owner__is_deleted"]:
        return _not_applicable("owner_deleted", "The organisation that owns the system user has been deleted.")
    if row["user_type"] == SystemUserType.AGENT:
        return _decide_agent(question, row, explain=explain)
    return _decide_standard(question, row, explain=explain)


def _is_party(question: Question, org_id: uuid.UUID, orgno: str) -> bool:
    if question.party_orgno is not None:
        return question.party_orgno == orgno
    return question.party_uuid == org_id


def _decide_standard(question: Question, row: dict, *, explain: bool) -> Decision:
    if not _is_party(question, row["owner_id"], row["owner__orgno"]):
        return _not_applicable(
            "wrong_party",
            "A standard system user acts only for the organisation that owns it, and that is not this party.",
            **({"systemUserOrg": row["owner__orgno"]} if explain else {}),
        )
    if row["granting_package"] is not None:
        code = row["granting_package"]
        return Decision(
            PERMIT,
            "package",
            f"The system user holds the access package {code}, which the policy of {question.resource} "
            f"grants for the action {question.action}.",
            package=code,
        )
    if row["right_action"] is not None:
        scope = f"the action {row['right_action']}" if row["right_action"] else "every action"
        return Decision(
            PERMIT,
            "right",
            f"The system user holds a single right on {question.resource} for {scope}.",
            right=(question.resource, row["right_action"]),
        )
    return _not_applicable(
        "no_grant",
        f"Neither a package nor a single right of the system user grants {question.action} on {question.resource}.",
        **(_standard_facts(row["pk"], question) if explain else {}),
    )


def _decide_agent(question: Question, row: dict, *, explain: bool) -> Decision:
    if question.party_orgno is not None:
        clients = _client_by_orgno_query.rows(system_user_id=row["pk"], orgno=question.party_orgno)
    else:
        clients = _client_by_uuid_query.rows(system_user_id=row["pk"], client_id=question.party_uuid)
    if not clients:
        return _not_applicable(
            "not_a_client",
            "An agent system user acts only for clients delegated to it, and this party is not one of them.",
        )
    client_id, client_orgno, client_form, client_deleted = clients[0]
    # Handles for registry.access, which needs only the primary keys and the client's form.
    client = Organisation(id=as_uuid(client_id), orgno=client_orgno, form=client_form)
    facilitator = Organisation(id=row["owner_id"], orgno=row["owner__orgno"])
    if client_deleted:
        return _not_applicable("client_deleted", "The client organisation has been deleted.", client=client.orgno)
    needed = _granting_packages_held(row["pk"], question)
    if not needed:
        return _not_applicable(
            "no_grant",
            f"None of the system user's required packages is granted {question.action} on {question.resource} "
            "by the resource's policy.",
            client=client.orgno,
            **(_agent_facts(row["pk"], question) if explain else {}),
        )
    held = _facilitator_holds(row, question, client.pk, client.form)
    if client.pk == facilitator.pk:
        # The firm as a client of its own agent system user: it also holds its own packages (registry.access).
        held |= access.own_packages(client, set(needed))
    for code in needed:
        if code in held:
            return Decision(
                PERMIT,
                "client_package",
                f"The facilitator {facilitator.orgno} holds the access package {code} for the client "
                f"{client.orgno}, the system user requires it, and the policy of {question.resource} grants it "
                f"for the action {question.action}.",
                package=code,
                client=client.orgno,
            )
    return _not_applicable(
        "facilitator_lacks_package",
        f"The facilitator {facilitator.orgno} no longer holds any of the needed packages for the client "
        f"{client.orgno}.",
        client=client.orgno,
        neededPackages=_urns(needed),
        **({"facilitatorPackages": _urns(sorted(access.packages_of_org_for(facilitator, client)))} if explain else {}),
    )


def _policy_packages(question: Question) -> list[str]:
    return list(
        PolicyRule.objects.filter(resource_id=question.resource, action=question.action)
        .order_by("package_id")
        .values_list("package_id", flat=True)
    )


def _urns(codes) -> list[str]:
    return [AccessPackage.URN_PREFIX + code for code in codes]


def _standard_facts(system_user_id: uuid.UUID, question: Question) -> dict:
    """What a support person needs to see why nothing permitted (explain only; not the hot path)."""
    rights = SystemUserRight.objects.filter(system_user_id=system_user_id).order_by("resource_id", "action")
    packages = SystemUserPackage.objects.filter(system_user_id=system_user_id).order_by("package_id")
    return {
        "policyPackages": _urns(_policy_packages(question)),
        "systemUserPackages": _urns(packages.values_list("package_id", flat=True)),
        "systemUserRights": [
            {"resource": resource, "action": action or None}
            for resource, action in rights.values_list("resource_id", "action")
        ],
    }


def _agent_facts(system_user_id: uuid.UUID, question: Question) -> dict:
    packages = SystemUserPackage.objects.filter(system_user_id=system_user_id).order_by("package_id")
    return {
        "policyPackages": _urns(_policy_packages(question)),
        "requiredPackages": _urns(packages.values_list("package_id", flat=True)),
    }


def decide_all(questions: list[Question], *, explain: bool = False) -> list[Decision]:
    return [decide(question, explain=explain) for question in questions]
