"""A firm's list of clients (registry.listings) stays what the rule says as the registers change: every
writer — the services and staff admin through the model signals, the register importer's bulk inserts,
the role rules after migrate, the command for changes made by hand — and the add-clients page shows it."""

from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command

from lib.identifiers import make_orgno
from registry import access, listings
from registry.models import ClientListing, Organisation, PackageDelegation, Role, RoleAssignment, SystemUser
from registry.services import clients
from tests import factories as f
from tests.factories import SIGNING
from tests.portal.systemusers_helpers import act_for
from tests.portal.test_list_budgets import assessed_one_by_one
from tests.registry import importing

pytestmark = pytest.mark.django_db
run = partial(importing.run, "import_register")


def listed(firm) -> dict[str, str]:
    """name -> held tokens of the firm's list (itself included)."""
    return dict(ClientListing.objects.filter(holder=firm).values_list("name", "held"))


def agrees_with_the_rule(firm) -> None:
    rule = {h.name for h in access.holdings_for_clients(firm).values()}
    assert set(listed(firm)) == rule


def test_a_role_given_and_taken_back_puts_the_client_on_the_list_and_off_it(accounting_firm):
    client = f.make_org("Bakeri AS")
    role = f.give_role(accounting_firm, "REGN", client)
    assert f",{SIGNING}:REGN," in listed(accounting_firm)["Bakeri AS"]
    RoleAssignment.objects.filter(pk=role.pk).delete()
    assert "Bakeri AS" not in listed(accounting_firm)
    agrees_with_the_rule(accounting_firm)


def test_a_delegation_given_and_taken_back_does_the_same(accounting_firm):
    client = f.make_org("Bakeri AS")
    f.delegate_package(SIGNING, from_org=client, to=accounting_firm)
    assert listed(accounting_firm)["Bakeri AS"] == f",{SIGNING},"
    f.give_role(accounting_firm, "REVI", client)
    assert f",{SIGNING}," in listed(accounting_firm)["Bakeri AS"] and ":REVI," in listed(accounting_firm)["Bakeri AS"]
    PackageDelegation.objects.filter(from_org=client).delete()
    assert f",{SIGNING}," not in listed(accounting_firm)["Bakeri AS"]
    agrees_with_the_rule(accounting_firm)


def test_a_renamed_or_deleted_client_is_renamed_or_gone_on_the_list(accounting_firm):
    client = f.make_org("Bakeri AS")
    f.give_role(accounting_firm, "REGN", client)
    client.name = "Aaa Bakeri AS"
    client.save()
    assert "Aaa Bakeri AS" in listed(accounting_firm) and "Bakeri AS" not in listed(accounting_firm)
    client.is_deleted = True
    client.save(update_fields=["is_deleted"])
    assert "Aaa Bakeri AS" not in listed(accounting_firm)


def test_a_client_whose_form_changes_gains_or_loses_what_its_form_decides(accounting_firm):
    """FFØR gives forretningsfører eiendom for housing co-operatives (BRL) only."""
    client = f.make_org("Lysgården", form="AS")
    f.give_role(accounting_firm, "FFØR", client)
    assert "Lysgården" not in listed(accounting_firm)
    client.form = "BRL"
    client.save()
    assert ",forretningsforer-eiendom:FFØR," in listed(accounting_firm)["Lysgården"]


def test_deleting_an_organisation_with_roles_takes_its_rows_along(accounting_firm):
    client = f.make_org("Bakeri AS")
    f.give_role(accounting_firm, "REGN", client)
    client.delete()  # the roles go by CASCADE: the list is not written again for an organisation on its way out
    assert not ClientListing.objects.filter(client_id=client.pk).exists()
    agrees_with_the_rule(accounting_firm)


