"""A firm's list of clients (registry.listings) stays what the rule says as the registers change: every
writer — the services and staff admin through the model signals, the register importer's bulk inserts,
the role rules after migrate, the command for changes made by hand — and the add-clients page shows it."""

from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command

from registry import access
from registry.models import ClientListing, Organisation, PackageDelegation, RoleAssignment
from registry.services import clients
from tests import factories as f
from tests.factories import SIGNING
from tests.portal.systemusers_helpers import act_for
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
