"""The decision service on rows: every path that permits, and every reason nothing does."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from authorization.decisions import decide
from authorization.xacml import Question
from housekeeping import retention
from registry.models import RegisteredSystem, RoleAssignment, SystemUser, SystemUserPackage, SystemUserRight
from registry.services.lifecycle import delete_system_user
from tests import factories as f
from tests.authorization.conftest import make_system_user

KRAV = "ske-krav-og-betalinger"
A_MELDING = "ske-innrapportering-a-melding"


def ask(system_user, action, resource, party):
    return decide(Question(system_user.pk, action, resource, party_orgno=party.orgno), explain=True)


def test_a_package_the_policy_grants_permits(standard_user, customer):
    decision = ask(standard_user, "read", KRAV, customer)
    assert decision.decision == "Permit"
    assert decision.reason == "package"
    assert decision.package == "skatt-naering"


def test_the_party_may_be_given_by_party_uuid(standard_user, customer):
    decision = decide(Question(standard_user.pk, "read", KRAV, party_uuid=customer.pk))
    assert decision.decision == "Permit"


def test_a_single_right_permits_its_action(standard_user, customer):
    decision = ask(standard_user, "write", A_MELDING, customer)
    assert decision.decision == "Permit"
    assert decision.reason == "right"
    assert decision.right == (A_MELDING, "write")


def test_a_single_right_without_action_permits_every_action(customer, system):
    system_user = make_system_user(customer, system, rights=[(A_MELDING, "")])
    assert ask(system_user, "read", A_MELDING, customer).decision == "Permit"
    assert ask(system_user, "sign", A_MELDING, customer).decision == "Permit"


def test_an_action_the_policy_does_not_grant_is_not_applicable(standard_user, customer):
    decision = ask(standard_user, "write", KRAV, customer)
    assert decision.decision == "NotApplicable"
    assert decision.reason == "no_grant"


def test_a_single_right_does_not_reach_other_actions(standard_user, customer):
    assert ask(standard_user, "read", A_MELDING, customer).decision == "NotApplicable"


def test_another_party_is_not_applicable(standard_user):
    other = f.make_org("Naboen AS")
    decision = ask(standard_user, "read", KRAV, other)
    assert decision.decision == "NotApplicable"
    assert decision.reason == "wrong_party"


def test_an_unknown_party_uuid_is_not_applicable(standard_user):
    decision = decide(Question(standard_user.pk, "read", KRAV, party_uuid=uuid.uuid4()))
    assert decision.reason == "wrong_party"


def test_an_unknown_resource_is_not_applicable(standard_user, customer):
    assert ask(standard_user, "read", "finnes-ikke", customer).decision == "NotApplicable"


def test_a_revoked_package_stops_permitting_at_once(standard_user, customer):
    assert ask(standard_user, "read", KRAV, customer).decision == "Permit"
    SystemUserPackage.objects.filter(system_user=standard_user, package_id="skatt-naering").delete()
    assert ask(standard_user, "read", KRAV, customer).decision == "NotApplicable"


def test_a_revoked_right_stops_permitting_at_once(standard_user, customer):
    assert ask(standard_user, "write", A_MELDING, customer).decision == "Permit"
    SystemUserRight.objects.filter(system_user=standard_user).delete()
    assert ask(standard_user, "write", A_MELDING, customer).decision == "NotApplicable"


def test_a_deleted_system_user_is_not_applicable(standard_user, customer, manager):
    delete_system_user(system_user_id=standard_user.pk, by=manager)
    decision = ask(standard_user, "read", KRAV, customer)
    assert decision.decision == "NotApplicable"
    assert decision.reason == "system_user_deleted"


def test_a_purged_system_user_is_not_applicable(standard_user, customer, manager, settings):
    # Soft-deleted long enough ago that data retention removed the row and its grants (housekeeping/retention.py).
    delete_system_user(system_user_id=standard_user.pk, by=manager)
    days = settings.RETENTION_DELETED_SYSTEM_USER_DAYS + 1
    SystemUser.objects.filter(pk=standard_user.pk).update(deleted_at=timezone.now() - timedelta(days=days))
    assert retention.delete_deleted_system_users().count == 1
    decision = ask(standard_user, "read", KRAV, customer)
    assert decision.decision == "NotApplicable"
    assert decision.reason == "unknown_system_user"


def test_an_unknown_system_user_is_not_applicable(customer):
    decision = decide(Question(uuid.uuid4(), "read", KRAV, party_orgno=customer.orgno))
    assert decision.decision == "NotApplicable"
    assert decision.reason == "unknown_system_user"


def test_a_system_user_of_a_deleted_system_is_not_applicable(standard_user, customer, system):
    RegisteredSystem.objects.filter(pk=system.pk).update(is_deleted=True)
    assert ask(standard_user, "read", KRAV, customer).reason == "system_deleted"


def test_an_agent_permits_for_a_client_when_the_facilitator_holds_the_package(agent_user, customer):
    decision = ask(agent_user, "write", KRAV, customer)
    assert decision.decision == "Permit"
    assert decision.reason == "client_package"
    assert decision.package == "regnskapsforer-med-signeringsrettighet"
    assert decision.client == customer.orgno


def test_an_agent_permits_for_a_client_given_by_party_uuid(agent_user, customer):
    assert decide(Question(agent_user.pk, "read", KRAV, party_uuid=customer.pk)).decision == "Permit"


def test_an_agent_does_not_act_for_its_own_organisation(agent_user, accounting_firm):
    assert ask(agent_user, "read", KRAV, accounting_firm).reason == "not_a_client"


def test_an_agent_does_not_act_for_an_organisation_that_is_not_its_client(agent_user):
    other = f.make_org("Ikke-klient AS")
    f.give_role(agent_user.owner, "REGN", other)
    assert ask(agent_user, "read", KRAV, other).reason == "not_a_client"


def test_an_agent_stops_permitting_when_the_facilitator_loses_the_role(agent_user, customer):
    RoleAssignment.objects.filter(of=customer, holder_org=agent_user.owner).delete()
    decision = ask(agent_user, "read", KRAV, customer)
    assert decision.decision == "NotApplicable"
    assert decision.reason == "facilitator_lacks_package"


def test_an_agent_needs_the_package_among_its_required_packages(agent_user, customer):
    # The facilitator holds regnskapsforer-lonn for the client through REGN, but the system user
    # does not require it, so A-melding (granted by regnskapsforer-lonn) is not reachable.
    decision = ask(agent_user, "write", A_MELDING, customer)
    assert decision.decision == "NotApplicable"
    assert decision.reason == "no_grant"


def test_a_deleted_agent_system_user_is_not_applicable(agent_user, customer):
    SystemUser.objects.filter(pk=agent_user.pk).update(is_deleted=True, deleted_at=timezone.now())
    assert ask(agent_user, "read", KRAV, customer).reason == "system_user_deleted"


def test_a_package_permit_is_explained_by_package_and_rule(standard_user, customer):
    explanation = ask(standard_user, "read", KRAV, customer).explanation()
    assert explanation["reason"] == "package"
    assert explanation["accessPackage"] == "urn:altinn:accesspackage:skatt-naering"
    assert "skatt-naering" in explanation["detail"] and KRAV in explanation["detail"]


def test_a_denial_is_explained_by_what_the_system_user_holds(standard_user, customer):
    explanation = ask(standard_user, "write", KRAV, customer).explanation()
    assert explanation["reason"] == "no_grant"
    assert "urn:altinn:accesspackage:krav-og-utlegg" in explanation["policyPackages"]
    assert explanation["systemUserPackages"] == ["urn:altinn:accesspackage:skatt-naering"]
    assert explanation["systemUserRights"] == [{"resource": A_MELDING, "action": "write"}]


def test_a_standard_decision_costs_one_query(standard_user, customer, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        decision = decide(Question(standard_user.pk, "write", A_MELDING, party_orgno=customer.orgno))
    assert decision.decision == "Permit"  # the one query found the grant, not merely a refusal


def test_an_agent_decision_costs_at_most_four_queries(agent_user, customer, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        decision = decide(Question(agent_user.pk, "read", KRAV, party_orgno=customer.orgno))
    assert decision.decision == "Permit"


@pytest.mark.parametrize("role", ["REGN", "REVI", "DAGL", "LEDE", None])
def test_the_facilitator_check_agrees_with_registry_access(agent_user, customer, role):
    """The PDP's compiled facilitator check gives what registry.access says, for every policy line."""
    from authorization.decisions import _decision_row, _facilitator_holds
    from registry import access
    from registry.models import PolicyRule

    RoleAssignment.objects.filter(of=customer, holder_org=agent_user.owner).delete()
    if role:
        f.give_role(agent_user.owner, role, customer)
    f.delegate_package("lonn", from_org=customer, to=agent_user.owner)
    codes = set(PolicyRule.objects.values_list("package_id", flat=True))
    SystemUserPackage.objects.bulk_create(
        [SystemUserPackage(system_user=agent_user, package_id=c) for c in codes], ignore_conflicts=True
    )
    grants = access.packages_of_org_for(agent_user.owner, customer)
    with_access = {code for code, grant in grants.items() if grant.has_access}
    for resource, action in set(PolicyRule.objects.values_list("resource_id", "action")):
        question = Question(agent_user.pk, action, resource, party_orgno=customer.orgno)
        policy = set(PolicyRule.objects.filter(resource_id=resource, action=action).values_list("package", flat=True))
        held = _facilitator_holds(_decision_row(question), question, customer.pk, customer.form)
        assert held == policy & with_access, (resource, action)


