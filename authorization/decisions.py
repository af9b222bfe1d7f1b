"""The decision service: may a system user do an action on a resource for a party? (CONTRACT §3)

Plain functions on the live rows — nothing is cached, so a revoked package or right, or a deleted
system user, stops permitting on the very next call (DESIGN invariant 5). Each decision costs a
bounded number of indexed queries: a standard system user at most 3, an agent system user at most 5.

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

import uuid
from dataclasses import dataclass, field

from registry import access
from registry.models import (
    AccessPackage,
    ClientDelegation,
    PolicyRule,
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


def decide(question: Question, *, explain: bool = False) -> Decision:
    """The decision for one question, reading the current rows (see the module docstring)."""
    system_user = SystemUser.objects.select_related("owner", "system").filter(pk=question.system_user_id).first()
    if system_user is None:
        return _not_applicable("unknown_system_user", "No system user has this id.")
    if system_user.is_deleted:
        return _not_applicable("system_user_deleted", "The system user has been deleted.")
    if system_user.system.is_deleted:
        return _not_applicable("system_deleted", "The system user's system has been deleted from the register.")
    if system_user.owner.is_deleted:
        return _not_applicable("owner_deleted", "The organisation that owns the system user has been deleted.")
    if system_user.user_type == SystemUserType.AGENT:
        return _decide_agent(question, system_user, explain=explain)
    return _decide_standard(question, system_user, explain=explain)


def _is_party(question: Question, org_id: uuid.UUID, orgno: str) -> bool:
    if question.party_orgno is not None:
        return question.party_orgno == orgno
    return question.party_uuid == org_id


def _granting_packages_held(system_user_id: uuid.UUID, question: Question) -> list[str]:
    """The system user's packages that the resource's policy grants for the action (one join)."""
    return list(
        SystemUserPackage.objects.filter(
            system_user_id=system_user_id,
            package__policy_rules__resource_id=question.resource,
            package__policy_rules__action=question.action,
        )
        .order_by("package_id")
        .values_list("package_id", flat=True)
    )


def _decide_standard(question: Question, system_user: SystemUser, *, explain: bool) -> Decision:
    owner = system_user.owner
    if not _is_party(question, owner.pk, owner.orgno):
        return _not_applicable(
            "wrong_party",
            "A standard system user acts only for the organisation that owns it, and that is not this party.",
            **({"systemUserOrg": owner.orgno} if explain else {}),
        )
    held = _granting_packages_held(system_user.pk, question)
    if held:
        return Decision(
            PERMIT,
            "package",
            f"The system user holds the access package {held[0]}, which the policy of {question.resource} "
            f"grants for the action {question.action}.",
            package=held[0],
        )
    right = (
        SystemUserRight.objects.filter(
            system_user_id=system_user.pk, resource_id=question.resource, action__in=[question.action, ""]
        )
        .order_by("-action")
        .values_list("resource_id", "action")
        .first()
    )
    if right is not None:
        scope = f"the action {right[1]}" if right[1] else "every action"
        return Decision(
            PERMIT,
            "right",
            f"The system user holds a single right on {right[0]} for {scope}.",
            right=right,
        )
    return _not_applicable(
        "no_grant",
        f"Neither a package nor a single right of the system user grants {question.action} on {question.resource}.",
        **(_standard_facts(system_user.pk, question) if explain else {}),
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


def _decide_agent(question: Question, system_user: SystemUser, *, explain: bool) -> Decision:
    delegations = ClientDelegation.objects.select_related("client").filter(system_user_id=system_user.pk)
    if question.party_orgno is not None:
        delegation = delegations.filter(client__orgno=question.party_orgno).first()
    else:
        delegation = delegations.filter(client_id=question.party_uuid).first()
    if delegation is None:
        return _not_applicable(
            "not_a_client",
            "An agent system user acts only for clients delegated to it, and this party is not one of them.",
        )
    client = delegation.client
    if client.is_deleted:
        return _not_applicable("client_deleted", "The client organisation has been deleted.", client=client.orgno)
    needed = _granting_packages_held(system_user.pk, question)
    if not needed:
        return _not_applicable(
            "no_grant",
            f"None of the system user's required packages is granted {question.action} on {question.resource} "
            "by the resource's policy.",
            client=client.orgno,
            **(_agent_facts(system_user.pk, question) if explain else {}),
        )
    held = access.packages_of_org_for(system_user.owner, client)
    for code in needed:
        grant = held.get(code)
        if grant is not None and grant.has_access:
            return Decision(
                PERMIT,
                "client_package",
                f"The facilitator {system_user.owner.orgno} holds the access package {code} for the client "
                f"{client.orgno}, the system user requires it, and the policy of {question.resource} grants it "
                f"for the action {question.action}.",
                package=code,
                client=client.orgno,
            )
    return _not_applicable(
        "facilitator_lacks_package",
        f"The facilitator {system_user.owner.orgno} no longer holds any of the needed packages for the client "
        f"{client.orgno}.",
        client=client.orgno,
        neededPackages=_urns(needed),
        **({"facilitatorPackages": _urns(sorted(held))} if explain else {}),
    )


def _agent_facts(system_user_id: uuid.UUID, question: Question) -> dict:
    packages = SystemUserPackage.objects.filter(system_user_id=system_user_id).order_by("package_id")
    return {
        "policyPackages": _urns(_policy_packages(question)),
        "requiredPackages": _urns(packages.values_list("package_id", flat=True)),
    }


def decide_all(questions: list[Question], *, explain: bool = False) -> list[Decision]:
    return [decide(question, explain=explain) for question in questions]
