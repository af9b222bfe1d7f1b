"""The client lists of a firm with many clients: how many each system access for clients holds (the
overview), the role filter and the CSV export (details page)."""

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import listings
from registry.models import ClientDelegation, Role, RoleAssignment
from registry.services import clients
from tests import factories as f
from tests.portal.systemusers_helpers import HTMX, act_for


def grow(firm, role: str, count: int, prefix: str) -> list:
    role = Role.objects.get(legacy_code=role)
    orgs = [f.make_org(f"{prefix} {i:04d} AS") for i in range(count)]
    RoleAssignment.objects.bulk_create([RoleAssignment(role=role, of=o, holder_org=firm) for o in orgs])
    listings.refresh(firm, [o.pk for o in orgs])  # as the register importer does after bulk inserts
    return orgs


def test_the_overview_counts_the_clients_of_each_system_access_in_the_same_queries(
    client, agent, accounting_firm, client_admin
):
    act_for(client, client_admin, accounting_firm)

    def overview(count: int) -> tuple[int, str]:
        orgs = grow(accounting_firm, "REGN", count, f"Klient {count}")
        clients.add_clients(system_user_id=agent.pk, orgnos=[o.orgno for o in orgs], by=client_admin)
        with CaptureQueriesContext(connection) as queries:
            text = client.get("/systemuser/").content.decode()
        return len(queries), text

    (few, text), (many, more) = overview(1), overview(300)
    assert 'data-testid="client-count">1 klient<' in text
    assert 'data-testid="client-count">301 klienter<' in more
    assert few == many


def test_the_client_list_filters_by_role(client, agent, accounting_firm, client_admin):
    regn = grow(accounting_firm, "REGN", 2, "Regnskap")
    revi = f.make_org("Revisjon Og Regnskap AS")
    f.give_role(accounting_firm, "REVI", revi)
    f.give_role(accounting_firm, "REGN", revi)
    given = f.make_org("Gitt Selv AS")
    f.delegate_package("regnskapsforer-med-signeringsrettighet", from_org=given, to=accounting_firm)
    orgnos = [o.orgno for o in (*regn, given, accounting_firm)]
    clients.add_clients(system_user_id=agent.pk, orgnos=orgnos, by=client_admin)
    act_for(client, client_admin, accounting_firm)
    details = f"/systemuser/{agent.pk}/"

    page = client.get(details).content.decode()
    assert '<option value="REGN">regnskapsfører (REGN)</option>' in page
    only_given = client.get(details, {"rolle": "delegert"}, **HTMX, HTTP_HX_TARGET="clients").content.decode()
    assert "Gitt Selv AS" in only_given and "Regnskap 0000 AS" not in only_given
    itself = client.get(details, {"rolle": "SELF"}).content.decode()
    assert "Fjern Tall og Tekst Regnskap AS" in itself and "Fjern Regnskap 0000 AS" not in itself
    regn_only = client.get(details, {"rolle": "REGN"}).content.decode()
    assert "Fjern Regnskap 0001 AS" in regn_only and "Fjern Gitt Selv AS" not in regn_only
    garbage = client.get(details, {"rolle": "<script>"})
    assert garbage.status_code == 200 and "Fjern Gitt Selv AS" in garbage.content.decode()  # no filter


def test_the_csv_export_lists_the_clients_as_filtered(client, agent, accounting_firm, client_admin):
    regn = grow(accounting_firm, "REGN", 3, "Regnskap")
    formula = f.make_org("=HYPERLINK(1) AS")
    f.give_role(accounting_firm, "REGN", formula)
    clients.add_clients(system_user_id=agent.pk, orgnos=[o.orgno for o in (*regn, formula)], by=client_admin)
    act_for(client, client_admin, accounting_firm)

    response = client.get(f"/systemuser/{agent.pk}/clients.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Organisasjonsnummer", "Navn", "Hvorfor klient", "Lagt til", "Lagt til av"]
    assert len(rows) == 5
    row = next(r for r in rows if r[0] == regn[1].orgno)
    delegation = ClientDelegation.objects.get(client=regn[1])
    assert row == [
        "" + regn[1].orgno,
        "Regnskap 0001 AS",
        "regnskapsfører (REGN)",
        delegation.created.date().isoformat(),
        "Rita Regnskap",
    ]
    assert ["'=HYPERLINK(1) AS"] == [r[1] for r in rows if r[0] == formula.orgno]  # never a formula

    searched = client.get(f"/systemuser/{agent.pk}/clients.csv", {"q": "regnskap 0002"}).content.decode("utf-8-sig")
    assert "Regnskap 0002 AS" in searched and "Regnskap 0001 AS" not in searched


def test_the_csv_export_is_for_those_who_see_the_list(client, agent, accounting_firm, customer, manager):
    outsider_view = act_for(client, manager, customer).get(f"/systemuser/{agent.pk}/clients.csv")
    assert outsider_view.status_code == 404
    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package("regnskapsforer-med-signeringsrettighet", from_org=accounting_firm, to=clerk)
    assert act_for(client, clerk, accounting_firm).get(f"/systemuser/{agent.pk}/clients.csv").status_code == 403


def test_the_add_page_filters_by_role_and_keeps_the_filter_on_its_links(client, agent, accounting_firm, client_admin):
    grow(accounting_firm, "REGN", 60, "Regnskap")
    given = f.make_org("Gitt Selv AS")
    f.delegate_package("regnskapsforer-med-signeringsrettighet", from_org=given, to=accounting_firm)
    act_for(client, client_admin, accounting_firm)
    url = f"/systemuser/{agent.pk}/clients/"
    only_given = client.get(url, {"rolle": "delegert"}).content.decode()
    assert "1 klient kan legges til" in only_given and "Gitt Selv AS" in only_given
    regn = client.get(url, {"rolle": "REGN"}).content.decode()
    assert "60 klienter kan legges til" in regn and "Gitt Selv AS" not in regn
    assert "rolle=REGN&amp;page=2" in regn  # the page links keep the filter