# --- what a support person reads with ?explain=true (docs/pdp.md "Explanations"), reason by reason ---

SIGNING = "regnskapsforer-med-signeringsrettighet"


def explained(system_user_id, action, resource, party) -> dict:
    question = Question(system_user_id, action, resource, party_orgno=party.orgno)
    return decide(question, explain=True).explanation()


def make_agent_user(facilitator, client, packages, vendor):
    """An agent system user of `facilitator` requiring `packages`, with `client` delegated to it."""
    from registry.models import ClientDelegation, SystemUserType

    system = f.make_system(vendor, "klientsystem", packages=packages)
    system_user = make_system_user(facilitator, system, packages=packages, user_type=SystemUserType.AGENT)
    ClientDelegation.objects.create(system_user=system_user, client=client, role_code="REGN", packages=packages)
    return system_user


def test_a_right_permit_names_the_right_and_its_action(standard_user, customer):
    assert explained(standard_user.pk, "write", A_MELDING, customer) == {
        "reason": "right",
        "detail": f"The system user holds a single right on {A_MELDING} for the action write.",
        "right": {"resource": A_MELDING, "action": "write"},
    }


def test_a_right_for_every_action_is_explained_as_such(customer, system):
    system_user = make_system_user(customer, system, rights=[(A_MELDING, "")])
    assert explained(system_user.pk, "sign", A_MELDING, customer) == {
        "reason": "right",
        "detail": f"The system user holds a single right on {A_MELDING} for every action.",
        "right": {"resource": A_MELDING, "action": None},
    }