def test_the_register_importer_writes_the_lists_for_the_roles_and_delegations_it_adds(tmp_path, accounting_firm):
    document = {
        "organisations": [
            {"orgno": "311000004", "name": "Bakeri AS", "form": "AS"},
            {"orgno": "311000020", "name": "Delegert AS", "form": "AS"},
        ],
        "roles": [{"code": "REGN", "holder": accounting_firm.orgno, "of": "311000004"}],
        "delegations": [{"package": "lonn", "from": "311000020", "to": accounting_firm.orgno}],
    }
    run(tmp_path, document)
    assert ",lonn," == listed(accounting_firm)["Delegert AS"]
    assert f",{SIGNING}:REGN," in listed(accounting_firm)["Bakeri AS"]
    agrees_with_the_rule(accounting_firm)
    # A later file renames one (the importer saves it): the list follows.
    run(tmp_path, {"organisations": [{"orgno": "311000004", "name": "Bakeri og Konditori AS", "form": "AS"}]})
    assert "Bakeri og Konditori AS" in listed(accounting_firm)


def test_the_page_shows_a_client_the_importer_added(client, client_admin, agent, accounting_firm, tmp_path):
    document = {
        "organisations": [{"orgno": "311000004", "name": "Importert Bakeri AS", "form": "AS"}],
        "roles": [{"code": "REGN", "holder": accounting_firm.orgno, "of": "311000004"}],
    }
    run(tmp_path, document)
    act_for(client, client_admin, accounting_firm)
    page = client.get(f"/systemuser/{agent.pk}/clients/").content.decode()
    assert "Importert Bakeri AS" in page
    assert [c.name for c in clients.eligible_clients(agent)][1:] == ["Importert Bakeri AS"]  # after the firm


def test_the_command_writes_the_lists_again_after_changes_made_by_hand(accounting_firm):
    f.give_role(accounting_firm, "REGN", f.make_org("Bakeri AS"))
    before = listed(accounting_firm)
    ClientListing.objects.all().delete()  # as if the rows had been changed outside the application
    Organisation.objects.filter(name="Bakeri AS").update(name="Bakeri Nytt Navn AS")
    out = StringIO()
    call_command("refresh_client_listings", stdout=out)
    assert "written again" in out.getvalue()
    assert listed(accounting_firm) == {
        ("Bakeri Nytt Navn AS" if name == "Bakeri AS" else name): held for name, held in before.items()
    }


def test_deleting_a_firm_with_clients_takes_its_list_along(accounting_firm):
    """Its own row would otherwise be written again while it is deleted (its roles go before it does)."""
    f.give_role(accounting_firm, "REGN", f.make_org("Bakeri AS"))
    f.delegate_package("lonn", from_org=f.make_org("Delegert AS"), to=accounting_firm)
    assert set(listed(accounting_firm)) == {accounting_firm.name, "Bakeri AS", "Delegert AS"}
    accounting_firm.delete()
    assert not ClientListing.objects.exists()


def test_a_row_names_each_package_and_the_roles_that_give_it(accounting_firm):
    both = f.make_org("Begge AS")
    f.give_role(accounting_firm, "REGN", both)
    f.give_role(accounting_firm, "REVI", both)
    f.delegate_package("lonn", from_org=both, to=accounting_firm)
    row = ClientListing.objects.get(holder=accounting_firm, client=both)
    (holding,) = access.holdings_for_clients(accounting_firm, among=Organisation.objects.filter(pk=both.pk)).values()
    assert listings.held(row) == {code: set(roles) for code, roles in holding.roles.items()}
    assert listings.held(row)["lonn"] == set() and listings.held(row)[SIGNING] == {"REGN"}


