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
