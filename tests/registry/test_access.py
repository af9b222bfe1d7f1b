from registry import access
from tests import factories as f


def test_general_manager_is_access_manager_who_may_delegate(manager, customer):
    assert access.may_act_for(manager, customer)
    assert access.is_access_manager(manager, customer)
    grants = access.packages_for(manager, customer)
    assert grants["skatt-naering"].has_access and grants["skatt-naering"].can_delegate


def test_employee_with_a_delegated_package_may_act_for_but_not_manage(employee, customer):
    assert access.may_act_for(employee, customer)
    assert not access.is_access_manager(employee, customer)
    grant = access.packages_for(employee, customer)["lonn"]
    assert grant.has_access and not grant.can_delegate


def test_outsider_may_not_act_for_the_company(outsider, customer):
    assert not access.may_act_for(outsider, customer)
    assert not access.is_access_manager(outsider, customer)
    assert list(access.orgs_for_person(outsider)) == []


def test_accountant_role_gives_client_packages_that_it_may_not_delegate(accounting_firm, customer):
    f.give_role(accounting_firm, "REGN", customer)
    grants = access.packages_of_org_for(accounting_firm, customer)
    grant = grants["regnskapsforer-med-signeringsrettighet"]
    assert grant.has_access and not grant.can_delegate
    assert "skatt-naering" not in grants


def test_rules_limited_to_some_organisation_forms_apply_only_there(db):
    brl = f.make_org("Borettslaget", form="BRL")
    aksjeselskap = f.make_org("Aksjeselskapet", form="AS")
    manager_firm = f.make_org("Forvalteren AS")
    f.give_role(manager_firm, "FFØR", brl)
    f.give_role(manager_firm, "FFØR", aksjeselskap)
    assert "forretningsforer-eiendom" in access.packages_of_org_for(manager_firm, brl)
    assert "forretningsforer-eiendom" not in access.packages_of_org_for(manager_firm, aksjeselskap)


def test_client_administrator_package_makes_a_client_admin(client_admin, accounting_firm):
    assert access.is_client_admin(client_admin, accounting_firm)
    assert not access.is_access_manager(client_admin, accounting_firm)


def test_a_main_administrator_may_pass_client_admin_on_but_is_not_client_admin(accounting_firm):
    admin = f.make_person("Hanne Hovedadmin")
    f.give_role(admin, "hovedadministrator", accounting_firm)
    assert access.is_access_manager(admin, accounting_firm)
    assert access.packages_for(admin, accounting_firm)["klientadministrator"].can_delegate
    assert not access.is_client_admin(admin, accounting_firm)
    f.delegate_package("klientadministrator", from_org=accounting_firm, to=admin)
    assert access.is_client_admin(admin, accounting_firm)


def test_the_general_manager_is_client_admin_through_the_role(accounting_firm):
    boss = f.make_person("Regine Regnskap")
    f.give_role(boss, "DAGL", accounting_firm)
    assert access.is_client_admin(boss, accounting_firm)


def test_delegation_check_passes_for_the_general_manager(manager, customer):
    failures = access.delegation_check(
        manager, customer, packages=["skatt-naering"], rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}]
    )
    assert failures == []


def test_delegation_check_names_each_item_the_employee_may_not_delegate(employee, customer):
    failures = access.delegation_check(
        employee,
        customer,
        packages=["lonn", "skatt-naering"],
        rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}],
    )
    assert {(x.kind, x.item, x.reason) for x in failures} == {
        ("package", "lonn", "not_delegable"),
        ("package", "skatt-naering", "not_held"),
        ("right", "ske-krav-og-betalinger:read", "not_held"),
    }


def test_a_right_without_action_needs_every_action_of_the_policy(employee, customer):
    f.delegate_package("krav-og-utlegg", from_org=customer, to=employee)
    failures = access.delegation_check(
        employee, customer, packages=[], rights=[{"resource": "ske-krav-og-betalinger", "action": ""}]
    )
    assert [x.reason for x in failures] == ["not_delegable"]


# Subunits (underenheter): as in Altinn, a role or package for the main unit counts for its subunits.


def test_a_role_for_the_main_unit_gives_the_same_for_its_subunits(manager, employee, customer):
    torget = f.make_org("Avd. Torget", parent=customer)
    assert access.may_act_for(manager, torget)
    assert access.is_access_manager(manager, torget)
    assert access.packages_for(manager, torget)["skatt-naering"].can_delegate
    assert access.delegation_check(manager, torget, packages=["skatt-naering"], rights=[]) == []
    assert access.packages_for(employee, torget)["lonn"].has_access  # a delegated package too
    assert torget in access.orgs_for_person(manager)
    assert list(access.access_managers_of(torget)) == [manager]


def test_a_role_for_a_subunit_gives_nothing_for_its_main_unit_or_sibling(db):
    main = f.make_org("Hoved AS")
    torget, kaia = f.make_org("Avd. Torget", parent=main), f.make_org("Avd. Kaia", parent=main)
    person = f.make_person()
    f.give_role(person, "DAGL", torget)
    assert access.may_act_for(person, torget)
    assert not access.may_act_for(person, main)
    assert not access.may_act_for(person, kaia)
    assert access.packages_for(person, kaia) == {}
    assert list(access.orgs_for_person(person)) == [torget]


def test_a_deleted_main_unit_gives_nothing_for_its_subunits(manager, customer):
    torget = f.make_org("Avd. Torget", parent=customer)
    customer.is_deleted = True
    customer.save(update_fields=["is_deleted"])
    assert not access.may_act_for(manager, torget)
    assert access.packages_for(manager, torget) == {}
    assert list(access.orgs_for_person(manager)) == []
    assert list(access.access_managers_of(torget)) == []


def test_the_main_units_roles_reach_one_level_down_only(manager, customer):
    torget = f.make_org("Avd. Torget", parent=customer)
    below = f.make_org("Under Torget", parent=torget)
    assert not access.may_act_for(manager, below)
    assert below not in access.orgs_for_person(manager)


def test_an_organisations_client_roles_are_not_inherited_by_subunits(accounting_firm, customer):
    f.give_role(accounting_firm, "REGN", customer)
    torget = f.make_org("Avd. Torget", parent=customer)
    assert access.packages_of_org_for(accounting_firm, torget) == {}


def test_acting_bases_name_the_role_the_package_and_the_main_units(manager, customer):
    other = f.make_org("Annen AS")
    f.delegate_package("lonn", from_org=other, to=manager)
    torget = f.make_org("Avd. Torget", parent=customer)
    bases = access.acting_bases(manager, [customer, other, torget])
    assert [(b.role.legacy_code, b.via_main_unit) for b in bases[customer.pk]] == [("DAGL", False)]
    assert [(b.package.code, b.via_main_unit) for b in bases[other.pk]] == [("lonn", False)]
    assert [(b.role.legacy_code, b.via_main_unit) for b in bases[torget.pk]] == [("DAGL", True)]