def test_a_change_rewrites_the_pair_that_changed_not_the_firms_whole_list(accounting_firm, vendor, monkeypatch):
    """A firm with 5,000 clients pays for one row when one role changes, not for 5,000."""
    for name in ("En AS", "To AS", "Tre AS", "Fire AS"):
        f.give_role(accounting_firm, "REGN", f.make_org(name))
    other_firm = f.make_org("Annet Byrå AS")
    f.give_role(other_firm, "REGN", f.make_org("Deres AS"))
    f.delegate_package("lonn", from_org=f.make_org("Deres Delegert AS"), to=other_firm)
    seen = assessed_one_by_one(monkeypatch)  # organisations looked at per use of the rule
    client = f.make_org("Ny AS")
    role = f.give_role(accounting_firm, "REGN", client)
    f.delegate_package("lonn", from_org=client, to=accounting_firm)
    client.name = "Ny og Omdøpt AS"
    client.save()  # only the firm that has it, not the other firm
    RoleAssignment.objects.filter(pk=role.pk).delete()
    assert seen == [2, 2, 2, 2]  # each time the client and the firm itself
    seen.clear()
    new = [f.make_org(f"Bulk {i} AS") for i in range(3)]
    regn = Role.objects.get(legacy_code="REGN")
    RoleAssignment.objects.bulk_create([RoleAssignment(role=regn, of=o, holder_org=accounting_firm) for o in new])
    listings.refresh_pairs([(accounting_firm.pk, o.pk) for o in new] + [(None, new[0].pk)])
    assert seen == [4]  # the three at once, and the firm itself (a person's link has no list)
    seen.clear()
    system = f.make_system(vendor, "byraa", rights=[], packages=[SIGNING])
    agent = f.make_agent_system_user(accounting_firm, system, [SIGNING])
    assert seen == [1]  # the firm's own row
    agent.integration_title = "Nytt navn"
    agent.save()
    SystemUser.objects.create(integration_title="Standard", owner=f.make_org("Kunde AS"), system=system)
    assert seen == [1]  # saving it again, or a standard system access, writes nothing
    assert not ClientListing.objects.filter(holder__name="Kunde AS").exists()


def test_a_firm_whose_form_changes_is_its_own_client_for_what_its_form_gives(accounting_firm, vendor):
    """forretningsfører eiendom is for housing co-operatives: an AS never holds it itself, a BRL does."""
    system = f.make_system(vendor, "eiendom", rights=[], packages=["forretningsforer-eiendom"])
    f.make_agent_system_user(accounting_firm, system, ["forretningsforer-eiendom"])
    assert ",forretningsforer-eiendom," not in listed(accounting_firm)[accounting_firm.name]
    accounting_firm.form = "BRL"
    accounting_firm.save()
    assert ",forretningsforer-eiendom:SELF," in listed(accounting_firm)[accounting_firm.name]


def test_a_client_that_only_delegated_is_renamed_on_the_list(accounting_firm):
    client = f.make_org("Delegert AS")
    f.delegate_package("lonn", from_org=client, to=accounting_firm)
    client.name = "Delegert og Omdøpt AS"
    client.save()
    assert "Delegert og Omdøpt AS" in listed(accounting_firm)


def test_deleting_firms_in_bulk_takes_their_lists_along(accounting_firm):
    f.give_role(accounting_firm, "REGN", f.make_org("Bakeri AS"))
    Organisation.objects.filter(pk=accounting_firm.pk).delete()
    assert not ClientListing.objects.exists()


def test_the_first_migrate_with_the_table_writes_the_lists_from_roles(accounting_firm):
    f.give_role(accounting_firm, "REGN", f.make_org("Bakeri AS"))
    written = listed(accounting_firm)
    ClientListing.objects.all().delete()  # links there, no list yet
    listings.after_catalog(listings.rules())
    assert listed(accounting_firm) == written and "Bakeri AS" in written


def test_the_first_migrate_with_the_table_writes_the_lists_from_delegations(accounting_firm):
    f.delegate_package("lonn", from_org=f.make_org("Delegert AS"), to=accounting_firm)
    written = listed(accounting_firm)
    ClientListing.objects.all().delete()
    listings.after_catalog(listings.rules())
    assert listed(accounting_firm) == written and "Delegert AS" in written


def test_after_migrate_the_lists_are_written_again_only_when_the_rules_changed(accounting_firm, vendor):
    from registry.models import RolePackage

    f.give_role(accounting_firm, "REGN", f.make_org("Bakeri AS"))
    other_firm = f.make_org("Bare Delegert Byrå AS")
    f.delegate_package("lonn", from_org=f.make_org("Delegert AS"), to=other_firm)
    lonely = f.make_org("Byrå Uten Klienter AS")  # only its own row: it has an agent system access
    f.make_agent_system_user(lonely, f.make_system(vendor, "byraa", rights=[], packages=[SIGNING]), [SIGNING])
    assert list(listed(lonely)) == [lonely.name]

    # Nothing changed: nothing written again (a row changed by hand stays as it is).
    ClientListing.objects.filter(name="Bakeri AS").update(held=",stale,")
    listings.after_catalog(listings.rules())
    assert listed(accounting_firm)["Bakeri AS"] == ",stale,"

    # The rules changed (only which forms a rule applies to): every list again, a firm's own row too.
    before = listings.rules()
    RolePackage.objects.filter(role__in=Role.objects.exclude(legacy_code="")).update(entity_variants=["ENK"])
    listings.after_catalog(before)
    assert listed(accounting_firm) == {}  # REGN now gives an AS nothing, and an AS holds nothing itself
    assert listed(other_firm) == {"Delegert AS": ",lonn,"}
    assert listed(lonely) == {}


