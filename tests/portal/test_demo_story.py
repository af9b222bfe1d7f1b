"""The demo data tells a coherent story on the pages: who made the firm's system access for clients,
and who added its first clients."""

import io

import pytest
from django.core.management import call_command

from demo import data as demo
from registry.models import Organisation, Person
from tests.portal.systemusers_helpers import act_for

pytestmark = pytest.mark.django_db


def test_the_demo_firms_history_tells_who_added_the_first_clients(client):
    call_command("load_demo", stdout=io.StringIO())
    kristian = Person.objects.get(pid=demo.KRISTIAN)
    act_for(client, kristian, Organisation.objects.get(orgno=demo.REGNSKAP))
    text = client.get(f"/systemuser/{demo.REGNSKAP_AGENT_USER}/").content.decode()
    history = text.split('data-testid="history"')[1]
    assert "Systemtilgangen ble opprettet" in history and "Regine Regnskap" in history
    for _orgno, name, _form in demo.CLIENTS[:3]:
        assert f"Klient lagt til: {name}" in history
    assert history.count("Kristian Klient") == 3


def test_the_demo_firms_system_accesses_read_naturally_and_speak_of_klienter(client):
    # The UI says "klienter" (Altinn's word) for an agent system access's clients; the demo's titles too.
    call_command("load_demo", stdout=io.StringIO())
    act_for(client, Person.objects.get(pid=demo.REGINE), Organisation.objects.get(orgno=demo.REGNSKAP))
    overview = client.get("/systemuser/").content.decode()
    details = client.get(f"/systemuser/{demo.REGNSKAP_AGENT_USER}/").content.decode()
    approval = client.get(f"/systemuser/agentrequest?id={demo.REQUEST_REGNSKAP_AGENT}").content.decode()
    assert '<span class="muted">Klientene til Tall og Tekst Regnskap</span>' in overview
    assert "Fakturaprogrammet Byrå (Klientene til Tall og Tekst Regnskap)" in details
    assert "Lønnsmaskinen Byrå – Klientene til Tall og Tekst Regnskap" in approval
    for text in (overview, details, approval):
        assert "kunde" not in text.lower()


def test_kari_reaches_her_companys_subunit_avd_torget(client):
    call_command("load_demo", stdout=io.StringIO())
    assert client.post("/login/test/", {"pid": demo.KARI})["Location"] == "/actor/"  # two to choose from
    page = client.get("/actor/").content.decode()
    subunits = page.split('aria-label="Underenheter av Bakeriet Nordmann AS"')[1].split("</ul>")[0]
    assert "Bakeriet Nordmann AS avd. Torget" in subunits and "Daglig leder i hovedenheten" in subunits
    assert client.post("/actor/", {"orgno": demo.BAKERIET_TORGET})["Location"] == "/systemuser/"
    assert "Systemtilganger for Bakeriet Nordmann AS avd. Torget" in client.get("/systemuser/").content.decode()


def test_kristian_with_one_organisation_goes_straight_to_it(client):
    call_command("load_demo", stdout=io.StringIO())
    assert client.post("/login/test/", {"pid": demo.KRISTIAN})["Location"] == "/systemuser/"
    assert "Du er klientadministrator" in client.get("/systemuser/").content.decode()