def test_another_party_is_explained_with_the_system_users_own_organisation(standard_user, customer):
    assert explained(standard_user.pk, "read", KRAV, f.make_org("Naboen AS")) == {
        "reason": "wrong_party",
        "detail": "A standard system user acts only for the organisation that owns it, and that is not this party.",
        "systemUserOrg": customer.orgno,
    }


def test_a_standard_refusal_lists_the_policy_and_the_rights_in_order(customer, system):
    # Rights made out of order: the explanation lists them by resource, then action.
    mva = "ske-mva-melding"
    system_user = make_system_user(
        customer, system, packages=["lonn"], rights=[(mva, "read"), (A_MELDING, "write"), (A_MELDING, "read")]
    )
    assert explained(system_user.pk, "write", KRAV, customer) == {
        "reason": "no_grant",
        "detail": f"Neither a package nor a single right of the system user grants write on {KRAV}.",
        # only this resource's packages for this action (skatt-naering grants KRAV read only)
        "policyPackages": [
            "urn:altinn:accesspackage:krav-og-utlegg",
            "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet",
        ],
        "systemUserPackages": ["urn:altinn:accesspackage:lonn"],
        "systemUserRights": [
            {"resource": A_MELDING, "action": "read"},
            {"resource": A_MELDING, "action": "write"},
            {"resource": mva, "action": "read"},
        ],
    }


