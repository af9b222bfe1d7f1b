"""The portal's "Egenutviklet system" pages: register an own integration, see how to get a token,
rotate its keys; who may do it and what a bad key looks like to the person."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.files.uploadedfile import SimpleUploadedFile

from maskinporten.models import Client, ClientKey
from maskinporten.self_developed import own_integration_client
from registry.models import RegisteredSystem, SystemUser
from tests import factories as f
from tests.maskinporten.test_self_developed import get_token, own_key, pem
from tests.portal.systemusers_helpers import act_for

NEW = "/systemuser/own/new/"
KRAV_READ = "ske-krav-og-betalinger|read"


def form(**overrides):
    return {
        "name_nb": "Vår kobling",
        "client_id": "var-kobling",
        "public_key": pem(own_key()),
        "right": [KRAV_READ],
    } | overrides


def register(client, **overrides):
    return client.post(NEW, form(**overrides))


@pytest.fixture
def own(client, manager, customer):
    act_for(client, manager, customer)
    response = register(client)
    assert response.status_code == 302, response.content.decode()
    assert "er opprettet" in client.get(response.url).content.decode()
    return SystemUser.objects.get(system__is_self_developed=True)


def test_the_form_offers_what_the_person_may_delegate(client, manager, customer):
    text = act_for(client, manager, customer).get(NEW).content.decode()
    assert "Egenutviklet system" in text
    assert f'value="{KRAV_READ}"' in text and "Krav og betalinger (lese)" in text
    assert 'name="public_key"' in text and 'type="file"' in text


def test_the_choose_system_page_links_to_it(client, manager, customer):
    text = act_for(client, manager, customer).get("/systemuser/new/").content.decode()
    assert 'href="/systemuser/own/new/"' in text


def test_registering_gives_the_system_access_and_the_token_recipe(client, own, customer):
    response = client.get(f"/systemuser/{own.pk}/integration/")
    text = response.content.decode()
    assert response.status_code == 200
    kid = own_integration_client(own).keys.get().kid
    assert "var-kobling" in text and kid in text
    assert "http://testserver/token" in text or "/token" in text
    assert f"0192:{customer.orgno}" in text and "urn:altinn:systemuser" in text
    assert "import jwt" in text and "Ikke brukt" in text
    # The new system access is in the overview, and its details page links here.
    overview = client.get("/systemuser/").content.decode()
    assert "Vår kobling" in overview and "</span>Egenutviklet</td>" in overview  # in the vendor column
    details = client.get(f"/systemuser/{own.pk}/").content.decode()
    assert f"/systemuser/{own.pk}/integration/" in details


def test_a_self_developed_system_is_not_among_the_systems_to_choose(client, own):
    assert "Vår kobling" not in client.get("/systemuser/new/").content.decode()


def test_a_key_can_be_uploaded_as_a_file(client, manager, customer):
    act_for(client, manager, customer)
    upload = SimpleUploadedFile("public.pem", pem(own_key()).encode(), content_type="application/x-pem-file")
    response = client.post(NEW, form(public_key="", key_file=upload))
    assert response.status_code == 302
    assert ClientKey.objects.filter(client_id="var-kobling").count() == 1


def test_a_private_key_is_refused_with_a_warning_and_never_shown_again(client, manager, customer, caplog):
    private_pem = own_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    act_for(client, manager, customer)
    response = register(client, public_key=private_pem.decode())
    text = response.content.decode()
    assert response.status_code == 400
    assert "Dette er en privat nøkkel" in text and 'aria-invalid="true"' in text
    assert "PRIVATE KEY" not in text and private_pem.decode().splitlines()[1] not in text
    assert 'value="Vår kobling"' in text  # the rest of the form is kept
    assert not Client.objects.exists() and not RegisteredSystem.objects.exists()
    assert caplog.records and not any("PRIVATE KEY" in record.getMessage() for record in caplog.records)


def test_a_short_rsa_key_is_refused_in_words(client, manager, customer):
    act_for(client, manager, customer)
    response = register(client, public_key=pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)))
    assert response.status_code == 400
    assert "RSA-nøkkelen er for kort" in response.content.decode()


def test_a_taken_client_id_is_refused_in_words(client, manager, customer, vendor):
    Client.objects.create(client_id="var-kobling", owner=vendor)
    act_for(client, manager, customer)
    response = register(client)
    assert response.status_code == 400 and "Klient-id-en er allerede i bruk" in response.content.decode()


def test_no_rights_chosen_is_refused_in_words(client, manager, customer):
    act_for(client, manager, customer)
    response = register(client, right=[])
    assert response.status_code == 400 and "Velg minst én tilgangspakke" in response.content.decode()


def test_a_right_the_person_may_not_delegate_is_refused_by_name(client, customer):
    access_manager = f.make_person("Tina Tilgang")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=access_manager)
    act_for(client, access_manager, customer)
    response = register(client)
    text = response.content.decode()
    assert response.status_code == 400
    assert "Krav og betalinger (lese): du har den ikke selv for virksomheten" in text
    assert not RegisteredSystem.objects.exists()


def test_an_employee_is_refused(client, employee, customer):
    act_for(client, employee, customer)
    assert client.get(NEW).status_code == 403
    assert register(client).status_code == 403
    assert not RegisteredSystem.objects.exists()


def test_a_client_administrator_is_refused(client, client_admin, accounting_firm):
    act_for(client, client_admin, accounting_firm)
    assert client.get(NEW).status_code == 403
    assert register(client).status_code == 403


def test_another_organisation_can_not_see_or_touch_it(client, own, vendor):
    stranger = f.make_person("Frida Faktura")
    f.give_role(stranger, "DAGL", vendor)
    act_for(client, stranger, vendor)
    key = own_integration_client(own).keys.get()
    assert client.get(f"/systemuser/{own.pk}/integration/").status_code == 404
    assert client.get(f"/systemuser/{own.pk}/").status_code == 404
    new_key = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert client.post(f"/systemuser/{own.pk}/integration/keys/", {"public_key": new_key}).status_code == 404
    assert client.post(f"/systemuser/{own.pk}/integration/keys/{key.pk}/remove/").status_code == 404
    assert ClientKey.objects.filter(client=key.client).count() == 1


def test_an_employee_of_the_organisation_can_not_manage_keys(client, own, employee, customer):
    act_for(client, employee, customer)
    assert client.get(f"/systemuser/{own.pk}/integration/").status_code == 403


def test_rotate_add_then_remove_and_last_used(client, own):
    page = f"/systemuser/{own.pk}/integration/"
    old = own_integration_client(own).keys.get()
    assert "Fjern nøkkelen" not in client.get(page).content.decode()  # the last key stays
    new_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = client.post(page + "keys/", {"public_key": pem(new_private)}, follow=True)
    assert "er lagt til" in response.content.decode()
    assert get_token(client, own, kid=old.kid).status_code == 200
    text = client.get(page).content.decode()
    assert text.count("Ikke brukt") == 1  # the old key has signed a grant, the new one not yet
    response = client.post(page + f"keys/{old.pk}/remove/", follow=True)
    assert "er fjernet" in response.content.decode()
    assert ClientKey.objects.get(pk=old.pk).retired_at is not None
    last = ClientKey.objects.get(client=old.client, retired_at__isnull=True)
    response = client.post(page + f"keys/{last.pk}/remove/", follow=True)
    assert "Dette er den siste nøkkelen" in response.content.decode()
    assert ClientKey.objects.get(pk=last.pk).retired_at is None
    history = client.get(f"/systemuser/{own.pk}/").content.decode()
    assert "Nøkkel lagt til" in history and "Nøkkel fjernet" in history


def test_adding_a_bad_key_says_why_and_changes_nothing(client, own):
    response = client.post(f"/systemuser/{own.pk}/integration/keys/", {"public_key": "-----BEGIN PUBLIC KEY-----"})
    assert response.status_code == 400 and "Vi kan ikke lese nøkkelen" in response.content.decode()
    assert ClientKey.objects.count() == 1


def test_deleting_the_system_access_deletes_the_system_and_stops_the_client(client, own):
    client_row = own_integration_client(own)
    confirm = client.get(f"/systemuser/{own.pk}/delete/").content.decode()
    assert "klienten med nøklene slettes også" in confirm and "Leverandøren får beskjed" not in confirm
    response = client.post(f"/systemuser/{own.pk}/delete/")
    assert response.status_code == 302
    assert SystemUser.objects.get(pk=own.pk).is_deleted
    assert RegisteredSystem.objects.get(pk=own.system.pk).is_deleted
    assert not Client.objects.get(pk=client_row.pk).is_active
    assert get_token(client, own, client=client_row).status_code == 400
    assert client.get(f"/systemuser/{own.pk}/integration/").status_code == 404


def test_the_integration_page_costs_the_same_queries_for_one_key_or_three(client, own, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from maskinporten.self_developed import add_key

    page = f"/systemuser/{own.pk}/integration/"
    with CaptureQueriesContext(connection) as one:
        assert client.get(page).status_code == 200
    for _ in range(2):
        new = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        add_key(by=manager, system_user=own, public_key=new)
    with CaptureQueriesContext(connection) as three:
        assert client.get(page).content.decode().count("<code>") >= 3
    assert len(three) == len(one) <= 20, [q["sql"] for q in three.captured_queries]


def test_more_rights_later_with_the_delegation_check(client, own, customer):
    page = f"/systemuser/{own.pk}/integration/"
    text = client.get(page).content.decode()
    assert 'value="ske-krav-og-betalinger|write"' in text and f'value="{KRAV_READ}"' not in text  # held already
    response = client.post(page + "rights/", {"right": ["ske-krav-og-betalinger|write"]}, follow=True)
    assert "har fått de nye rettighetene" in response.content.decode()
    assert set(own.rights.values_list("action", flat=True)) == {"read", "write"}
    assert set(own.system.rights.values_list("action", flat=True)) == {"read", "write"}
    assert "Rettigheter lagt til" in client.get(f"/systemuser/{own.pk}/").content.decode()


def test_more_rights_the_person_may_not_delegate_are_refused_by_name(client, own, customer):
    access_manager = f.make_person("Tina Tilgang")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=access_manager)
    act_for(client, access_manager, customer)
    response = client.post(f"/systemuser/{own.pk}/integration/rights/", {"right": ["ske-krav-og-betalinger|write"]})
    assert response.status_code == 400
    assert "Krav og betalinger (skrive): du har den ikke selv for virksomheten" in response.content.decode()
    assert list(own.rights.values_list("action", flat=True)) == ["read"]