def test_a_deleted_client_that_comes_back_is_listed_again(accounting_firm):
    delegated, regn = f.make_org("Delegert AS"), f.make_org("Regn AS")
    f.delegate_package("lonn", from_org=delegated, to=accounting_firm)
    f.give_role(accounting_firm, "REGN", regn)
    for org in (delegated, regn):
        org.is_deleted = True
        org.save()
    assert "Delegert AS" not in listed(accounting_firm) and "Regn AS" not in listed(accounting_firm)
    for org in (delegated, regn):
        org.is_deleted = False
        org.save()
    assert "Delegert AS" in listed(accounting_firm) and "Regn AS" in listed(accounting_firm)


def test_a_role_or_delegation_edited_in_place_moves_the_client_on_the_lists(accounting_firm):
    """As the staff admin's change form does: the pair it named before is written again too."""
    first, second = f.make_org("Første AS"), f.make_org("Andre AS")
    role = f.give_role(accounting_firm, "REGN", first)
    role.of = second
    role.save()
    assert "Første AS" not in listed(accounting_firm) and "Andre AS" in listed(accounting_firm)
    other_firm = f.make_org("Annet Byrå AS")
    delegation = f.delegate_package("lonn", from_org=f.make_org("Delegert AS"), to=accounting_firm)
    delegation.to_org = other_firm
    delegation.save()
    assert "Delegert AS" not in listed(accounting_firm) and "Delegert AS" in listed(other_firm)


def test_a_new_e_mail_address_from_the_register_writes_no_list_and_a_new_name_does(
    tmp_path, accounting_firm, monkeypatch
):
    """The importer saves only what changed: an e-mail address is on no list, so a register of thousands
    whose addresses changed writes no list; a new name is on every list that has the organisation."""
    bakeri = {"orgno": "311000004", "name": "Bakeri AS", "form": "AS"}
    run(
        tmp_path,
        {
            "organisations": [bakeri],
            "roles": [{"code": "REGN", "holder": accounting_firm.orgno, "of": bakeri["orgno"]}],
        },
    )
    seen = assessed_one_by_one(monkeypatch)
    run(tmp_path, {"organisations": [bakeri | {"email": "post@bakeri.no"}]})
    assert seen == []
    run(tmp_path, {"organisations": [bakeri | {"email": "post@bakeri.no", "name": "Bakeri og Konditori AS"}]})
    assert seen == [2]  # the firm's row for the client, and the firm itself
    assert "Bakeri og Konditori AS" in listed(accounting_firm)


def test_a_save_that_names_the_form_or_the_number_changes_the_lists(accounting_firm):
    """What a row shows (the number) and what the rule reads (the form) are written again when a save
    names only that field, as the importer's and the services' saves do."""
    client = f.make_org("Lysgården", form="AS")
    f.give_role(accounting_firm, "FFØR", client)
    f.give_role(accounting_firm, "REGN", client)
    assert ",forretningsforer-eiendom:FFØR," not in listed(accounting_firm)["Lysgården"]
    client.form = "BRL"
    client.save(update_fields=["form"])
    assert ",forretningsforer-eiendom:FFØR," in listed(accounting_firm)["Lysgården"]
    client.orgno = next(n for n in (make_orgno(str(base)) for base in range(31100100, 31100200)) if n)
    client.save(update_fields=["orgno"])
    assert ClientListing.objects.get(holder=accounting_firm, client=client).orgno == client.orgno