@pytest.mark.parametrize(
    ("change", "reason", "detail"),
    [
        ("system_user", "system_user_deleted", "The system user has been deleted."),
        ("system", "system_deleted", "The system user's system has been deleted from the register."),
        ("owner", "owner_deleted", "The organisation that owns the system user has been deleted."),
        ("unknown", "unknown_system_user", "No system user has this id."),
    ],
)
def test_a_gone_system_user_system_or_owner_is_explained(standard_user, customer, system, change, reason, detail):
    from registry.models import Organisation

    system_user_id = standard_user.pk
    if change == "system_user":
        SystemUser.objects.filter(pk=standard_user.pk).update(is_deleted=True, deleted_at=timezone.now())
    elif change == "system":
        RegisteredSystem.objects.filter(pk=system.pk).update(is_deleted=True)
    elif change == "owner":
        Organisation.objects.filter(pk=customer.pk).update(is_deleted=True)
    else:
        system_user_id = uuid.uuid4()
    decision = decide(Question(system_user_id, "read", KRAV, party_orgno=customer.orgno), explain=True)
    assert decision.decision == "NotApplicable"
    assert decision.explanation() == {"reason": reason, "detail": detail}


def test_an_agent_permit_names_the_facilitator_the_package_and_the_client(agent_user, accounting_firm, customer):
    assert explained(agent_user.pk, "write", KRAV, customer) == {
        "reason": "client_package",
        "detail": f"The facilitator {accounting_firm.orgno} holds the access package {SIGNING} for the client "
        f"{customer.orgno}, the system user requires it, and the policy of {KRAV} grants it for the action write.",
        "accessPackage": f"urn:altinn:accesspackage:{SIGNING}",
        "client": customer.orgno,
    }


def test_an_agent_asked_about_another_party_says_it_is_not_a_client(agent_user, accounting_firm):
    assert explained(agent_user.pk, "read", KRAV, f.make_org("Ikke-klient AS")) == {
        "reason": "not_a_client",
        "detail": "An agent system user acts only for clients delegated to it, and this party is not one of them.",
    }


def test_a_deleted_client_is_explained_with_the_client(agent_user, customer):
    from registry.models import Organisation

    Organisation.objects.filter(pk=customer.pk).update(is_deleted=True)
    decision = decide(Question(agent_user.pk, "read", KRAV, party_orgno=customer.orgno), explain=True)
    assert decision.decision == "NotApplicable"
    assert decision.explanation() == {
        "reason": "client_deleted",
        "detail": "The client organisation has been deleted.",
        "client": customer.orgno,
    }


def test_an_agent_refusal_lists_the_policy_and_the_required_packages(agent_user, customer):
    assert explained(agent_user.pk, "write", A_MELDING, customer) == {
        "reason": "no_grant",
        "detail": f"None of the system user's required packages is granted write on {A_MELDING} by the "
        "resource's policy.",
        "client": customer.orgno,
        "policyPackages": ["urn:altinn:accesspackage:a-ordning", "urn:altinn:accesspackage:regnskapsforer-lonn"],
        "requiredPackages": [f"urn:altinn:accesspackage:{SIGNING}"],
    }


def test_a_facilitator_without_the_package_is_explained_with_what_it_holds(agent_user, accounting_firm, customer):
    RoleAssignment.objects.filter(of=customer, holder_org=accounting_firm).delete()
    f.give_role(accounting_firm, "REVI", customer)  # the firm is now the auditor, not the accountant
    assert explained(agent_user.pk, "read", KRAV, customer) == {
        "reason": "facilitator_lacks_package",
        "detail": f"The facilitator {accounting_firm.orgno} no longer holds any of the needed packages for the "
        f"client {customer.orgno}.",
        "client": customer.orgno,
        "neededPackages": [f"urn:altinn:accesspackage:{SIGNING}"],
        "facilitatorPackages": [
            "urn:altinn:accesspackage:ansvarlig-revisor",
            "urn:altinn:accesspackage:revisormedarbeider",
        ],
    }


# --- refusals stay as cheap as permits when nobody asks for an explanation ---


def test_a_standard_refusal_costs_one_query(standard_user, customer, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        decision = decide(Question(standard_user.pk, "write", KRAV, party_orgno=customer.orgno))
    assert decision.reason == "no_grant"


@pytest.mark.parametrize(("resource", "reason"), [(A_MELDING, "no_grant"), (KRAV, "facilitator_lacks_package")])
def test_an_agent_refusal_costs_at_most_four_queries(
    agent_user, accounting_firm, customer, django_assert_max_num_queries, resource, reason
):
    RoleAssignment.objects.filter(of=customer, holder_org=accounting_firm).delete()
    with django_assert_max_num_queries(4):
        decision = decide(Question(agent_user.pk, "write", resource, party_orgno=customer.orgno))
    assert decision.reason == reason


# --- the facilitator holds the package for this client, itself, with access, right now ---


def test_the_facilitators_role_for_another_organisation_does_not_count(agent_user, accounting_firm, customer):
    RoleAssignment.objects.filter(of=customer, holder_org=accounting_firm).delete()
    f.give_role(accounting_firm, "REGN", f.make_org("Annen Kunde AS"))
    assert ask(agent_user, "read", KRAV, customer).reason == "facilitator_lacks_package"


def test_another_organisations_role_for_the_client_does_not_count(agent_user, accounting_firm, customer):
    RoleAssignment.objects.filter(of=customer, holder_org=accounting_firm).delete()
    f.give_role(f.make_org("Annet Byrå AS"), "REGN", customer)
    assert ask(agent_user, "read", KRAV, customer).reason == "facilitator_lacks_package"


def test_a_package_delegated_by_the_client_permits_and_no_other_delegation_does(accounting_firm, customer, vendor):
    RoleAssignment.objects.filter(of=customer, holder_org=accounting_firm).delete()
    agent = make_agent_user(accounting_firm, customer, ["krav-og-utlegg"], vendor)
    f.delegate_package("krav-og-utlegg", from_org=f.make_org("Annen Kunde AS"), to=accounting_firm)
    f.delegate_package("krav-og-utlegg", from_org=customer, to=f.make_org("Annet Byrå AS"))
    assert ask(agent, "write", KRAV, customer).reason == "facilitator_lacks_package"
    f.delegate_package("krav-og-utlegg", from_org=customer, to=accounting_firm)
    assert ask(agent, "write", KRAV, customer).reason == "client_package"


def test_a_role_that_may_only_delegate_the_package_does_not_permit(accounting_firm, customer, vendor):
    """The main administrator's rules give krav-og-utlegg without access: it may delegate it, not use it."""
    agent = make_agent_user(accounting_firm, customer, ["krav-og-utlegg"], vendor)
    f.give_role(accounting_firm, "hovedadministrator", customer)
    assert ask(agent, "write", KRAV, customer).reason == "facilitator_lacks_package"


@pytest.mark.parametrize(("form", "decision"), [("NUF", "Permit"), ("AS", "NotApplicable")])
def test_a_role_rule_for_some_organisation_forms_permits_only_for_clients_of_that_form(
    accounting_firm, vendor, form, decision
):
    """FFØR (forretningsfører) gives krav-og-utlegg only for a NUF (registry/data/role-packages.json)."""
    client = f.make_org("Utenlandsk Filial", form=form)
    f.give_role(accounting_firm, "FFØR", client)
    agent = make_agent_user(accounting_firm, client, ["krav-og-utlegg"], vendor)
    assert ask(agent, "write", KRAV, client).decision == decision


def test_another_system_users_package_or_right_does_not_permit(customer, vendor, standard_user):
    """standard_user holds skatt-naering and a right to write A-melding; a second system user of the same
    organisation holds neither, and is refused both."""
    bare = make_system_user(customer, f.make_system(vendor, "annet"))
    assert ask(bare, "read", KRAV, customer).reason == "no_grant"
    assert ask(bare, "write", A_MELDING, customer).reason == "no_grant"


def test_a_system_user_with_two_granting_packages_and_two_rights_is_permitted(customer, system):
    """Several grants for one question permit by the first package (by code), then the exact right before
    the right for every action (on PostgreSQL more than one row in the one-query lookup would be an error)."""
    both = make_system_user(
        customer, f.make_system(system.vendor, "pakker"), packages=["skatt-naering", "krav-og-utlegg"]
    )
    decision = ask(both, "read", KRAV, customer)
    assert (decision.reason, decision.package) == ("package", "krav-og-utlegg")
    rights = make_system_user(
        customer, f.make_system(system.vendor, "rettigheter"), rights=[(A_MELDING, ""), (A_MELDING, "write")]
    )
    decision = ask(rights, "write", A_MELDING, customer)
    assert (decision.reason, decision.right) == ("right", (A_MELDING, "write"))
